"""fastgrad's dtypes and PyTorch's type-promotion rules."""
import numpy as np


class dtype:
    """A tensor element type: its numpy dtype and the code the C kernels know it by."""

    __slots__ = ("name", "np", "code", "ctype", "is_floating_point", "itemsize", "_rank")

    def __init__(self, name, np_dtype, code, ctype, rank):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.code = code
        self.ctype = ctype         # the C type of one element
        self.itemsize = self.np.itemsize
        self.is_floating_point = self.np.kind == "f"
        self._rank = rank  # position in the promotion order bool < int64 < float32 < float64

    def __repr__(self):
        # Printed as PyTorch prints it, so programs written for torch print the same text.
        return "torch." + self.name

    def __reduce__(self):
        return (to_dtype, (self.np,))


bool_ = dtype("bool", np.bool_, 0, "uint8_t", 0)
int64 = dtype("int64", np.int64, 1, "int64_t", 1)
float32 = dtype("float32", np.float32, 2, "float", 2)
float64 = dtype("float64", np.float64, 3, "double", 3)
default_float = float32
# Storage only (no kernel computes on it): the bytes of a generator's state, as torch's uint8.
uint8 = dtype("uint8", np.uint8, 4, "uint8_t", 1)

_from_numpy = {d.np: d for d in (bool_, int64, float32, float64)}


def from_numpy_dtype(np_dtype, where="tensor"):
    try:
        return _from_numpy[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"{where}(): unsupported dtype {np_dtype}; fastgrad supports float32, float64, int64 and bool"
        ) from None


def to_dtype(d):
    """Accepts a fastgrad dtype, a numpy dtype or a Python type (float, int, bool), which mean
    float64, int64 and bool as in torch."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    return from_numpy_dtype(d, "dtype")


def category(d):
    """0 for bool, 1 for integers, 2 for floating types."""
    return 2 if d.is_floating_point else (1 if d is int64 else 0)


def promote(a, b):
    """The larger of two dtypes in bool < int64 < float32 < float64."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a._rank >= b._rank else b


def _combine_categories(higher, lower):
    # torch's c10 rule: a lower-priority operand (0-d tensor, Python scalar) only changes the
    # result dtype when it is of a higher category (bool < integer < floating).
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote(higher, lower)
    return higher


def result_type(*operands):
    """torch.result_type over tensors and Python scalars: tensors with dimensions outrank 0-d
    tensors, which outrank Python numbers, unless a lower-ranked operand is of a higher category."""
    dim_result = zero_result = wrapped_result = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim > 0:
                dim_result = promote(dim_result, d)
            else:
                zero_result = promote(zero_result, d)
        else:
            wrapped_result = promote(wrapped_result, scalar_dtype(x))
    return _combine_categories(dim_result, _combine_categories(zero_result, wrapped_result))


def scalar_dtype(x):
    """The dtype a Python number makes: bool -> bool, int -> int64, float -> float32."""
    if isinstance(x, (bool, np.bool_)):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return default_float
    raise TypeError(f"unsupported operand type {type(x).__name__}; expected a Tensor or a number")
