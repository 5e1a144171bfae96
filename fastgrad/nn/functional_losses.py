"""torch.nn.functional's losses. cross_entropy of class indices is one node (log-softmax and the
negative log likelihood fused in csrc/nn.c), its backward kernel a row of its own with its
gradients and tangents, so one rule serves backward, create_graph and forward mode; mse_loss is
another node, and so are smooth_l1_loss, huber_loss and the binary cross entropies (rows made by
_pointwise_row: values from ops run without a graph, torch's derivatives as differentiable ops).
The rest are compositions of ops, as torch's are (l1_loss, kl_div, the cross entropies with
weights, label smoothing or class probabilities, nll_loss)."""
import contextlib
import warnings

from .. import _dtype, _recording, ops
from .. import _kernels as K
from .._autograd import grad_state
from .._fastgrad_c import lib as C
from .._shape import broadcast_shape
from ..ops import as_dtype, cast, eq, ne, softmax as _softmax_op, sum, unsqueeze, where
from ..ops.elementwise import DIV
from ..ops._core import Op, apply, check_tensor, positions_along, scalar_tensor, total, zeros

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
           "huber_loss", "kl_div", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss"]


def _reduce_loss(loss, reduction, count):
    """The per-element losses as reduction ("mean", "sum" or "none") asks: the mean divides by
    count (an int or a 0-d tensor)."""
    if reduction == "none":
        return loss
    total = sum(loss)
    return total / count if reduction == "mean" else total


def _nll_forward(x, target, axis, reduction, ignore_index):
    return K.cross_entropy(x, target, axis, ignore_index, reduction)[0]


def _nll_slope(x, target, axis, ignore_index):
    """From differentiable ops: softmax(x) - onehot(target), each position's loss's derivative
    along the class axis, and where the target counts (is not ignore_index)."""
    t = unsqueeze(target, axis)
    onehot = cast(eq(positions_along(x._a.shape, axis), t), x.dtype)
    return _softmax_op(x, axis) - onehot, ne(t, ignore_index)


def _nll_jvp(op, tangents, out, x, target, axis, reduction, ignore_index):
    """The loss's tangent: each counted position's slope against the tangent, reduced. Also the
    gradient of the backward row for its g (the two are transposes of one linear map)."""
    slope, counts = _nll_slope(x, target, axis, ignore_index)
    per_position = sum(where(counts, slope * tangents[0], 0.0), axis)
    return _reduce_loss(per_position, reduction, sum(counts))


# The backward row: dx = s (softmax(x) - onehot) where the target counts, s being g per position
# (reduction "none"), g, or g / count ("mean"). Linear in g; in x, s times softmax's Jacobian,
# which is symmetric, so the same function is its gradient and its tangent for x.
def _nll_backward_x(gg, out, g, x, target, axis, reduction, ignore_index):
    t = unsqueeze(target, axis)
    counts = ne(t, ignore_index)
    scale = unsqueeze(g, axis) if reduction == "none" else g / sum(counts) if (
        reduction == "mean") else g
    p = _softmax_op(x, axis)
    h = where(counts, gg * scale, 0.0)
    return p * (h - sum(h * p, axis, True))


def _nll_backward_jvp(op, tangents, out, g, x, target, **params):
    tg, tx, _ = tangents
    return total(None if tg is None else apply(op, tg, x, target, **params),
                 None if tx is None else _nll_backward_x(tx, out, g, x, target, **params))


def _mse_forward(x, y, reduction):
    d = K.elementwise(C.FG_SUB, x.dtype, x.dtype, (x, y))
    return _reduce_loss(K.elementwise(C.FG_MUL, x.dtype, x.dtype, (d, d)), reduction, d._a.size)


def _mse_backward(g, out, x, y, reduction):
    d = x - y
    return d * (g * 2 / d._a.size if reduction == "mean" else g * 2)


def _mse_jvp(op, tangents, out, x, y, reduction):
    tx, ty = tangents
    dt = -ty if tx is None else tx if ty is None else tx - ty
    d = x - y
    return _reduce_loss(2 * d * dt, reduction, d._a.size)


# ---- the table ---------------------------------------------------------------------------------
# cross_entropy as one node: log-softmax and the negative log likelihood fused. torch names the
# node after the likelihood, NllLoss2DBackward0 for inputs of more than two dimensions.
NLL_LOSS = Op("NllLossBackward0", _nll_forward,
              lambda g, out, x, target, **params: apply(NLL_LOSS_BACKWARD, cast(g, x.dtype), x,
                                                        target, **params),
              None, needs=((0, 1), ()), jvp=_nll_jvp)
NLL_LOSS_2D = NLL_LOSS.renamed("NllLoss2DBackward0")
NLL_LOSS_BACKWARD = Op("NllLossBackwardBackward0",
                       lambda g, x, target, axis, reduction, ignore_index: K.cross_entropy_backward(
                           g, x, target, axis, ignore_index, reduction == "mean"),
                       lambda gg, out, g, x, target, **params: _nll_jvp(None, (gg,), None, x,
                                                                        target, **params),
                       _nll_backward_x, None, jvp=_nll_backward_jvp)
MSE_LOSS = Op("MseLossBackward0", _mse_forward, _mse_backward,
              lambda g, out, x, y, reduction: -_mse_backward(g, out, x, y, reduction), jvp=_mse_jvp)


# ---- the functions -----------------------------------------------------------------------------
def _reduction(reduction, size_average, reduce):
    """The reduction, from the legacy size_average and reduce arguments too, as torch."""
    if size_average is not None or reduce is not None:
        reduction = "none" if reduce is False else "sum" if size_average is False else "mean"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check_tensors(name, input, target):
    check_tensor(input, name)
    check_tensor(target, name, "target")


def _check_class_target(input, target, name="cross_entropy"):
    """target must hold one int64 class index per position of input off its class axis."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"{name}(): not implemented for dtype {input.dtype!r}")
    if target.dtype is not _dtype.int64:
        if name == "nll_loss":
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                               f"{target.dtype._torch_name}")
        raise RuntimeError(f"cross_entropy(): expected target dtype to be torch.int64 (class "
                           f"indices), but got {target.dtype!r}")
    x_shape, t_shape = input._a.shape, target._a.shape
    axis = 0 if len(x_shape) == 1 else 1
    if len(x_shape) > 1 and t_shape and t_shape[0] == x_shape[0] and \
            t_shape == x_shape[:axis] + x_shape[axis + 1:]:
        return axis  # the common case, checked without making the error texts
    shapes = f"(input of shape {tuple(x_shape)}, target of shape {tuple(t_shape)})"
    if not x_shape:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    expected = x_shape[:axis] + x_shape[axis + 1:]
    if len(x_shape) > 1 and (not t_shape or t_shape[0] != x_shape[0]):
        raise ValueError(f"Expected input batch_size ({x_shape[0]}) to match target "
                         f"batch_size ({t_shape[0] if t_shape else 0}). {shapes}")
    if t_shape != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(t_shape)} "
                           f"{shapes}")
    return axis


def _check_weight(weight, classes, prefix=""):
    if weight is not None and (weight.ndim != 1 or weight.numel() != classes):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")


def _class_view(weight, ndim, axis):
    """weight (C,) shaped to broadcast along the class axis of an input of ndim dimensions."""
    return weight.reshape((-1,) + (1,) * (ndim - axis - 1))


def _nll_picked(x, safe, axis):
    return ops.gather(x, axis, unsqueeze(safe, axis)).squeeze(axis)


def _nll_weighted_forward(x, safe, counted, w, axis, reduction):
    """-w x[t] where counted, else 0, reduced; 'mean' divides by the summed weights."""
    with _values_only():
        loss = where(counted, -w * _nll_picked(x, safe, axis), 0.0)
        return _reduce_loss(loss, reduction, sum(w))


def _nll_weighted_grad(g, out, x, safe, counted, w, axis, reduction):
    """-w g (g / sum(w) for 'mean') scattered to each counted position's target class."""
    scale = g / sum(w) if reduction == "mean" else g
    coefficient = where(counted, -w * scale, 0.0)
    return ops.scatter(zeros(x._a.shape, x.dtype), axis, unsqueeze(safe, axis),
                       unsqueeze(coefficient, axis))


def _nll_weighted_jvp(op, tangents, out, x, safe, counted, w, axis, reduction):
    per_position = where(counted, -w * _nll_picked(tangents[0], safe, axis), 0.0)
    return _reduce_loss(per_position, reduction, sum(w))


# nll_loss of log-probabilities (and cross_entropy with class weights or label smoothing): one
# node, its inputs x, the targets (0 where ignored), where they count and their weights.
NLL_WEIGHTED = Op("NllLossBackward0", _nll_weighted_forward, _nll_weighted_grad, None, None, None,
                  needs=((0, 1, 2, 3), (), (), ()), jvp=_nll_weighted_jvp)
NLL_WEIGHTED_2D = NLL_WEIGHTED.renamed("NllLoss2DBackward0")


def _nll(x, target, weight, ignore_index, reduction, axis):
    """-weight[t] x[t] at each position whose target t is not ignore_index (0 where it is);
    'mean' divides by the summed weights of the counted targets, as torch."""
    counted = ne(target, ignore_index)
    safe = where(counted, target, 0)
    op = NLL_WEIGHTED_2D if x.ndim > 2 else NLL_WEIGHTED
    try:  # gather checks the indices in C (no read of the data, so compile can replay it)
        w = cast(counted, x.dtype) if weight is None else where(counted, weight[safe], 0.0)
        loss = apply(op, x, safe, counted, w, axis=axis, reduction=reduction)
    except (RuntimeError, IndexError):
        bad = counted * ((target < 0) + (target >= x.shape[axis]))
        if not ops.any(bad):
            raise
        raise IndexError(f"Target {int(target[bad].reshape(-1)[0].item())} is out of "
                         f"bounds.") from None
    if reduction == "none" and x.ndim not in (1, 2, 4):
        loss = ops.view(loss, loss.shape)  # torch computes these as 4-d and views the result
    return loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """The negative log likelihood of class indices, given log-probabilities along dim 1 (or 0
    for an input (C,)), each weighted by its class's weight."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("nll_loss", input, target)
    axis = _check_class_target(input, target, "nll_loss")
    _check_weight(weight, input.shape[axis])
    return _nll(input, target, weight, int(ignore_index), reduction, axis)


def _label_smoothing(logp, target, weight, ignore_index, reduction, axis):
    """The smoothing term of cross_entropy: the (weighted) sum of -log p over the classes, 0 where
    the target is ignored; 'mean' divides as nll's does."""
    smooth = -sum(logp if weight is None else logp * _class_view(weight, logp.ndim, axis), axis)
    counted = ne(target, ignore_index)
    smooth = where(counted, smooth, 0.0)
    if reduction == "none":
        return smooth
    if reduction == "sum":
        return sum(smooth)
    if weight is None:
        return sum(smooth) / sum(counted)
    return sum(smooth) / sum(where(counted, weight[where(counted, target, 0)], 0.0))


_DIV_BY_NUMBER = DIV.renamed("DivBackward1")  # torch's name for a division by a number


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, smoothing):
    """Targets of class probabilities (target shaped as input): -sum(p log softmax(input)) per
    position; 'mean' divides by the number of positions (not by weights), as torch."""
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {target.dtype._torch_name}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    _check_weight(weight, classes, "cross_entropy: ")
    logp = ops.log_softmax(input, axis)
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / classes
    product = logp * target
    if weight is not None:
        product = product * _class_view(weight, input.ndim, axis)
    if reduction == "none":
        return -sum(product, axis)
    if reduction == "sum":
        return -sum(product)
    count = input.numel() // classes if input.numel() else float("nan")
    return apply(_DIV_BY_NUMBER, -sum(product), scalar_tensor(count, input.dtype))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax along the class axis (0 for an input (C,), else 1) and the negative log
    likelihood of target: int64 class indices (fused in one kernel and one graph node when there
    is no weight nor label smoothing) or class probabilities (target shaped as input)."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("cross_entropy", input, target)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input._a.shape == target._a.shape:
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction,
                                            label_smoothing)
    axis = _check_class_target(input, target)
    ignore_index = int(ignore_index)
    if weight is None and not label_smoothing:
        op = NLL_LOSS_2D if input.ndim > 2 else NLL_LOSS
        loss = apply(op, input, target, axis=axis, reduction=reduction, ignore_index=ignore_index)
        if reduction == "none" and input.ndim not in (1, 2, 4):
            loss = ops.view(loss, loss.shape)  # torch computes these as 4-d and views the result
        return loss
    _check_weight(weight, input.shape[axis])
    logp = ops.log_softmax(input, axis)
    nll = _nll(logp, target, weight, ignore_index, reduction, axis)
    if not label_smoothing:
        return nll
    smooth = _label_smoothing(logp, target, weight, ignore_index, reduction, axis)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / input.shape[axis])


def _broadcast_warning(input, target):
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=4)


def _regression_operands(name, input, target):
    """input and target in their common floating dtype (torch warns where shapes differ, then
    broadcasts)."""
    _check_tensors(name, input, target)
    _broadcast_warning(input, target)
    shape = broadcast_shape(name, tuple(input.shape), tuple(target.shape))
    dtype = _dtype.result_type(input, target)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"{name}(): not implemented for dtype {dtype!r}")
    input, target = as_dtype(input, dtype), as_dtype(target, dtype)
    if input.shape != shape or target.shape != shape:
        input, target = input.expand(shape), target.expand(shape)
    return input, target


def _weighted(loss, weight, reduction, mean_by_weight=True):
    """torch's weighted regression losses (in Python there): loss * weight, reduced; the mean
    divides by the summed weights (huber's by the count)."""
    if weight.shape != loss.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return sum(loss)
    return sum(loss) / sum(weight) if mean_by_weight else ops.mean(loss)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target) ** 2, reduced: one graph node, its gradient 2 (input - target) g."""
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _regression_operands("mse_loss", input, target)
    if weight is not None:
        return _weighted(ops.pow(input - target, 2), weight, reduction)
    return apply(MSE_LOSS, input, target, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced (composed of ops, as torch's)."""
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _regression_operands("l1_loss", input, target)
    loss = ops.abs(input - target)
    if weight is not None:
        return _weighted(loss, weight, reduction)
    return loss if reduction == "none" else sum(loss) if reduction == "sum" else ops.mean(loss)


# ---- losses of one value per element, as graph nodes ------------------------------------------
@contextlib.contextmanager
def _values_only():
    """Ops that record no node and carry no tangent: a row's forward made of ops."""
    enabled, level = grad_state.enabled, grad_state.fw_level
    grad_state.enabled, grad_state.fw_level = False, None
    try:
        yield
    finally:
        grad_state.enabled, grad_state.fw_level = enabled, level


def _spread(g, reduction, x):
    """The upstream gradient of the reduced loss, per element."""
    return g / x._a.size if reduction == "mean" else g


def _pointwise_row(name, loss, *derivatives):
    """A loss node over inputs of one shape (weights broadcasting to it): loss(*inputs, **params)
    gives the per-element losses (ops, run without a graph), reduced as `reduction` asks;
    derivatives[i](*inputs, **params) input i's per-element derivative (ops, so differentiable
    again), None where input i gets no gradient (as torch's weights)."""
    def forward(*inputs, reduction, **params):
        with _values_only():
            return _reduce_loss(loss(*inputs, **params), reduction, inputs[0]._a.size)

    def rule(derivative):
        return lambda g, out, *inputs, reduction, **params: \
            _spread(g, reduction, inputs[0]) * derivative(*inputs, **params)

    def jvp(op, tangents, out, *inputs, reduction, **params):
        parts = [t * d(*inputs, **params) for t, d in zip(tangents, derivatives)
                 if t is not None and d is not None]
        per_element = total(*parts) if parts else zeros(inputs[0]._a.shape, inputs[0].dtype)
        return _reduce_loss(per_element, reduction, inputs[0]._a.size)

    return Op(name, forward, *[rule(d) if d else None for d in derivatives], jvp=jvp)


def _smooth_l1(x, t, beta):
    z = ops.abs(x - t)
    return where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)


def _smooth_l1_slope(x, t, beta):
    d = x - t
    return where(d < -beta, -1.0, where(d > beta, 1.0, d / beta))


def _huber(x, t, delta):
    z = ops.abs(x - t)
    return where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


def _huber_slope(x, t, delta):
    return ops.clamp(x - t, -delta, delta)


_EPSILON = 9.999999960041972e-13  # torch's 1e-12 of its gradient is a float's


def _bce(x, t, w):
    """torch's, with the logs clamped at -100 (so 0 and 1 give finite losses)."""
    return w * ((t - 1) * ops.clamp(ops.log1p(-x), min=-100) - t * ops.clamp(ops.log(x), min=-100))


def _log_sigmoid(x):
    return ops.minimum(x, zeros((), x.dtype)) - ops.log1p(ops.exp(-ops.abs(x)))  # stable


def _bce_logits(x, t, w, pos_weight):
    log_sigmoid = _log_sigmoid(x)
    if pos_weight is not None:
        log_sigmoid = log_sigmoid * ((pos_weight - 1) * t + 1)
    return w * ((1 - t) * x - log_sigmoid)


def _bce_logits_slope(x, t, w, pos_weight):
    if pos_weight is None:
        return w * (ops.sigmoid(x) - t)
    pt = pos_weight * t
    return w * ((pt + 1 - t) * ops.sigmoid(x) - pt)


def _bce_logits_target_slope(x, t, w, pos_weight):
    if pos_weight is None:
        return -w * x
    return w * (_log_sigmoid(-x) - _log_sigmoid(x) * pos_weight)


SMOOTH_L1_LOSS = _pointwise_row("SmoothL1LossBackward0", _smooth_l1, _smooth_l1_slope,
                                lambda x, t, beta: -_smooth_l1_slope(x, t, beta))
HUBER_LOSS = _pointwise_row("HuberLossBackward0", _huber, _huber_slope,
                            lambda x, t, delta: -_huber_slope(x, t, delta))
BCE = _pointwise_row("BinaryCrossEntropyBackward0", _bce,
                     lambda x, t, w: w * (x - t) / ops.clamp((1 - x) * x, min=_EPSILON),
                     lambda x, t, w: w * (ops.log1p(-x) - ops.log(x)), None)
BCE_WITH_LOGITS = _pointwise_row("BinaryCrossEntropyWithLogitsBackward0",
                                 lambda x, t, w, pos_weight=None: _bce_logits(x, t, w, pos_weight),
                                 lambda x, t, w, pos_weight=None: _bce_logits_slope(
                                     x, t, w, pos_weight),
                                 lambda x, t, w, pos_weight=None: _bce_logits_target_slope(
                                     x, t, w, pos_weight), None)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _regression_operands("smooth_l1_loss", input, target)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)  # as torch
    return apply(SMOOTH_L1_LOSS, input, target, reduction=reduction, beta=float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    reduction = _reduction(reduction, None, None)
    input, target = _regression_operands("huber_loss", input, target)
    if weight is not None:
        loss = apply(HUBER_LOSS, input, target, reduction="none", delta=float(delta))
        return _weighted(loss, weight, reduction, mean_by_weight=False)
    return apply(HUBER_LOSS, input, target, reduction=reduction, delta=float(delta))


def _binary_weight(weight, input):
    """weight (broadcast to input, as torch expands it), or a 1 that changes nothing."""
    if weight is None:
        return scalar_tensor(1, input.dtype)
    check_tensor(weight, "binary_cross_entropy", "weight")
    return as_dtype(weight, input.dtype).expand(broadcast_shape(
        "binary_cross_entropy", tuple(input.shape), tuple(weight.shape)))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t log x + (1 - t) log(1 - x)) of probabilities x, the logs clamped at -100."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("binary_cross_entropy", input, target)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         f"size.")
    # torch's kernel checks the values; here a read of them, which fastgrad.compile's replays
    # skip (they would refuse to record otherwise)
    if _recording.recorder is None and ops.any(ops.logical_not((input >= 0) * (input <= 1))):
        raise RuntimeError("all elements of input should be between 0 and 1")
    target = as_dtype(target, input.dtype)
    return apply(BCE, input, target, _binary_weight(weight, input), reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy of sigmoid(input), computed from log-sigmoid: finite and exact at
    logits of any size. pos_weight weighs the positive term (one per class, the last dim)."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("binary_cross_entropy_with_logits", input, target)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    target = as_dtype(target, input.dtype)
    params = {} if pos_weight is None else {"pos_weight": as_dtype(pos_weight, input.dtype)}
    return apply(BCE_WITH_LOGITS, input, target, _binary_weight(weight, input),
                 reduction=reduction, **params)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target (log target) times (log target - input), input being log-probabilities; reduced,
    'batchmean' dividing the sum by the batch size (composed of ops, as torch's)."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    elif reduction != "batchmean":
        _reduction(reduction, None, None)
    _check_tensors("kl_div", input, target)
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = where(target == 0, 0.0, target * ops.log(target)) - target * input  # xlogy
    if reduction == "none":
        return loss
    if reduction == "mean":
        return ops.mean(loss)
    loss = sum(loss)
    return loss / input.shape[0] if reduction == "batchmean" and input.ndim else loss
