"""torch.nn.functional's activations. Each is one fused C pass (csrc/elementwise.c's
ACTIVATION_OPS, with torch's CPU formulas) and its backward another, a row of its own whose rules
are differentiable ops, so double backward and forward mode follow as for relu. Parameters
(slope, alpha, beta, threshold) are row params, passed to the kernels as 0-d operands."""
from .. import _dtype, ops
from .. import _kernels as K
from .._fastgrad_c import lib as C
from ..ops import exp, sigmoid, tanh, where
from ..ops._core import ELEMENTWISE_JVP, Op, apply, check_tensor, scalar_tensor, zeros
from ..ops.elementwise import _clamp_forward
from ..ops.inplace import apply_in_place

__all__ = ["elu", "elu_", "gelu", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
           "leaky_relu", "leaky_relu_", "linear", "mish", "prelu", "relu6", "relu_", "silu",
           "softplus", "softsign", "tanh", "tanhshrink"]


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
    if weight.ndim == 2 and input.ndim and input.shape[-1] != weight.shape[1]:
        rows = input.numel() // input.shape[-1] if input.shape[-1] else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                           f"and {weight.shape[1]}x{weight.shape[0]})")
    out = ops.matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


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
