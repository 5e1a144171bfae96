"""torch.nn.functional: activations and losses. The loss rows come first: cross_entropy is
one node (log-softmax and the negative log likelihood fused in csrc/nn.c), its backward kernel a
row of its own with its gradients and tangents, so one rule serves backward, create_graph and
forward mode; mse_loss is another node. softmax and log_softmax are fastgrad.ops.softmax's."""
import warnings

from .. import _dtype, ops
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._shape import broadcast_shape
from .._tensor import empty_like_shape
from ..ops import (as_dtype, cast, eq, ne, sigmoid, softmax as _softmax_op, sum, unsqueeze,
                   where)
from ..ops._core import Op, apply, check_tensor, positions_along, total, zeros
from ..ops.inplace import apply_in_place
from ..ops.normalization import batch_norm, embedding, group_norm, layer_norm, normalize

from ..ops.conv import conv1d, conv2d

__all__ = ["cross_entropy", "log_softmax", "mse_loss", "one_hot", "relu", "sigmoid", "softmax"]
__all__ += ["conv1d", "conv2d"]
__all__ += ["batch_norm", "embedding", "group_norm", "layer_norm", "normalize"]
from .functional_pool import *  # noqa: F401,F403  pooling, padding, dropout (its __all__ below)
from .functional_pool import __all__ as _pool_all

__all__ += _pool_all


def _reduce_loss(loss, reduction, count):
    """The per-element losses as reduction ("mean", "sum" or "none") asks: the mean divides by
    count (an int or a 0-d tensor)."""
    if reduction == "none":
        return loss
    total = sum(loss)
    return total / count if reduction == "mean" else total


def _nll_forward(x, target, axis, reduction, ignore_index):
    loss, counted = K.cross_entropy(x, target, axis, ignore_index)
    if reduction == "none":
        return loss
    # the row's forward: the kernels themselves (the public ops would check their arguments)
    total = K.reduce(C.FG_SUM, loss, tuple(range(loss._a.ndim)), keepdim=False)
    if reduction == "sum":
        return total
    count = K.copy_into(empty_like_shape((), x.dtype), counted)
    return K.elementwise(C.FG_DIV, x.dtype, x.dtype, (total, count))


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
def relu(input, inplace=False):
    if inplace:
        return apply_in_place("relu_", lambda x, unused: ops.relu(x), input, 0)
    return ops.relu(input)


def _implicit_dim(name, ndim, stacklevel):
    """torch's choice of dim when none is given (deprecated there, with this warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  f"include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return ops.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return ops.log_softmax(input, dim, dtype)


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


def _check_class_target(input, target):
    """target must hold one int64 class index per position of input off its class axis."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"cross_entropy(): not implemented for dtype {input.dtype!r}")
    if target.dtype is not _dtype.int64:
        if target.dtype.is_floating_point and target.shape == input.shape:
            raise NotImplementedError("cross_entropy(): targets of class probabilities are not "
                                      "supported yet; pass int64 class indices")
        raise RuntimeError(f"cross_entropy(): expected target dtype to be torch.int64 (class "
                           f"indices), but got {target.dtype!r}")
    x_shape, t_shape = input._a.shape, target._a.shape
    axis = 0 if len(x_shape) == 1 else 1
    if len(x_shape) > 1 and t_shape and t_shape[0] == x_shape[0] and \
            t_shape == x_shape[:axis] + x_shape[axis + 1:]:
        return axis  # the common case, checked without making the error texts
    shapes = f"(input of shape {tuple(x_shape)}, target of shape {tuple(t_shape)})"
    if not x_shape:
        raise ValueError(f"cross_entropy(): expected an input of classes, (C,) or (N, C, ...), "
                         f"not a 0-d one {shapes}")
    expected = x_shape[:axis] + x_shape[axis + 1:]
    if len(x_shape) > 1 and (not t_shape or t_shape[0] != x_shape[0]):
        raise ValueError(f"Expected input batch_size ({x_shape[0]}) to match target "
                         f"batch_size ({t_shape[0] if t_shape else 0}). {shapes}")
    if t_shape != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(t_shape)} "
                           f"{shapes}")
    return axis


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax along the class axis (0 for an input (C,), else 1) and the negative log
    likelihood of the int64 class indices in target, fused in one kernel and one graph node."""
    if weight is not None or label_smoothing:
        raise NotImplementedError("cross_entropy(): weight and label_smoothing are not "
                                  "supported yet")
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("cross_entropy", input, target)
    axis = _check_class_target(input, target)
    op = NLL_LOSS_2D if input.ndim > 2 else NLL_LOSS
    loss = apply(op, input, target, axis=axis, reduction=reduction,
                      ignore_index=int(ignore_index))
    if reduction == "none" and input.ndim not in (1, 2, 4):
        loss = ops.view(loss, loss.shape)  # torch computes these as 4-d and views the result
    return loss


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target) ** 2, reduced: one graph node, its gradient 2 (input - target) g."""
    if weight is not None:
        raise NotImplementedError("mse_loss(): weight is not supported yet")
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("mse_loss", input, target)
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=2)
        broadcast_shape("mse_loss", tuple(input.shape), tuple(target.shape))
    dtype = _dtype.result_type(input, target)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"mse_loss(): not implemented for dtype {dtype!r}")
    return apply(MSE_LOSS, as_dtype(input, dtype), as_dtype(target, dtype), reduction=reduction)


def one_hot(tensor, num_classes=-1):
    """An int64 tensor of tensor's shape plus a last axis of num_classes (the largest class
    + 1 when -1) with a 1 at each class index, as torch.nn.functional.one_hot."""
    check_tensor(tensor, "one_hot")
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(ops.max(tensor).item()) + 1
    if tensor.numel() and int(ops.min(tensor).item()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if tensor.numel() and int(ops.max(tensor).item()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = zeros(tuple(tensor.shape) + (num_classes,), _dtype.int64)
    return ops.scatter_(out, -1, unsqueeze(tensor, -1), 1)
