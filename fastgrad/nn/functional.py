"""torch.nn.functional: relu, softmax, log_softmax and one_hot here; the activations in
functional_activations, the losses in functional_losses, pooling, padding and dropout in
functional_pool, convolution and normalisation from their op tables (re-exported below)."""
from .. import _dtype, ops
from ..ops import sigmoid, unsqueeze  # noqa: F401  (sigmoid: torch.nn.functional.sigmoid)
from ..ops._core import check_tensor, zeros
from ..ops.inplace import apply_in_place
from ..ops.conv import conv1d, conv2d
from ..ops.normalization import batch_norm, embedding, group_norm, layer_norm, normalize
from ..ops.normalization import instance_norm
from .functional_activations import *  # noqa: F401,F403  (gelu, silu, ...: __all__ below)
from .functional_activations import __all__ as _activations
from .functional_activations import _implicit_dim
from .functional_losses import *  # noqa: F401,F403  (cross_entropy, ...: __all__ below)
from .functional_losses import __all__ as _losses
from .functional_pool import *  # noqa: F401,F403  (pooling, padding, dropout: __all__ below)
from .functional_pool import __all__ as _pooling

__all__ = ["batch_norm", "conv1d", "conv2d", "embedding", "group_norm", "layer_norm",
           "log_softmax", "normalize", "one_hot", "relu", "sigmoid", "softmax", *_activations,
           *_losses, *_pooling, "instance_norm"]


# ---- the functions -----------------------------------------------------------------------------
def relu(input, inplace=False):
    if inplace:
        return apply_in_place("relu_", lambda x, unused: ops.relu(x), input, 0)
    return ops.relu(input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return ops.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return ops.log_softmax(input, dim, dtype)


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
