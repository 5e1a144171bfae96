"""More elementwise ops, as torch: atan2, hypot, frac, lerp, nan_to_num and their in-place
forms; the tests of floating values (isnan, isinf, isposinf, isneginf, isfinite, signbit,
isclose); and where with one argument (the nonzero positions as a tuple) or with numbers for
either branch. Kernels: csrc/elementwise.c; the gradients are torch's derivatives.yaml's."""
import numpy as np

from .. import _dtype
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._tensor import Tensor
from ._core import (ELEMENTWISE_JVP, LINEAR_JVP, Op, apply, check_number, check_tensor,
                    scalar_tensor, total)
from . import elementwise as E
from .elementwise import _kernel, as_dtype, cast, clone, reciprocal
from .bitwise import logical_and, logical_or
from .indexing import nonzero
from .inplace import apply_in_place


def _lerp_number(x, end, weight):
    w = scalar_tensor(weight, x.dtype)
    return K.elementwise(C.FG_LERP, x.dtype, x.dtype, (x, end, w))


def _nan_to_num_forward(x, nan, posinf, neginf):
    d = x.dtype
    out = K.elementwise(C.FG_REPLACE_NAN, d, d, (x, scalar_tensor(nan, d)))
    return K.elementwise(C.FG_REPLACE_INF, d, d,
                         (out, scalar_tensor(posinf, d), scalar_tensor(neginf, d)), out=out)


def _atan2_grad(g, a, b, numerator):
    """g * numerator / (a^2 + b^2), 0 where a and b are both 0 (torch masks the reciprocal)."""
    denominator = a * a + b * b
    return g * numerator * E.where(denominator == 0, 0.0, reciprocal(denominator))


def _atan2_jvp(op, tangents, out, a, b):
    """torch's forward rule, unmasked: (b ta - a tb) / (a^2 + b^2)."""
    ta, tb = tangents
    numerator = total(None if tb is None else -a * tb, None if ta is None else b * ta)
    return numerator / (a ** 2 + b ** 2)


# ---- the table ---------------------------------------------------------------------------------
ATAN2 = Op("Atan2Backward0", _kernel(C.FG_ATAN2),
           lambda g, out, a, b: _atan2_grad(g, a, b, b),
           lambda g, out, a, b: _atan2_grad(g, a, b, -a), jvp=_atan2_jvp)
HYPOT = Op("HypotBackward0", _kernel(C.FG_HYPOT), lambda g, out, a, b: g * a / out,
           lambda g, out, a, b: g * b / out, save_output=True, jvp=ELEMENTWISE_JVP)
FRAC = Op("FracBackward0", _kernel(C.FG_FRAC), lambda g, out: g, save_inputs=False,
          jvp=ELEMENTWISE_JVP)
LERP = Op("LerpBackward1", _kernel(C.FG_LERP), lambda g, out, x, end, w: g * (1 - w),
          lambda g, out, x, end, w: g * w, lambda g, out, x, end, w: g * (end - x),
          needs=((2,), (2,), (0, 1)), jvp=ELEMENTWISE_JVP)
LERP_NUMBER = Op("LerpBackward0", _lerp_number, lambda g, out, weight: g * (1 - weight),
                 lambda g, out, weight: g * weight, save_inputs=False, jvp=LINEAR_JVP)
NAN_TO_NUM = Op("NanToNumBackward0", _nan_to_num_forward,
                lambda g, out, x, **replacements: g * isfinite(x), jvp=ELEMENTWISE_JVP)
TESTS = {name: Op(None, _kernel(getattr(C, "FG_" + name.upper()), _dtype.bool_))
         for name in ("isnan", "isinf", "isposinf", "isneginf", "isfinite", "signbit")}


# ---- the functions -----------------------------------------------------------------------------
def _tensors(name, input, other):  # noqa: A002  (torch's names)
    check_tensor(input, name)
    check_tensor(other, name, "other", " (position 2)")
    return _dtype.result_type(input, other)


def atan2(input, other):  # noqa: A002
    dtype = _tensors("atan2", input, other)
    dtype = dtype if dtype.is_floating_point else _dtype.default_float  # ints as floats
    return apply(ATAN2, cast(input, dtype), cast(other, dtype))


arctan2 = atan2


def _floating_only(kernel, dtype):
    if not dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype._torch_name}\'')


def hypot(input, other):  # noqa: A002
    dtype = _tensors("hypot", input, other)
    _floating_only("hypot_cpu", dtype)
    return apply(HYPOT, cast(input, dtype), cast(other, dtype))


def frac(input):  # noqa: A002
    check_tensor(input, "frac")
    _floating_only("frac_cpu", input.dtype)
    return apply(FRAC, input)


def _same_dtype(input, t, what):  # noqa: A002
    if t.dtype is not input.dtype:
        names = E._MASK_DTYPE_NAMES
        raise RuntimeError(f"expected dtype {names.get(input.dtype, input.dtype.name)} for "
                           f"`{what}` but got dtype {names.get(t.dtype, t.dtype.name)}")


def lerp(input, end, weight):  # noqa: A002
    """input + weight * (end - input), in torch's two forms (exact at weight 1); weight is a
    number or a tensor of input's dtype, broadcast with the others."""
    check_tensor(input, "lerp")
    check_tensor(end, "lerp", "end", " (position 2)")
    _same_dtype(input, end, "end")
    if isinstance(weight, Tensor):
        _same_dtype(input, weight, "weight")
        _floating_only("lerp_kernel_tensor", input.dtype)
        return apply(LERP, input, end, weight)
    check_number(weight, "lerp")
    _floating_only("lerp_kernel_scalar", input.dtype)
    return apply(LERP_NUMBER, input, end, weight=weight)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):  # noqa: A002
    """NaN, inf and -inf replaced (by default with 0 and the dtype's largest and smallest
    values); integer and bool tensors are copied."""
    check_tensor(input, "nan_to_num")
    if not input.dtype.is_floating_point:
        return clone(input)
    largest = float(np.finfo(input.dtype.np).max)
    return apply(NAN_TO_NUM, input, nan=0.0 if nan is None else nan,
                 posinf=largest if posinf is None else posinf,
                 neginf=-largest if neginf is None else neginf)


def _test(name):
    def op(input):  # noqa: A002
        check_tensor(input, name)
        return apply(TESTS[name], input)
    op.__name__ = op.__qualname__ = name
    return op


isnan, isinf, isposinf, isneginf, isfinite, signbit = (
    _test(name) for name in ("isnan", "isinf", "isposinf", "isneginf", "isfinite", "signbit"))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """|input - other| <= atol + rtol * |other| where finite, or equal (NaN to NaN with
    equal_nan), computed as torch computes it."""
    check_tensor(input, "isclose")
    check_tensor(other, "isclose", "other", " (position 2)")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype._torch_name} did not match {other.dtype._torch_name}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol}")
    a, b = input.detach(), other.detach()
    close = E.eq(a, b)
    if equal_nan and a.dtype.is_floating_point:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    if rtol == 0 and atol == 0:
        return close
    if a.dtype is _dtype.bool_:
        a, b = cast(a, _dtype.default_float), cast(b, _dtype.default_float)
    allowed = E.add(atol, E.abs(E.mul(rtol, b)))
    actual = E.abs(E.sub(a, b))
    return logical_or(close, logical_and(isfinite(actual), E.le(actual, allowed)))


def where(condition, input=None, other=None):  # noqa: A002
    """where(condition, input, other): input where condition holds, else other (either may be
    a number); where(condition): the indices of its nonzero elements, one tensor per dimension."""
    check_tensor(condition, "where", "condition")
    if input is None and other is None:  # (a 0-d condition counts as 1-d, as torch's)
        coordinates = nonzero(condition.reshape(-1) if condition.ndim == 0 else condition)
        return tuple(coordinates[:, d] for d in range(coordinates.shape[1]))
    if input is None or other is None:
        raise TypeError("where() takes a condition alone, or a condition, input and other")
    if condition.dtype is not _dtype.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype._torch_name}")
    return E.where(condition, input, other)


def atan2_(x, other):
    return apply_in_place("atan2_", atan2, x, other)


arctan2_ = atan2_


def hypot_(x, other):
    return apply_in_place("hypot_", hypot, x, other)


def frac_(x):
    return apply_in_place("frac_", lambda x, unused: frac(x), x, 0)


def erfinv_(x):
    return apply_in_place("erfinv_", lambda x, unused: E.erfinv(x), x, 0)


def lerp_(x, end, weight):
    return apply_in_place("lerp_", lambda x, end: lerp(x, end, weight), x, end)


def nan_to_num_(x, nan=0.0, posinf=None, neginf=None):
    return apply_in_place("nan_to_num_", lambda x, unused: nan_to_num(x, nan, posinf, neginf),
                          x, 0)
