"""fastgrad's dtypes and PyTorch's type-promotion rules."""
import numpy as np


class dtype:
    """A tensor element type: its numpy dtype and the code the C kernels know it by."""

    __slots__ = ("name", "np", "code", "ctype", "is_floating_point", "is_signed", "itemsize",
                 "_rank", "_torch_name")

    def __init__(self, name, np_dtype, code, ctype, rank, torch_name):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.code = code
        self.ctype = ctype         # the C type of one element, as cffi passes it
        self.itemsize = self.np.itemsize
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind != "u" and self.np.kind != "b"
        self._rank = rank  # position in the promotion order, bool < ... < float64
        self._torch_name = torch_name  # "Float": torch's words in messages and type names

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        # Printed as PyTorch prints it, so programs written for torch print the same text.
        return "torch." + self.name

    def __reduce__(self):
        return (to_dtype, (self.np,))


bool_ = dtype("bool", np.bool_, 0, "uint8_t", 0, "Bool")
uint8 = dtype("uint8", np.uint8, 7, "uint8_t", 1, "Byte")
int8 = dtype("int8", np.int8, 6, "int8_t", 1, "Char")
int16 = dtype("int16", np.int16, 5, "int16_t", 2, "Short")
int32 = dtype("int32", np.int32, 4, "int32_t", 3, "Int")
int64 = dtype("int64", np.int64, 1, "int64_t", 4, "Long")
float16 = dtype("float16", np.float16, 8, "uint16_t", 5, "Half")  # passed to C as its bits
float32 = dtype("float32", np.float32, 2, "float", 6, "Float")
float64 = dtype("float64", np.float64, 3, "double", 7, "Double")
default_float = float32
ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)

_from_numpy = {d.np: d for d in ALL}


def from_numpy_dtype(np_dtype, where="tensor"):
    try:
        return _from_numpy[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"{where}(): unsupported dtype {np_dtype}; fastgrad supports "
            f"{', '.join(d.name for d in ALL)}") from None


def set_default_dtype(d):
    """torch.set_default_dtype: the dtype of floats made from Python numbers (float32 or
    float64)."""
    global default_float
    d = to_dtype(d)
    if d not in (float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    default_float = d


def get_default_dtype():
    return default_float


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


def from_type(t):
    """A dtype from what Tensor.type() takes: a dtype, a legacy type (torch.FloatTensor) or
    its name ('torch.FloatTensor')."""
    if isinstance(t, str):
        for d in ALL:
            if t in (f"torch.{d._torch_name}Tensor", f"{d._torch_name}Tensor"):
                return d
        raise ValueError(f"invalid type: '{t}'")
    return to_dtype(getattr(t, "dtype", t))


def category(d):
    """0 for bool, 1 for integers, 2 for floating types."""
    return 2 if d.is_floating_point else (0 if d is bool_ else 1)


def compute_dtype(d):
    """The dtype kernels other than elementwise, copy and fill compute d in: the narrower
    integers widen to int64 and float16 to float32, as torch's CPU accumulates them."""
    if d._rank in (1, 2, 3):
        return int64
    return float32 if d is float16 else d


def promote(a, b):
    """torch.promote_types: the larger of two dtypes in bool < uint8, int8 < int16 < int32 <
    int64 < float16 < float32 < float64, where uint8 and int8 meet in int16."""
    if a is None:
        return b
    if b is None:
        return a
    if a._rank == b._rank and a is not b:  # uint8 and int8
        return int16
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
    """The dtype a Python number makes: bool -> bool, int -> int64, float -> the default."""
    if isinstance(x, (bool, np.bool_)):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return default_float
    raise TypeError(f"unsupported operand type {type(x).__name__}; expected a Tensor or a number")
