"""Elementwise ops, casts and copies: each row names its C kernel (csrc/elementwise.c, one call
over broadcast operands; csrc/copy.c for casts and clones), the gradient rule of each input and
the forward-mode rule. The
backward of relu, sigmoid, tanh, abs and maximum/minimum is a fused kernel with a row of its
own, so the same rule serves backward, create_graph and forward mode. Below the table: the
public functions, which pick the result dtype with PyTorch's promotion rules."""
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

_FLOAT_ONLY = {DIV, POW, EXP, LOG, SQRT, SIN, COS, TANH, SIGMOID, POW_SCALAR,
               _REFLECTED[POW], _REFLECTED[DIV]}
_BOOL_ARITHMETIC = {ADD: MAXIMUM, MUL: MINIMUM, SUB: None}  # or, and; as torch
_NUMBERS = (int, float, bool)


# ---- the functions -----------------------------------------------------------------------------
def _unary(op, name, x):
    check_tensor(x, name)
    if op in _FLOAT_ONLY and not x.dtype.is_floating_point:
        x = cast(x, float32)
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
    if op in _FLOAT_ONLY and not dtype.is_floating_point and not (op is POW and dtype is int64):
        dtype = float32
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
def add(a, b): return _binary(ADD, "add", a, b)
def sub(a, b): return _binary(SUB, "sub", a, b)
def mul(a, b): return _binary(MUL, "mul", a, b)
def div(a, b): return _binary(DIV, "div", a, b)
def maximum(a, b): return _binary(MAXIMUM, "maximum", a, b)
def minimum(a, b): return _binary(MINIMUM, "minimum", a, b)
def eq(a, b): return _binary(COMPARISONS["eq"], "eq", a, b)
def ne(a, b): return _binary(COMPARISONS["ne"], "ne", a, b)
def lt(a, b): return _binary(COMPARISONS["lt"], "lt", a, b)
def le(a, b): return _binary(COMPARISONS["le"], "le", a, b)
def gt(a, b): return _binary(COMPARISONS["gt"], "gt", a, b)
def ge(a, b): return _binary(COMPARISONS["ge"], "ge", a, b)


def pow(a, b):  # noqa: A001  (torch's name)
    if isinstance(b, numbers.Number) and isinstance(a, Tensor) and a.dtype.is_floating_point:
        return _binary(POW_SCALAR, "pow", a, b)
    if (type(b) is int and b < 0 and isinstance(a, Tensor) and a.dtype is int64):
        # torch refuses only this form; negative tensor exponents give int_pow's 0 (or +-1)
        raise RuntimeError("pow(): Integers to negative integer powers are not allowed.")
    return _binary(POW, "pow", a, b)


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
