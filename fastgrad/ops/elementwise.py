"""Elementwise ops, casts and copies: each row names its C kernel (csrc/elementwise.c, one call
over broadcast operands; csrc/copy.c for casts and clones), the gradient rule of each input and
the forward-mode rule. The
backward of relu, sigmoid, tanh, abs and maximum/minimum is a fused kernel with a row of its
own, so the same rule serves backward, create_graph and forward mode. Below the table: the
public functions, which pick the result dtype with PyTorch's promotion rules."""
import math
import numbers

from .. import _dtype
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._tensor import Tensor, empty_like_shape
from ._core import (ELEMENTWISE_JVP, LINEAR_JVP, OTHER, Op, apply, check_number, check_tensor,
                    scalar_tensor, zeros)

bool_, int64, float32 = _dtype.bool_, _dtype.int64, _dtype.float32


def _kernel(code, out_dtype=None):
    """The forward of an elementwise row: its C kernel over broadcast operands, in the dtype of
    the last one (for FG_WHERE, the values; the condition is bool)."""
    def forward(*xs):
        dtype = xs[-1].dtype
        return K.elementwise(code, dtype, out_dtype or dtype, xs)
    return forward


def _flat(gg, out, g, x):
    """The gradient for an input a fused backward kernel is flat in: zeros."""
    return zeros(x._a.shape, x.dtype)


def _cast_forward(x, dtype):
    return K.copy_into(empty_like_shape(x._a.shape, dtype), x)


# ---- the table ---------------------------------------------------------------------------------
NEG = Op("NegBackward0", _kernel(C.FG_NEG), lambda g, out: -g, save_inputs=False,
         jvp=ELEMENTWISE_JVP)
ABS = Op("AbsBackward0", _kernel(C.FG_ABS), lambda g, out, x: apply(ABS_BACKWARD, g, x),
         jvp=ELEMENTWISE_JVP)
SIGN = Op("SignBackward0", _kernel(C.FG_SIGN), lambda g, out: zeros(g._a.shape, g.dtype),
          save_inputs=False,  # zeros, not g * 0: a NaN or inf in g stops here, as in torch
          jvp=ELEMENTWISE_JVP)
EXP = Op("ExpBackward0", _kernel(C.FG_EXP), lambda g, out: g * out, save_inputs=False,
         save_output=True, jvp=ELEMENTWISE_JVP)
LOG = Op("LogBackward0", _kernel(C.FG_LOG), lambda g, out, x: g / x, jvp=ELEMENTWISE_JVP)
SQRT = Op("SqrtBackward0", _kernel(C.FG_SQRT), lambda g, out: g / (2 * out), save_inputs=False,
          save_output=True, jvp=ELEMENTWISE_JVP)
SIN = Op("SinBackward0", _kernel(C.FG_SIN), lambda g, out, x: g * cos(x), jvp=ELEMENTWISE_JVP)
COS = Op("CosBackward0", _kernel(C.FG_COS), lambda g, out, x: g * -sin(x), jvp=ELEMENTWISE_JVP)
TANH = Op("TanhBackward0", _kernel(C.FG_TANH), lambda g, out: apply(TANH_BACKWARD, g, out),
          save_inputs=False, save_output=True, jvp=ELEMENTWISE_JVP)
SIGMOID = Op("SigmoidBackward0", _kernel(C.FG_SIGMOID),
             lambda g, out: apply(SIGMOID_BACKWARD, g, out), save_inputs=False, save_output=True,
             jvp=ELEMENTWISE_JVP)
RELU = Op("ReluBackward0", _kernel(C.FG_RELU), lambda g, out, x: apply(RELU_BACKWARD, g, x),
          jvp=ELEMENTWISE_JVP)


def _zero_grad(g, out, **params):
    """The gradient of a step function (floor, round, ...): zeros, as torch."""
    return zeros(g._a.shape, g.dtype)


def _step_row(name, code):
    return Op(name, _kernel(code), _zero_grad, save_inputs=False, jvp=ELEMENTWISE_JVP)


FLOOR = _step_row("FloorBackward0", C.FG_FLOOR)
CEIL = _step_row("CeilBackward0", C.FG_CEIL)
TRUNC = _step_row("TruncBackward0", C.FG_TRUNC)
ROUND = _step_row("RoundBackward0", C.FG_ROUND)
ROUND_DECIMALS = Op("RoundBackward1", lambda x, decimals: _round_decimals(x, decimals), _zero_grad,
                    save_inputs=False, jvp=ELEMENTWISE_JVP)
# clamp to numbers (ClampBackward1) or tensors (ClampBackward0, which also differentiates the
# bounds): x's gradient passes where low <= x <= high (not at NaN); low's where it lifts x and
# is below high, high's where it lowers x or is below low (it wins then), as torch.
CLAMP = Op("ClampBackward1", lambda x, low, high: _clamp_forward(x, low, high),
           lambda g, out, x, low, high: where(_within(x, low, high), g, 0.0), jvp=ELEMENTWISE_JVP)
CLAMP_TENSORS = Op("ClampBackward0", lambda x, low, high: _clamp_forward(x, low, high),
                   lambda g, out, x, low, high: where(_within(x, low, high), g, 0.0),
                   lambda g, out, x, low, high: where(mul(lt(x, low), lt(low, high)), g, 0.0),
                   lambda g, out, x, low, high: where(add(gt(x, high), lt(high, low)), g, 0.0),
                   jvp=ELEMENTWISE_JVP)
# x with value where mask is set: a number (MaskedFillBackward0) or a 0-d tensor, which gets
# the sum of the gradient where it was written (MaskedFillBackward1).
def _masked_fill_forward(x, mask, value):
    return K.elementwise(C.FG_WHERE, x.dtype, x.dtype, (mask, value, x))


def _unmasked(g, out, x, mask, value):
    return where(mask, 0.0, g)


MASKED_FILL = Op("MaskedFillBackward0", _masked_fill_forward, _unmasked, None, None,
                 needs=((1,), (), ()), jvp=ELEMENTWISE_JVP)
MASKED_FILL_TENSOR = Op("MaskedFillBackward1", _masked_fill_forward, _unmasked, None,
                        lambda g, out, x, mask, value: where(mask, g, 0.0),
                        needs=((1,), (), (1,)), jvp=ELEMENTWISE_JVP)
# The gradients as torch's derivatives.yaml writes them, so they round as torch's do.
LOG2 = Op("Log2Backward0", _kernel(C.FG_LOG2), lambda g, out, x: g / (x * 0.6931471805599453),
          jvp=ELEMENTWISE_JVP)
LOG10 = Op("Log10Backward0", _kernel(C.FG_LOG10), lambda g, out, x: g / (x * 2.3025850929940456),
           jvp=ELEMENTWISE_JVP)
LOG1P = Op("Log1PBackward0", _kernel(C.FG_LOG1P), lambda g, out, x: g / (x + 1),
           jvp=ELEMENTWISE_JVP)
EXPM1 = Op("Expm1Backward0", _kernel(C.FG_EXPM1), lambda g, out: g * (out + 1), save_inputs=False,
           save_output=True, jvp=ELEMENTWISE_JVP)
RSQRT = Op("RsqrtBackward0", _kernel(C.FG_RSQRT), lambda g, out: -0.5 * g * out ** 3,
           save_inputs=False, save_output=True, jvp=ELEMENTWISE_JVP)
RECIPROCAL = Op("ReciprocalBackward0", _kernel(C.FG_RECIPROCAL), lambda g, out: -g * (out * out),
                save_inputs=False, save_output=True, jvp=ELEMENTWISE_JVP)
SINH = Op("SinhBackward0", _kernel(C.FG_SINH), lambda g, out, x: g * cosh(x), jvp=ELEMENTWISE_JVP)
COSH = Op("CoshBackward0", _kernel(C.FG_COSH), lambda g, out, x: g * sinh(x), jvp=ELEMENTWISE_JVP)
ASIN = Op("AsinBackward0", _kernel(C.FG_ASIN), lambda g, out, x: g * rsqrt(-x * x + 1),
          jvp=ELEMENTWISE_JVP)
ACOS = Op("AcosBackward0", _kernel(C.FG_ACOS), lambda g, out, x: g * -rsqrt(-x * x + 1),
          jvp=ELEMENTWISE_JVP)
ATAN = Op("AtanBackward0", _kernel(C.FG_ATAN), lambda g, out, x: g / (x * x + 1),
          jvp=ELEMENTWISE_JVP)
ERF = Op("ErfBackward0", _kernel(C.FG_ERF),
         lambda g, out, x: 1.1283791670955126 * exp(-(x ** 2)) * g, jvp=ELEMENTWISE_JVP)
ERFINV = Op("ErfinvBackward0", _kernel(C.FG_ERFINV),  # sqrt(pi) / 2 * exp(erfinv(x)^2) * g
            lambda g, out: 0.886226925452758 * exp(out ** 2) * g, save_inputs=False,
            save_output=True, jvp=ELEMENTWISE_JVP)

ADD = Op("AddBackward0", _kernel(C.FG_ADD), lambda g, out: g, lambda g, out: g,
         save_inputs=False, jvp=ELEMENTWISE_JVP)
SUB = Op("SubBackward0", _kernel(C.FG_SUB), lambda g, out: g, lambda g, out: -g,
         save_inputs=False, jvp=ELEMENTWISE_JVP)
MUL = Op("MulBackward0", _kernel(C.FG_MUL), lambda g, out, a, b: g * b,
         lambda g, out, a, b: g * a, needs=OTHER, jvp=ELEMENTWISE_JVP)
DIV = Op("DivBackward0", _kernel(C.FG_DIV), lambda g, out, a, b: g / b,
         lambda g, out, a, b: -g * out / b, save_output=True, needs=((1,), (1,)),
         jvp=ELEMENTWISE_JVP)
POW = Op("PowBackward1", _kernel(C.FG_POW),
         lambda g, out, a, b: where(b == 0, 0.0, g * b * a ** (b - 1)),
         # 0 ** b is flat in b where b >= 0; for b < 0 it is inf * log(0), as torch
         lambda g, out, a, b: g * where((a == 0) * (b >= 0), 0.0, out * log(a)),
         save_output=True, jvp=ELEMENTWISE_JVP)
MAXIMUM = Op("MaximumBackward0", _kernel(C.FG_MAXIMUM),
             lambda g, out, a, b: apply(MAX_BACKWARD, g, a, b),
             lambda g, out, a, b: apply(MAX_BACKWARD, g, b, a), jvp=ELEMENTWISE_JVP)
MINIMUM = Op("MinimumBackward0", _kernel(C.FG_MINIMUM),
             lambda g, out, a, b: apply(MAX_BACKWARD, g, b, a),
             lambda g, out, a, b: apply(MAX_BACKWARD, g, a, b), jvp=ELEMENTWISE_JVP)
WHERE = Op("WhereBackward0", _kernel(C.FG_WHERE), None,
           lambda g, out, c, a, b: where(c, g, 0.0), lambda g, out, c, a, b: where(c, 0.0, g),
           needs=((), (0,), (0,)), jvp=ELEMENTWISE_JVP)
COMPARISONS = {name: Op(None, _kernel(getattr(C, "FG_" + name.upper()), bool_))
               for name in ("eq", "ne", "lt", "le", "gt", "ge")}

# Fused backward kernels: out = kernel(g, *saved), linear in g, so the gradient for g is the
# row applied to the upstream gradient; the saved inputs' gradients are written out (zeros
# where the kernel is flat in them, as torch's).
RELU_BACKWARD = Op("ThresholdBackwardBackward0", _kernel(C.FG_RELU_BACKWARD),  # g where x > 0
                   lambda gg, out, g, x: apply(RELU_BACKWARD, gg, x), _flat,
                   jvp=ELEMENTWISE_JVP)
ABS_BACKWARD = Op("AbsBackwardBackward0", _kernel(C.FG_ABS_BACKWARD),  # g * sign(x)
                  lambda gg, out, g, x: apply(ABS_BACKWARD, gg, x), _flat, jvp=ELEMENTWISE_JVP)
SIGMOID_BACKWARD = Op("SigmoidBackwardBackward0", _kernel(C.FG_SIGMOID_BACKWARD),  # g y (1 - y)
                      lambda gg, out, g, y: apply(SIGMOID_BACKWARD, gg, y),
                      lambda gg, out, g, y: gg * g * (1 - 2 * y), jvp=ELEMENTWISE_JVP)
TANH_BACKWARD = Op("TanhBackwardBackward0", _kernel(C.FG_TANH_BACKWARD),  # g (1 - y^2)
                   lambda gg, out, g, y: apply(TANH_BACKWARD, gg, y),
                   lambda gg, out, g, y: -2 * gg * g * y, jvp=ELEMENTWISE_JVP)
MAX_BACKWARD = Op("MaximumBackwardBackward0", _kernel(C.FG_MAX_BACKWARD),  # g where a > b, g/2 at ties
                  lambda gg, out, g, a, b: apply(MAX_BACKWARD, gg, a, b),
                  lambda gg, out, g, a, b: _flat(gg, out, g, a),
                  lambda gg, out, g, a, b: _flat(gg, out, g, b), jvp=ELEMENTWISE_JVP)

CAST = Op("ToCopyBackward0", _cast_forward, lambda g, out, dtype: g, save_inputs=False,
          jvp=LINEAR_JVP)
CLONE = Op("CloneBackward0", lambda x: _cast_forward(x, x.dtype), lambda g, out: g,
           save_inputs=False, jvp=LINEAR_JVP)

# The same rows under the grad_fn names PyTorch prints for other spellings.
POW_SCALAR = POW.renamed("PowBackward0")  # x ** 2
_REFLECTED = {  # the operator with the tensor on the right
    SUB: SUB.renamed("RsubBackward1"),  # 1 - x
    POW: POW.renamed("PowBackward2"),   # 2 ** x
    DIV: DIV.renamed("MulBackward0"),   # 3 / x: torch multiplies by 1 / x
}

_FLOAT_ONLY = {DIV, POW, EXP, LOG, SQRT, SIN, COS, TANH, SIGMOID, POW_SCALAR, LOG2, LOG10, LOG1P,
               EXPM1, RSQRT, RECIPROCAL, SINH, COSH, ASIN, ACOS, ATAN, ERF, ERFINV,
               _REFLECTED[POW], _REFLECTED[DIV]}
_BOOL_ARITHMETIC = {ADD: MAXIMUM, MUL: MINIMUM, SUB: None}  # or, and; as torch
_NUMBERS = (int, float, bool)


# ---- the functions -----------------------------------------------------------------------------
def _unary(op, name, x):
    check_tensor(x, name)
    if op in _FLOAT_ONLY and not x.dtype.is_floating_point:
        x = cast(x, _dtype.default_float)
    elif x.dtype is bool_ and op is not ABS:
        raise TypeError(f"{name}(): not supported for bool tensors")
    return apply(op, x)


def _binary(op, name, a, b):
    # The common cases skip the promotion rules: two tensors of one dtype, or a floating tensor
    # and a Python number (which takes the tensor's dtype).
    if type(a) is Tensor and (b.dtype is a.dtype if type(b) is Tensor else
                              type(b) in _NUMBERS and a.dtype.is_floating_point):
        dtype = a.dtype
    elif type(b) is Tensor and type(a) in _NUMBERS and b.dtype.is_floating_point:
        dtype = b.dtype
    else:
        check_number(a, name)
        check_number(b, name)
        dtype = _dtype.result_type(a, b)
    if op in _FLOAT_ONLY and not dtype.is_floating_point and not (
            op is POW and _dtype.category(dtype) == 1):
        dtype = _dtype.default_float
    elif dtype is bool_ and op in _BOOL_ARITHMETIC:
        op = _BOOL_ARITHMETIC[op]
        if op is None:
            raise RuntimeError(f"{name}(): subtraction of two bool tensors is not supported; use "
                               f"logical operations or convert with .long() first")
    elif not isinstance(a, Tensor) and op in _REFLECTED:  # 1 - x, 2 ** x, 3 / x
        op = _REFLECTED[op]
    return apply(op, as_dtype(a, dtype), as_dtype(b, dtype))


def neg(x): return _unary(NEG, "neg", x)
def abs(x): return _unary(ABS, "abs", x)  # noqa: A001  (torch's name)
def sign(x): return _unary(SIGN, "sign", x)
def exp(x): return _unary(EXP, "exp", x)
def log(x): return _unary(LOG, "log", x)
def sqrt(x): return _unary(SQRT, "sqrt", x)
def sin(x): return _unary(SIN, "sin", x)
def cos(x): return _unary(COS, "cos", x)
def tanh(x): return _unary(TANH, "tanh", x)
def sigmoid(x): return _unary(SIGMOID, "sigmoid", x)
def relu(x): return _unary(RELU, "relu", x)
def log2(x): return _unary(LOG2, "log2", x)
def log10(x): return _unary(LOG10, "log10", x)
def log1p(x): return _unary(LOG1P, "log1p", x)
def expm1(x): return _unary(EXPM1, "expm1", x)
def rsqrt(x): return _unary(RSQRT, "rsqrt", x)
def reciprocal(x): return _unary(RECIPROCAL, "reciprocal", x)
def sinh(x): return _unary(SINH, "sinh", x)
def cosh(x): return _unary(COSH, "cosh", x)
def asin(x): return _unary(ASIN, "asin", x)
def acos(x): return _unary(ACOS, "acos", x)
def atan(x): return _unary(ATAN, "atan", x)
def erf(x): return _unary(ERF, "erf", x)
def erfinv(x): return _unary(ERFINV, "erfinv", x)
def square(x): return pow(x, 2)  # torch's square is x ** 2 (PowBackward0)


def _clamp_forward(x, low, high):
    """max(x, low), then min(.., high) (so high wins where low > high, and NaN stays NaN)."""
    dtype = x.dtype
    out = x
    for code, bound in ((C.FG_MAXIMUM, low), (C.FG_MINIMUM, high)):
        if bound is not None:
            bound = bound if isinstance(bound, Tensor) else scalar_tensor(bound, dtype)
            out = K.elementwise(code, dtype, dtype, (out, bound))
    return out


def _within(x, low, high):
    """low <= x <= high, a missing bound leaving its side open."""
    inside = ge(x, low) if low is not None else None
    if high is not None:
        below = le(x, high)
        inside = below if inside is None else mul(inside, below)
    return inside


def clamp(x, min=None, max=None):  # noqa: A002  (torch's names)
    check_tensor(x, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for bound in (min, max):
        if bound is not None:
            check_number(bound, "clamp")
    dtype = _dtype.result_type(x, *[b for b in (min, max) if b is not None])
    x = cast(x, dtype)
    if not (isinstance(min, Tensor) or isinstance(max, Tensor)):
        return apply(CLAMP, x, low=min, high=max)
    if not dtype.is_floating_point:  # no gradients: the kernels alone, a missing bound left out
        return _clamp_forward(x, *[None if b is None else as_dtype(b, dtype) for b in (min, max)])
    return apply(CLAMP_TENSORS, x, *[as_dtype(b if b is not None else side, dtype)
                                     for b, side in ((min, -math.inf), (max, math.inf))])


clip = clamp


_MASK_DTYPE_NAMES = {int64: "long int", float32: "float", _dtype.float64: "double",
                     _dtype.int32: "int", _dtype.int16: "short int", _dtype.int8: "signed char",
                     _dtype.uint8: "unsigned char", _dtype.float16: "c10::Half"}


def masked_fill(x, mask, value):
    check_tensor(x, "masked_fill")
    check_tensor(mask, "masked_fill", "mask")
    if mask.dtype is not bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_MASK_DTYPE_NAMES[mask.dtype]}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        return apply(MASKED_FILL_TENSOR, x, mask, cast(value, x.dtype))
    check_number(value, "masked_fill")
    return apply(MASKED_FILL, x, mask, scalar_tensor(value, x.dtype))


def _rounding(op, name, x):
    """floor, ceil, trunc, round: integers are their own values (a copy, as torch)."""
    check_tensor(x, name)
    if _dtype.category(x.dtype) == 1:
        return clone(x)
    if x.dtype is bool_:
        raise NotImplementedError(f'"{name}_vml_cpu" not implemented for \'Bool\'')
    return apply(op, x)


def floor(x): return _rounding(FLOOR, "floor", x)
def ceil(x): return _rounding(CEIL, "ceil", x)
def trunc(x): return _rounding(TRUNC, "trunc", x)


def round(x, decimals=0):  # noqa: A001  (torch's name)
    """Half to even; with decimals, x * 10^d rounded and divided back (10^-d for d < 0), in x's
    dtype, as torch's kernel computes it."""
    if decimals == 0:
        return _rounding(ROUND, "round", x)
    check_tensor(x, "round")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"round_cpu" not implemented for \'{x.dtype._torch_name}\'')
    return apply(ROUND_DECIMALS, x, decimals=int(decimals))


def _round_decimals(x, decimals):
    ten = scalar_tensor(float(10 ** (decimals if decimals > 0 else -decimals)), x.dtype)
    scale, unscale = (C.FG_MUL, C.FG_DIV) if decimals > 0 else (C.FG_DIV, C.FG_MUL)
    scaled = K.elementwise(scale, x.dtype, x.dtype, (x, ten))
    rounded = K.elementwise(C.FG_ROUND, x.dtype, x.dtype, (scaled,))
    return K.elementwise(unscale, x.dtype, x.dtype, (rounded, ten))


def add(input, other): return _binary(ADD, "add", input, other)  # noqa: A002
def sub(input, other): return _binary(SUB, "sub", input, other)  # noqa: A002
def mul(input, other): return _binary(MUL, "mul", input, other)  # noqa: A002
def div(input, other): return _binary(DIV, "div", input, other)  # noqa: A002
def maximum(input, other): return _binary(MAXIMUM, "maximum", input, other)  # noqa: A002
def minimum(input, other): return _binary(MINIMUM, "minimum", input, other)  # noqa: A002
def eq(input, other): return _binary(COMPARISONS["eq"], "eq", input, other)  # noqa: A002
def ne(input, other): return _binary(COMPARISONS["ne"], "ne", input, other)  # noqa: A002
def lt(input, other): return _binary(COMPARISONS["lt"], "lt", input, other)  # noqa: A002
def le(input, other): return _binary(COMPARISONS["le"], "le", input, other)  # noqa: A002
def gt(input, other): return _binary(COMPARISONS["gt"], "gt", input, other)  # noqa: A002
def ge(input, other): return _binary(COMPARISONS["ge"], "ge", input, other)  # noqa: A002


def pow(input, exponent):  # noqa: A002
    if isinstance(exponent, numbers.Number) and isinstance(input, Tensor) and input.dtype.is_floating_point:
        return _binary(POW_SCALAR, "pow", input, exponent)
    if (type(exponent) is int and exponent < 0 and isinstance(input, Tensor) and
            _dtype.category(input.dtype) == 1):
        # torch refuses only this form; negative tensor exponents give int_pow's 0 (or +-1)
        raise RuntimeError("pow(): Integers to negative integer powers are not allowed.")
    return _binary(POW, "pow", input, exponent)


def where(condition, a, b):
    if not isinstance(condition, Tensor) or condition.dtype is not bool_:
        raise TypeError("where(): condition must be a bool tensor")
    dtype = _dtype.result_type(a, b)
    return apply(WHERE, condition, as_dtype(a, dtype), as_dtype(b, dtype))


def cast(x, dtype):
    return x if x.dtype is dtype else apply(CAST, x, dtype=dtype)


def as_dtype(x, dtype):
    """x as a tensor of `dtype`: Python numbers become 0-d tensors; tensors are cast."""
    if isinstance(x, Tensor):
        return cast(x, dtype)
    return scalar_tensor(x, dtype)


def clone(x):
    return apply(CLONE, x)
