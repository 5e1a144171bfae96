"""torch.nn.functional: relu, softmax, log_softmax, one_hot and scaled_dot_product_attention
here; the activations in functional_activations, the losses in functional_losses, pooling,
padding and dropout in functional_pool, convolution and normalisation from their op tables
(re-exported below)."""
import math

from .. import _dtype, ops
from .._creation import ones
from ..ops import sigmoid, unsqueeze  # noqa: F401  (sigmoid: torch.nn.functional.sigmoid)
from ..ops._core import check_tensor, zeros
from ..ops.elementwise import _MASK_DTYPE_NAMES
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
from .functional_pool import dropout

__all__ = ["batch_norm", "conv1d", "conv2d", "embedding", "group_norm", "layer_norm",
           "log_softmax", "normalize", "one_hot", "relu", "scaled_dot_product_attention",
           "sigmoid", "softmax", *_activations,
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


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, as torch's math path: a boolean mask says
    which keys each query sees (is_causal: the lower triangle), a float mask is added; a query
    that sees no key gets zeros (torch's safe softmax); dropout as F.dropout's, on the weights.
    Composed of our ops, so their gradients are its gradients."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(t, "scaled_dot_product_attention", name)
    if not query.dtype == key.dtype == value.dtype:
        names = [_MASK_DTYPE_NAMES[t.dtype] for t in (query, key, value)]
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           "query.dtype: {} key.dtype: {} and value.dtype: {} instead."
                           .format(*names))
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        attn_mask = ops.tril(ones(query.shape[-2], key.shape[-2], dtype=_dtype.bool_))
    elif attn_mask is not None and attn_mask.dtype not in (_dtype.bool_, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_MASK_DTYPE_NAMES[attn_mask.dtype]}"
                           f" and  query.dtype: {_MASK_DTYPE_NAMES[query.dtype]} instead.")
    if attn_mask is not None and attn_mask.dtype is _dtype.bool_:  # added, as torch: -inf
        attn_mask = ops.masked_fill(zeros(tuple(attn_mask.shape), query.dtype),
                                    ops.logical_not(attn_mask), -math.inf)
    if enable_gqa and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        key, value = (_repeat_heads(t, query.shape[-3] // key.shape[-3]) for t in (key, value))
    # query and key each scaled by sqrt(scale), as torch (its sign on the query)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    factor = math.sqrt(abs(scale))
    weights = ops.matmul(query * math.copysign(factor, scale),
                         ops.transpose(key, -2, -1) * factor)
    if attn_mask is not None:
        weights = weights + attn_mask
        # rows without a key: zeros, with no NaN reaching the gradient through softmax
        blind = ops.all(weights == -math.inf, -1, keepdim=True)
        weights = ops.masked_fill(softmax(ops.masked_fill(weights, blind, 0.0), -1), blind, 0.0)
    else:
        weights = softmax(weights, -1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return ops.matmul(weights, value)


def _repeat_heads(t, times):
    """Each head `times` times in a row (repeat_interleave on dim -3), for grouped queries."""
    shape = tuple(t.shape)
    expanded = ops.expand(ops.unsqueeze(t, -3), shape[:-2] + (times,) + shape[-2:])
    return ops.reshape(expanded, shape[:-3] + (shape[-3] * times,) + shape[-2:])
