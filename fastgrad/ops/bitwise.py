"""Bitwise ops (&, |, ^, ~, <<, >>) of bool and int64 tensors and Python ints and bools, and the
logical ops, which take any dtype and give bool; with their in-place forms. None is
differentiable (their results are never floating). Kernels: csrc/elementwise.c; floating
operands are refused as torch refuses them."""
from .. import _dtype
from .._fastgrad_c import lib as C
from ._core import Op, apply, check_number, check_tensor
from .elementwise import _kernel, as_dtype, cast
from .inplace import apply_in_place

ROWS = {name: Op(None, _kernel(getattr(C, "FG_" + name.upper())))
        for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "lshift",
                     "rshift")}
LOGICAL = {name: Op(None, _kernel(getattr(C, "FG_" + name.upper()), _dtype.bool_))
           for name in ("logical_and", "logical_or", "logical_xor", "logical_not")}


def _integral(row, kernel, a, b=None):
    """row over bool or int64 operands promoted to their result type; a floating one is refused
    (and bools, by the shifts), with torch's words."""
    operands = (a,) if b is None else (a, b)
    dtype = _dtype.result_type(*operands)
    if dtype.is_floating_point or (dtype is _dtype.bool_ and kernel in ("lshift", "rshift")):
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{dtype._torch_name}\'')
    return apply(row, *[as_dtype(x, dtype) for x in operands])


def _binary(name, kernel):
    def op(input, other):  # noqa: A002  (torch's names)
        check_number(input, name)
        check_number(other, name)
        return _integral(ROWS[kernel], kernel, input, other)
    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _binary("bitwise_and", "bitwise_and")
bitwise_or = _binary("bitwise_or", "bitwise_or")
bitwise_xor = _binary("bitwise_xor", "bitwise_xor")
bitwise_left_shift = _binary("bitwise_left_shift", "lshift")
bitwise_right_shift = _binary("bitwise_right_shift", "rshift")


def bitwise_not(input):  # noqa: A002
    check_tensor(input, "bitwise_not")
    return _integral(ROWS["bitwise_not"], "bitwise_not", input)


def invert(x):
    """~x: torch's operator refuses floating tensors with a TypeError of its own."""
    if x.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(x)


def _logical(name):
    def op(input, other):  # noqa: A002
        check_tensor(input, name)
        check_tensor(other, name, "other", " (position 2)")
        dtype = _dtype.promote(input.dtype, other.dtype)
        return apply(LOGICAL[name], cast(input, dtype), cast(other, dtype))
    op.__name__ = op.__qualname__ = name
    return op


logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
logical_xor = _logical("logical_xor")


def logical_not(input):  # noqa: A002
    check_tensor(input, "logical_not")
    return apply(LOGICAL["logical_not"], input)


def _in_place(name, out_of_place):
    def op(x, other):
        return apply_in_place(name, out_of_place, x, other)
    op.__name__ = op.__qualname__ = name
    return op


bitwise_and_ = _in_place("bitwise_and_", bitwise_and)
bitwise_or_ = _in_place("bitwise_or_", bitwise_or)
bitwise_xor_ = _in_place("bitwise_xor_", bitwise_xor)
bitwise_left_shift_ = _in_place("bitwise_left_shift_", bitwise_left_shift)
bitwise_right_shift_ = _in_place("bitwise_right_shift_", bitwise_right_shift)
logical_and_ = _in_place("logical_and_", logical_and)
logical_or_ = _in_place("logical_or_", logical_or)
logical_xor_ = _in_place("logical_xor_", logical_xor)


def bitwise_not_(x):
    return apply_in_place("bitwise_not_", lambda x, unused: bitwise_not(x), x, 0)


def logical_not_(x):
    return apply_in_place("logical_not_", lambda x, unused: logical_not(x), x, 0)
