"""torch.nn.functional: activations and losses. softmax, log_softmax and cross_entropy run fused,
numerically stable C kernels (csrc/nn.c) forward and backward; their op rows are in _ops."""
import warnings

from .. import _dtype, _ops
from .. import _kernels as K
from .._ops import sigmoid
from .._tensor import Tensor

__all__ = ["cross_entropy", "log_softmax", "mse_loss", "relu", "sigmoid", "softmax"]


def relu(input, inplace=False):
    if inplace:
        return _ops._inplace("relu_", lambda x, unused: _ops.relu(x), input, 0)
    return _ops.relu(input)


def _implicit_dim(name, ndim, stacklevel):
    """torch's choice of dim when none is given (deprecated there, with this warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  f"include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return _ops.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return _ops.log_softmax(input, dim, dtype)


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
    for t, what in ((input, "input"), (target, "target")):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(t).__name__}")


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
    shapes = f"(input of shape {tuple(input.shape)}, target of shape {tuple(target.shape)})"
    if input.ndim == 0:
        raise ValueError(f"cross_entropy(): expected an input of classes, (C,) or (N, C, ...), "
                         f"not a 0-d one {shapes}")
    axis = 0 if input.ndim == 1 else 1
    expected = tuple(input.shape[:axis] + input.shape[axis + 1:])
    if input.ndim > 1 and (target.ndim == 0 or target.shape[0] != input.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 0}). {shapes}")
    if tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)} "
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
    op = _ops.NLL_LOSS_2D if input.ndim > 2 else _ops.NLL_LOSS
    loss = _ops.apply(op, input, target, axis=axis, reduction=reduction,
                      ignore_index=int(ignore_index))
    if reduction == "none" and input.ndim not in (1, 2, 4):
        loss = _ops.view(loss, loss.shape)  # torch computes these as 4-d and views the result
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
        K.broadcast_shape("mse_loss", tuple(input.shape), tuple(target.shape))
    dtype = _dtype.result_type(input, target)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"mse_loss(): not implemented for dtype {dtype!r}")
    return _ops.apply(_ops.MSE_LOSS, _ops.as_dtype(input, dtype), _ops.as_dtype(target, dtype),
                      reduction=reduction)
