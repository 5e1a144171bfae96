"""torch's legacy constructors: torch.Tensor(data) and torch.Tensor(*sizes) in the default
dtype, and the typed ones (torch.FloatTensor, torch.LongTensor, ...), which also answer
isinstance(t, torch.LongTensor) by dtype."""
import numbers

from . import _creation, _dtype
from ._shape import Size
from ._tensor import Tensor


def new(dtype, args, what="new"):
    """A tensor of dtype from the legacy arguments: nothing (empty), sizes (uninitialized, as
    torch), or one sequence of data (copied)."""
    if len(args) == 1 and not isinstance(args[0], (numbers.Integral, Size)):
        data = args[0]
        if isinstance(data, numbers.Number):
            raise TypeError(f"{what}(): data must be a sequence (got {type(data).__name__})")
        if isinstance(data, Tensor) and data.dtype is not dtype:
            raise TypeError(f"expected {dtype._torch_name} (got {data.dtype._torch_name})")
        return _creation.tensor(data, dtype=dtype)
    sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
    if not all(isinstance(s, numbers.Integral) for s in sizes):
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"{what}() received an invalid combination of arguments - got ({got})")
    return _creation.empty(*sizes, dtype=dtype) if sizes else _creation.empty(0, dtype=dtype)


def tensor_init_arguments(args):
    """torch.Tensor(...)'s legacy arguments as (numpy array, dtype) in the default dtype; args
    are Tensor.__init__'s parameters, unset ones None."""
    args = list(args)
    while args and args[-1] is None:
        args.pop()
    made = new(_dtype.default_float, tuple(args))
    return made._a, made.dtype


class _LegacyType(type):
    def __call__(cls, *args):
        return new(cls.dtype, args)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype


def _legacy_type(dtype):
    return _LegacyType(f"{dtype._torch_name}Tensor", (), {"dtype": dtype, "__module__": "torch"})


(BoolTensor, ByteTensor, CharTensor, ShortTensor, IntTensor, LongTensor, HalfTensor, FloatTensor,
 DoubleTensor) = (_legacy_type(d) for d in _dtype.ALL)
