"""Division with rounding and its remainders, as torch: floor_divide (// and
div(rounding_mode='floor')), div(rounding_mode='trunc'), remainder (%, Python's signs: the
divisor's) and fmod (C's: the dividend's), with their in-place forms. Each row's C kernel is in
csrc/elementwise.c; an int64 divisor of 0 raises torch's RuntimeError("ZeroDivisionError")
there, before anything is written. Bool operands are refused, as torch."""
from .. import _dtype
from .._fastgrad_c import lib as C
from .._tensor import Tensor
from ._core import ELEMENTWISE_JVP, Op, apply, check_number, check_tensor, zeros
from .elementwise import _kernel, as_dtype, div as true_divide
from .inplace import apply_in_place, div_ as true_divide_


def _no_derivative(name):
    """torch records these ops but has no derivative: backward raises, as torch's does."""
    def rule(g, out):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return rule


def _no_forward_derivative(name):
    def jvp(op, tangents, out, *inputs):
        raise NotImplementedError(f"Trying to use forward AD with aten::{name} that does not "
                                  f"support it.")
    return jvp


def _flat(g, out):
    """The gradient of a rounded quotient: zeros, as torch."""
    return zeros(g._a.shape, g.dtype)


# ---- the table ---------------------------------------------------------------------------------
FLOOR_DIVIDE = Op("NotImplemented", _kernel(C.FG_FLOOR_DIVIDE), _no_derivative("floor_divide"),
                  _no_derivative("floor_divide"), save_inputs=False,
                  jvp=_no_forward_derivative("floor_divide"))
ROUNDED_DIV = {  # div(rounding_mode=...): DivBackward2, flat in both operands
    "floor": Op("DivBackward2", _kernel(C.FG_FLOOR_DIVIDE), _flat, _flat, save_inputs=False,
                jvp=ELEMENTWISE_JVP),
    "trunc": Op("DivBackward2", _kernel(C.FG_DIV_TRUNC), _flat, _flat, save_inputs=False,
                jvp=ELEMENTWISE_JVP),
}
# a - b * div(a, b, rounding): self's gradient g, other's -g * the rounded quotient
REMAINDER = Op("RemainderBackward1", _kernel(C.FG_REMAINDER), lambda g, out, a, b: g,
               lambda g, out, a, b: -g * div(a, b, rounding_mode="floor"), needs=((), (0, 1)),
               jvp=ELEMENTWISE_JVP)
FMOD = Op("FmodBackward1", _kernel(C.FG_FMOD), lambda g, out, a, b: g,
          lambda g, out, a, b: -g * div(a, b, rounding_mode="trunc"), needs=((), (0, 1)),
          jvp=ELEMENTWISE_JVP)
_BY_NUMBER = {  # the other operand a Python number: torch's Scalar overloads
    REMAINDER: REMAINDER.renamed("RemainderBackward0"), FMOD: FMOD.renamed("FmodBackward0")}
_NUMBER_DIVIDED = {REMAINDER: Op("NotImplemented", _kernel(C.FG_REMAINDER),  # 2 % x
                                 _no_derivative("remainder"), _no_derivative("remainder"),
                                 save_inputs=False, jvp=_no_forward_derivative("remainder"))}
_KERNEL_NAMES = {FLOOR_DIVIDE: "div_floor_cpu", ROUNDED_DIV["floor"]: "div_floor_cpu",
                 ROUNDED_DIV["trunc"]: "div_trunc_cpu", REMAINDER: "remainder_cpu",
                 FMOD: "fmod_cpu"}


# ---- the functions -----------------------------------------------------------------------------
def _apply(op, name, a, b):
    """op over a and b promoted to their result type (torch's rules); bools are refused."""
    check_number(a, name)
    check_number(b, name)
    dtype = _dtype.result_type(a, b)
    if dtype is _dtype.bool_:
        raise NotImplementedError(f'"{_KERNEL_NAMES[op]}" not implemented for \'Bool\'')
    if not isinstance(b, Tensor) and op in _BY_NUMBER:
        op = _BY_NUMBER[op]
    elif not isinstance(a, Tensor) and op in _NUMBER_DIVIDED:
        op = _NUMBER_DIVIDED[op]
    return apply(op, as_dtype(a, dtype), as_dtype(b, dtype))


def floor_divide(input, other):  # noqa: A002  (torch's names)
    return _apply(FLOOR_DIVIDE, "floor_divide", input, other)


def remainder(input, other):  # noqa: A002
    return _apply(REMAINDER, "remainder", input, other)


def fmod(input, other):  # noqa: A002
    check_tensor(input, "fmod")
    return _apply(FMOD, "fmod", input, other)


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """True division (rounding_mode None), or the quotient rounded down ("floor") or toward
    zero ("trunc"), in the operands' type (int64 stays int64)."""
    if rounding_mode is None:
        return true_divide(input, other)
    if rounding_mode not in ROUNDED_DIV:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    return _apply(ROUNDED_DIV[rounding_mode], "div", input, other)


divide = div


def floor_divide_(x, other):
    return apply_in_place("floor_divide_", floor_divide, x, other)


def remainder_(x, other):
    return apply_in_place("remainder_", remainder, x, other)


def fmod_(x, other):
    return apply_in_place("fmod_", fmod, x, other)


def div_(x, other, *, rounding_mode=None):
    if rounding_mode is None:
        return true_divide_(x, other)
    return apply_in_place("div_", lambda x, o: div(x, o, rounding_mode=rounding_mode), x, other)

