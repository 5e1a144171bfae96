"""torch.nn.functional's activations. Each is one fused C pass (csrc/elementwise.c's
ACTIVATION_OPS, with torch's CPU formulas) and its backward another, a row of its own whose rules
are differentiable ops, so double backward and forward mode follow as for relu. Parameters
(slope, alpha, beta, threshold) are row params, passed to the kernels as 0-d operands."""
import warnings

from .. import _dtype, _random, ops
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._recording import refuse
from ..ops import exp, sigmoid, tanh, where
from .._tensor import Tensor
from ..ops._core import (ELEMENTWISE_JVP, Op, apply, check_tensor, full, scalar_tensor, total,
                         zeros)
from ..ops.elementwise import _clamp_forward
from ..ops.inplace import apply_in_place
from ..ops.linalg import MM, mm_in_rule
from ..ops.reductions import sum_in_rule

__all__ = ["elu", "elu_", "gelu", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
           "leaky_relu", "leaky_relu_", "linear", "mish", "prelu", "relu6", "relu_", "silu",
           "softplus", "softsign", "tanh", "tanhshrink",
           "celu", "celu_", "glu", "hardshrink", "logsigmoid", "rrelu", "rrelu_", "selu", "selu_",
           "softmin", "softshrink", "threshold", "threshold_"]


def _kernel(code):
    """A row's forward: the C op over its tensors, then its params as 0-d operands."""
    def forward(*xs, **params):
        dtype = xs[-1].dtype
        return K.elementwise(code, dtype, dtype,
                             xs + tuple(scalar_tensor(v, dtype) for v in params.values()))
    return forward


def _softplus_backward_forward(g, x, beta, threshold):
    """The kernel reads input * beta, rounded as torch's kernel rounds it."""
    xb = x if beta == 1 else K.elementwise(C.FG_MUL, x.dtype, x.dtype, (x, scalar_tensor(beta,
                                                                                         x.dtype)))
    return K.elementwise(C.FG_SOFTPLUS_BACKWARD, x.dtype, x.dtype,
                         (g, xb, scalar_tensor(threshold, x.dtype)))


def _hardtanh_backward_forward(g, x, min_val, max_val):
    """0 where x <= min_val or x >= max_val (the bounds included), else g (NaN too), as torch."""
    d, b = x.dtype, _dtype.bool_
    low = K.elementwise(C.FG_LE, d, b, (x, scalar_tensor(min_val, d)))
    high = K.elementwise(C.FG_GE, d, b, (x, scalar_tensor(max_val, d)))
    outside = K.elementwise(C.FG_LOGICAL_OR, b, b, (low, high))
    return K.elementwise(C.FG_WHERE, d, d, (outside, scalar_tensor(0, d), g))


# ---- second derivatives (the backward rows' gradients for the input), as differentiable ops ---
def _gelu_2(x):
    return exp(x * x * -0.5) * 0.3989422804014327 * (2 - x * x)  # pdf(x) (2 - x^2)


def _gelu_tanh_2(x):
    beta, kappa = 0.7978845608028654, 0.044715
    t = tanh(beta * (x + kappa * x * x * x))
    du = beta * (1 + 3 * kappa * x * x)
    return (1 - t * t) * (du + 0.5 * x * (6 * beta * kappa * x - 2 * t * du * du))


def _silu_2(x):
    s = sigmoid(x)
    return s * (1 - s) * (2 + x * (1 - 2 * s))


def _mish_2(x):
    s = sigmoid(x)
    t = tanh(ops.log1p(exp(x)))
    return (1 - t * t) * s * (2 + x * (1 - s) - 2 * x * s * t)


def _backward_row(name, code, second, forward=None):
    """The row of an activation's backward kernel k(g, x, **params): linear in g, so its gradient
    for g is the row again; for x, gg g f''(x)."""
    row = Op(name, forward or _kernel(code),
             lambda gg, out, g, x, **params: apply(row, gg, x, **params),
             lambda gg, out, g, x, **params: gg * g * second(x, **params), jvp=ELEMENTWISE_JVP)
    return row


def _row(name, code, backward_row):
    return Op(name, _kernel(code),
              lambda g, out, x, **params: apply(backward_row, g, x, **params),
              jvp=ELEMENTWISE_JVP)


def _zero_second(x, **params):
    return zeros(x._a.shape, x.dtype)


GELU_BACKWARD = _backward_row("GeluBackwardBackward0", C.FG_GELU_BACKWARD, _gelu_2)
GELU_TANH_BACKWARD = _backward_row("GeluBackwardBackward0", C.FG_GELU_TANH_BACKWARD, _gelu_tanh_2)
# (silu's and mish's backward are decompositions in torch: their nodes are MulBackward0)
SILU_BACKWARD = _backward_row("MulBackward0", C.FG_SILU_BACKWARD, _silu_2)
MISH_BACKWARD = _backward_row("MulBackward0", C.FG_MISH_BACKWARD, _mish_2)
HARDSIGMOID_BACKWARD = _backward_row("HardsigmoidBackwardBackward0", C.FG_HARDSIGMOID_BACKWARD,
                                     _zero_second)
HARDSWISH_BACKWARD = _backward_row("HardswishBackwardBackward0", C.FG_HARDSWISH_BACKWARD,
                                   lambda x: ((x > -3) * (x < 3)).to(x.dtype) / 3)
LEAKY_RELU_BACKWARD = _backward_row("LeakyReluBackwardBackward0", C.FG_LEAKY_RELU_BACKWARD,
                                    _zero_second)
ELU_BACKWARD = _backward_row("EluBackwardBackward0", C.FG_ELU_BACKWARD,
                             lambda x, alpha: where(x < 0, exp(x) * alpha, 0.0))  # 0 at 0: torch's
SOFTPLUS_BACKWARD = _backward_row(
    "SoftplusBackwardBackward0", None,
    lambda x, beta, threshold: where(x * beta > threshold, 0.0,
                                     sigmoid(x * beta) * (1 - sigmoid(x * beta)) * beta),
    _softplus_backward_forward)
HARDTANH_BACKWARD = _backward_row("HardtanhBackwardBackward0", None, _zero_second,
                                  _hardtanh_backward_forward)

GELU = _row("GeluBackward0", C.FG_GELU, GELU_BACKWARD)
GELU_TANH = _row("GeluBackward0", C.FG_GELU_TANH, GELU_TANH_BACKWARD)
SILU = _row("SiluBackward0", C.FG_SILU, SILU_BACKWARD)
MISH = _row("MishBackward0", C.FG_MISH, MISH_BACKWARD)
HARDSIGMOID = _row("HardsigmoidBackward0", C.FG_HARDSIGMOID, HARDSIGMOID_BACKWARD)
HARDSWISH = _row("HardswishBackward0", C.FG_HARDSWISH, HARDSWISH_BACKWARD)
LEAKY_RELU = _row("LeakyReluBackward0", C.FG_LEAKY_RELU, LEAKY_RELU_BACKWARD)
ELU = _row("EluBackward0", C.FG_ELU, ELU_BACKWARD)
SOFTPLUS = _row("SoftplusBackward0", C.FG_SOFTPLUS, SOFTPLUS_BACKWARD)
# torch names the in-place forms' nodes apart (their rule reads the result there)
IN_PLACE = {LEAKY_RELU: LEAKY_RELU.renamed("LeakyReluBackward1"),
            ELU: ELU.renamed("EluBackward1")}
HARDTANH = Op("HardtanhBackward0",
              lambda x, min_val, max_val: _clamp_forward(x, min_val, max_val),
              lambda g, out, x, **params: apply(HARDTANH_BACKWARD, g, x, **params),
              jvp=ELEMENTWISE_JVP)


# ---- the functions -----------------------------------------------------------------------------
def _activation(row, name, kernel_name, input, inplace=False, **params):
    """row applied to a floating input (torch's error names its kernel), or in place."""
    check_tensor(input, name, position=" (position 1)")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel_name}" not implemented for '
                                  f"'{input.dtype._torch_name}'")
    if inplace:
        row = IN_PLACE.get(row, row)
        return apply_in_place(name + "_", lambda x, unused: apply(row, x, **params), input, 0)
    return apply(row, input, **params)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _activation(GELU if approximate == "none" else GELU_TANH, "gelu", "GeluKernelImpl",
                       input)


def silu(input, inplace=False):
    return _activation(SILU, "silu", "silu_cpu", input, inplace)


def mish(input, inplace=False):
    return _activation(MISH, "mish", "mish_cpu", input, inplace)


def hardsigmoid(input, inplace=False):
    return _activation(HARDSIGMOID, "hardsigmoid", "hardsigmoid_cpu", input, inplace)


def hardswish(input, inplace=False):
    return _activation(HARDSWISH, "hardswish", "hardswish_cpu", input, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _activation(LEAKY_RELU, "leaky_relu", "leaky_relu_cpu", input, inplace,
                       negative_slope=float(negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    return _activation(ELU, "elu", "elu_cpu", input, inplace, alpha=float(alpha))


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def softplus(input, beta=1.0, threshold=20.0):
    return _activation(SOFTPLUS, "softplus", "softplus_cpu", input, beta=float(beta),
                       threshold=float(threshold))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(input, min_val, max_val), whose gradient stops at the bounds too (torch's)."""
    check_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return apply_in_place("hardtanh_", lambda x, unused: apply(HARDTANH, x, min_val=min_val,
                                                                      max_val=max_val),
                              input, 0)
    return apply(HARDTANH, input, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def relu_(input):
    return apply_in_place("relu_", lambda x, unused: ops.relu(x), input, 0)


def softsign(input):
    return input / (ops.abs(input) + 1)  # composite in torch too (DivBackward0)


def tanhshrink(input):
    return input - ops.tanh(input)


def linear(input, weight, bias=None):
    """input @ weight^T + bias."""
    check_tensor(input, "linear", position=" (position 1)")
    check_tensor(weight, "linear", "weight", " (position 2)")
    shape, w_shape = input._a.shape, weight._a.shape
    if len(w_shape) == 2 and shape and shape[-1] != w_shape[1]:
        rows = input.numel() // shape[-1] if shape[-1] else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1]} "
                           f"and {w_shape[1]}x{w_shape[0]})")
    if len(w_shape) == 2 and shape and _is_row_bias(bias, weight):
        rows = input if len(shape) == 2 else ops.reshape(input, (-1, shape[-1]))
        out = apply(ADDMM, bias, rows, ops.t(weight))  # torch's node: AddmmBackward0
        return out if len(shape) == 2 else ops.reshape(out, shape[:-1] + w_shape[:1])
    out = ops.matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def _is_row_bias(bias, weight):
    """nn.Linear's bias: one per output, of weight's dtype (others broadcast as an addition)."""
    return isinstance(bias, Tensor) and bias._a.shape == weight._a.shape[:1] and \
        bias.dtype is weight.dtype


def _addmm_forward(bias, a, b):
    return MM.forward(a, b, bias)


def _addmm_jvp(op, tangents, out, bias, a, b):
    tb, ta, tw = tangents
    parts = [tb, None if ta is None else ops.mm(ta, b), None if tw is None else ops.mm(a, tw)]
    return total(*parts)


ADDMM = Op("AddmmBackward0", _addmm_forward, lambda g, out, bias, a, b: sum_in_rule(g, 0),
           lambda g, out, bias, a, b: mm_in_rule(g, b, transpose_b=True),
           lambda g, out, bias, a, b: mm_in_rule(a, g, transpose_a=True, transposed=True),
           needs=((), (2,), (1,)),
           jvp=_addmm_jvp)


def prelu(input, weight):
    """input where positive, else weight * input; weight has one slope, or one per channel
    (dim 1 of input)."""
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight", " (position 2)")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter "
                           f"numbers = {weight.numel()} and channel size = {channels}.")
    if weight.numel() != 1:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    positive = input > 0
    # weight times the input where it is not positive (0 elsewhere, so an inf input gives weight
    # no NaN gradient), as torch's kernel
    return where(positive, input, weight * where(positive, 0.0, input))


# ---- selu, celu, logsigmoid, the shrinks, threshold, glu, softmin, rrelu ----------------
_SELU_NEGCOEF = 1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def _params_forward(code, *names):
    """A backward row's forward: the C op over (g, x) and only the named params."""
    def forward(g, x, **params):
        return K.elementwise(code, x.dtype, x.dtype,
                             (g, x) + tuple(scalar_tensor(params[n], x.dtype) for n in names))
    return forward


SELU_BACKWARD = _backward_row("EluBackwardBackward0", C.FG_SELU_BACKWARD,
                              lambda x: where(x < 0, exp(x) * _SELU_NEGCOEF, 0.0))
CELU_BACKWARD = _backward_row("EluBackwardBackward0", None,
                              lambda x, inv, alpha: where(x < 0, exp(x * inv) * inv, 0.0),
                              _params_forward(C.FG_CELU_BACKWARD, "inv"))
LOG_SIGMOID_BACKWARD = _backward_row("LogSigmoidBackwardBackward0", C.FG_LOG_SIGMOID_BACKWARD,
                                     lambda x: sigmoid(x) * (sigmoid(x) - 1))
SOFTSHRINK_BACKWARD = _backward_row("SoftshrinkBackwardBackward0", C.FG_SHRINK_BACKWARD,
                                    _zero_second)
HARDSHRINK_BACKWARD = _backward_row("HardshrinkBackwardBackward0", C.FG_SHRINK_BACKWARD,
                                    _zero_second)
THRESHOLD_BACKWARD = _backward_row("ThresholdBackwardBackward0", None, _zero_second,
                                   _params_forward(C.FG_THRESHOLD_BACKWARD, "threshold"))
SELU = _row("EluBackward0", C.FG_SELU, SELU_BACKWARD)
CELU = _row("CeluBackward0", C.FG_CELU, CELU_BACKWARD)
LOG_SIGMOID = _row("LogSigmoidBackward0", C.FG_LOG_SIGMOID, LOG_SIGMOID_BACKWARD)
SOFTSHRINK = _row("SoftshrinkBackward0", C.FG_SOFTSHRINK, SOFTSHRINK_BACKWARD)
HARDSHRINK = _row("HardshrinkBackward0", C.FG_HARDSHRINK, HARDSHRINK_BACKWARD)
THRESHOLD = _row("ThresholdBackward0", C.FG_THRESHOLD, THRESHOLD_BACKWARD)
# rrelu: eval is leaky_relu at the mean slope; training multiplies by the drawn noise (1 where
# the input is positive), which is what its gradient multiplies by too
RRELU_EVAL = LEAKY_RELU.renamed("RreluWithNoiseBackward0")
RRELU_TRAIN = Op("RreluWithNoiseBackward0",
                 lambda x, noise: K.elementwise(C.FG_MUL, x.dtype, x.dtype, (x, noise)),
                 lambda g, out, x, noise: g * noise, jvp=ELEMENTWISE_JVP)
IN_PLACE.update({SELU: SELU.renamed("EluBackward1"), CELU: CELU.renamed("CeluBackward1"),
                 THRESHOLD: THRESHOLD.renamed("ThresholdBackward1"),
                 RRELU_EVAL: RRELU_EVAL.renamed("RreluWithNoiseBackward1"),
                 RRELU_TRAIN: RRELU_TRAIN.renamed("RreluWithNoiseBackward1")})


def selu(input, inplace=False):
    return _activation(SELU, "selu", "elu_cpu", input, inplace)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _activation(CELU, "celu", "elu_cpu", input, inplace, inv=1.0 / alpha,
                       alpha=float(alpha))


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def logsigmoid(input):
    return _activation(LOG_SIGMOID, "log_sigmoid", "log_sigmoid_cpu", input)


_LARGEST = {"float16": 65504.0, "float32": 3.4028234663852886e+38,
            "float64": 1.7976931348623157e+308}


def softshrink(input, lambd=0.5):
    check_tensor(input, "softshrink", position=" (position 1)")
    if input.dtype.is_floating_point and not 0 <= lambd <= _LARGEST[str(input.dtype)[6:]]:
        raise RuntimeError(f"lambda must be in range [0, {_LARGEST[str(input.dtype)[6:]]:g}] for "
                           f"input dtype {input.dtype._torch_name}, but found {lambd:g}")
    return _activation(SOFTSHRINK, "softshrink", "softshrink_check", input, lambd=float(lambd))


def hardshrink(input, lambd=0.5):
    return _activation(HARDSHRINK, "hardshrink", "hardshrink_cpu", input, lambd=float(lambd))


def threshold(input, threshold, value, inplace=False):
    """value where input <= threshold, else input. Integers compare and fill with both numbers
    truncated, as torch's kernel converts them."""
    check_tensor(input, "threshold", position=" (position 1)")
    if not input.dtype.is_floating_point:
        out = where(input <= int(threshold), full((), input.dtype, int(value)), input)
        return ops.copy_(input, out) if inplace else out
    return _activation(THRESHOLD, "threshold", "threshold_cpu", input, inplace,
                       threshold=float(threshold), value=float(value))


def threshold_(input, threshold_, value):
    return threshold(input, threshold_, value, True)


def glu(input, dim=-1):
    """a * sigmoid(b), a and b the halves of input along dim."""
    check_tensor(input, "glu", position=" (position 1)")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = dim + input.ndim if dim < 0 else dim
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    return apply(GLU, input, dim=dim)


def _halves(x, dim):
    half = x.shape[dim] // 2
    return ops.narrow(x, dim, 0, half), ops.narrow(x, dim, half, half)


def _glu_forward(x, dim):
    a, b = _halves(x, dim)
    s = K.elementwise(C.FG_SIGMOID, x.dtype, x.dtype, (b,))
    return K.elementwise(C.FG_MUL, x.dtype, x.dtype, (a, s))


def _glu_grad(g, out, x, dim):
    a, b = _halves(x, dim)
    s = sigmoid(b)
    return ops.cat([g * s, g * a * s * (1 - s)], dim)


def _glu_jvp(op, tangents, out, x, dim):
    a, b = _halves(x, dim)
    ta, tb = _halves(tangents[0], dim)
    s = sigmoid(b)
    return ta * s + a * s * (1 - s) * tb


GLU = Op("GluBackward0", _glu_forward, _glu_grad, jvp=_glu_jvp)


def _implicit_dim(name, ndim, stacklevel):
    """torch's choice of dim when none is given (deprecated there, with this warning): softmax's,
    log_softmax's and softmin's."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  f"include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    return ops.softmax(-input, dim, dtype)


def _rrelu(input, lower, upper, training, inplace, generator):
    check_tensor(input, "rrelu", position=" (position 1)")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _activation(RRELU_EVAL, "rrelu", "leaky_relu_cpu", input, inplace,
                           negative_slope=(lower + upper) / 2)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"rrelu_with_noise_out_cpu" not implemented for '
                                  f"'{input.dtype._torch_name}'")
    refuse("rrelu draws one number per non-positive input (a data-dependent count)")
    # torch's loop: one uniform double per input <= 0, in memory order, rounded to the dtype
    negative = input.detach() <= 0
    drawn = _random._uniform(zeros((int(negative.sum().item()),), _dtype.float64), lower, upper,
                             generator)
    noise = full(input._a.shape, input.dtype, 1)
    noise[negative] = drawn.to(input.dtype)
    return _activation(RRELU_TRAIN, "rrelu", "rrelu_with_noise_out_cpu", input, inplace,
                       noise=noise)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    return _rrelu(input, lower, upper, training, inplace, None)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def torch_rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """torch.rrelu, which takes a generator where F.rrelu takes inplace."""
    return _rrelu(input, lower, upper, training, False, generator)


def torch_rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _rrelu(input, lower, upper, training, True, generator)
