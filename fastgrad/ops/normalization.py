"""Normalisation and embeddings: layer norm and batch norm (fused C kernels both ways,
csrc/norm.c), normalize, and embedding (rows of the weight gathered; the gradient scattered
back). The norm rows take x and whichever of weight and bias are given. Their forward kernels
also write the statistics (mean and rstd per row, mean and invstd per channel), which the
backward kernel reads: they are kept in the node's params (`Stats`). When the backward is itself
recorded (create_graph, forward over reverse), the rules instead compute the gradients from
ops, the statistics recomputed from x, so that they are differentiable again."""
import builtins
import numbers

from .. import _dtype
from .. import _kernels as K
from .. import _kernels_norm as KN
from .._autograd import no_grad, rules_are_recorded
from .._fastgrad_c import lib as C
from .._tensor import Tensor, empty_like_shape
from ._core import Op, apply, check_tensor, zeros
from .copying import repeat
from .elementwise import cast, maximum, ne, rsqrt, where
from .indexing import scatter_add, spread_index
from .norms import norm
from .reductions import mean, sum
from .scatter import index_put_
from .sorting import bincount, unique
from .views import reshape

int64 = _dtype.int64


class Stats:
    """The statistics a norm's forward kernel wrote, for its backward kernel."""
    __slots__ = ("mean", "scale")


# ---- the gradients and tangents from ops -------------------------------------------------------
# One form serves both norms: x normalized over `axes` (the last k for layer norm; all but the
# channel axis for batch norm), the affine parameters laid out by `view` (as they broadcast
# against x) and summed over `param_axes`; in eval, batch norm's statistics are constants.
def _xhat(x, axes, eps, fixed):
    """(xhat, rstd): x normalized over axes, from ops (or from the fixed (mean, var))."""
    if fixed is not None:
        rstd = rsqrt(fixed[1] + eps)
        return (x - fixed[0]) * rstd, rstd
    xc = x - mean(x, axes, True)
    rstd = rsqrt(mean(xc * xc, axes, True) + eps)
    return xc * rstd, rstd


def _d_xhat(t, xhat, rstd, axes, fixed):
    """The derivative of xhat along t: rstd (t - mean(t) - xhat mean(xhat t)), or rstd t."""
    if fixed is not None:
        return rstd * t
    return rstd * (t - mean(t, axes, True) - xhat * mean(xhat * t, axes, True))


def _grads_from_ops(g, x, w, has_b, axes, param_axes, view, eps, fixed, shape):
    """[gx, gw, gb] of w * xhat + b, in differentiable ops (gw, gb of `shape`, or None when
    there is no w, b)."""
    g = cast(g, x.dtype)
    xhat, rstd = _xhat(x, axes, eps, fixed)
    gx = _d_xhat(g if w is None else g * view(w), xhat, rstd, axes, fixed)
    return [gx, None if w is None else cast(reshape(sum(g * xhat, param_axes), shape), w.dtype),
            reshape(sum(g, param_axes), shape) if has_b else None]


def _tangent(tangents, x, w, axes, view, eps, fixed):
    tx, tw, tb = tangents
    xhat, rstd = _xhat(x, axes, eps, fixed)
    dx = None if tx is None else _d_xhat(tx, xhat, rstd, axes, fixed)
    return _sum_parts([dx if w is None or dx is None else dx * view(w),
                       None if tw is None else xhat * view(tw), None if tb is None else view(tb)])


def _sum_parts(parts):
    """The sum of the parts that are not None (None if none is)."""
    out = None
    for part in parts:
        if part is not None:
            out = part if out is None else out + part
    return out


def _unpack(inputs, has_w, has_b):
    """(x, w or None, b or None) from a row's inputs."""
    x, rest = inputs[0], list(inputs[1:])
    w = rest.pop(0) if has_w else None
    return x, w, rest.pop(0) if has_b else None


def _repack(grads, inputs, has_w, has_b):
    """[gx, gw, gb] as the row's inputs are (the absent ones left out), each in its input's
    dtype (the kernels give float32 gradients for float16 operands)."""
    grads = [grads[0]] + ([grads[1]] if has_w else []) + ([grads[2]] if has_b else [])
    return [KN.narrowed(g, t.dtype) for g, t in zip(grads, inputs)]


# ---- layer norm --------------------------------------------------------------------------------
def _layer_geometry(x, k):
    shape = x._a.shape
    n = 1
    for s in shape[len(shape) - k:]:
        n *= s
    rows = x._a.size // n if n else 0
    return rows, n, shape[:len(shape) - k] + (1,) * k


def _layer_norm_forward(x, *wb, k, eps, has_w, has_b, stats):
    x_, w, b = _unpack((x,) + wb, has_w, has_b)
    rows, n, stats_shape = _layer_geometry(x, k)
    out, stats.mean, stats.scale = KN.layer_norm(x, w, b, rows, n, eps, stats_shape)
    return out


def _layer_axes(x, k):
    return tuple(range(x.ndim - k, x.ndim)), tuple(range(x.ndim - k))


def _layer_norm_backward(g, out, *inputs, k, eps, has_w, has_b, stats):
    x, w, _ = _unpack(inputs, has_w, has_b)
    if rules_are_recorded():
        axes, param_axes = _layer_axes(x, k)
        grads = _grads_from_ops(g, x, w, has_b, axes, param_axes, lambda p: p, eps, None,
                                x._a.shape[x.ndim - k:])
    else:
        rows, _, _ = _layer_geometry(x, k)
        grads = KN.layer_norm_backward(cast(g, x.dtype), x, stats.mean, stats.scale, w, rows,
                                       x._a.shape[x.ndim - k:], (True, has_w, has_b))
    return _repack(grads, inputs, has_w, has_b)


def _layer_norm_jvp(op, tangents, out, *inputs, k, eps, has_w, has_b, stats):
    x, w, _ = _unpack(inputs, has_w, has_b)
    tx, tw, tb = _unpack(tangents, has_w, has_b)
    return _tangent((tx, tw, tb), x, w, _layer_axes(x, k)[0], lambda p: p, eps, None)


LAYER_NORM = Op("NativeLayerNormBackward0", _layer_norm_forward, _layer_norm_backward,
                joint=True, jvp=_layer_norm_jvp)


def _check_floating(name, kernel, x):
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_TYPE_NAMES.get(x.dtype, x.dtype)}'")


_TYPE_NAMES = {_dtype.int64: "Long", _dtype.bool_: "Bool", _dtype.int32: "Int"}


def _same_dtype(x, *params):
    """torch's check of the parameters' (and running statistics') dtypes against x's: float32
    ones may go with a float16 x."""
    for p in params:
        if p is not None and p.dtype is not x.dtype and not (
                x.dtype is _dtype.float16 and p.dtype is _dtype.float32):
            if x.dtype is _dtype.float32:
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of "
                                   "Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalizes input over its last len(normalized_shape) dimensions, then * weight + bias."""
    check_tensor(input, "layer_norm")
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(p.shape)} and normalized_shape = "
                               f"{list(shape)}")
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    _check_floating("layer_norm", "LayerNormKernelImpl", input)
    _same_dtype(input, weight, bias)
    wb = [p for p in (weight, bias) if p is not None]
    return apply(LAYER_NORM, input, *wb, k=k, eps=float(eps), has_w=weight is not None,
                 has_b=bias is not None, stats=Stats())


# ---- batch norm --------------------------------------------------------------------------------
def _batch_view(x):
    """A per-channel parameter (C,) as it broadcasts against x (N, C, *)."""
    return lambda p: reshape(p, (-1,) + (1,) * (x.ndim - 2))


def _batch_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _fixed(x, training, running_mean, running_var):
    """Eval mode's statistics as constants shaped to broadcast against x; None in training."""
    if training:
        return None
    view = _batch_view(x)
    return view(running_mean), view(running_var)


def _batch_norm_forward(x, *wb, training, momentum, eps, running_mean, running_var, has_w,
                        has_b, stats):
    x_, w, b = _unpack((x,) + wb, has_w, has_b)
    out, stats.mean, stats.scale = KN.batch_norm(x, w, b, running_mean, running_var, training,
                                                 momentum, eps)
    return out


def _batch_norm_backward(g, out, *inputs, training, momentum, eps, running_mean, running_var,
                         has_w, has_b, stats):
    x, w, _ = _unpack(inputs, has_w, has_b)
    if rules_are_recorded():
        axes = _batch_axes(x)
        grads = _grads_from_ops(g, x, w, has_b, axes, axes, _batch_view(x), eps,
                                _fixed(x, training, running_mean, running_var), (x.shape[1],))
    else:
        grads = list(KN.batch_norm_backward(cast(g, x.dtype), x, stats.mean, stats.scale, w,
                                            training, (True, has_w, has_b)))
    return _repack(grads, inputs, has_w, has_b)


def _batch_norm_jvp(op, tangents, out, *inputs, training, momentum, eps, running_mean,
                    running_var, has_w, has_b, stats):
    x, w, _ = _unpack(inputs, has_w, has_b)
    return _tangent(_unpack(tangents, has_w, has_b), x, w, _batch_axes(x), _batch_view(x), eps,
                    _fixed(x, training, running_mean, running_var))


BATCH_NORM = Op("NativeBatchNormBackward0", _batch_norm_forward, _batch_norm_backward,
                joint=True, jvp=_batch_norm_jvp)


def _check_channels(x, name, t):
    c = x.shape[1]
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalizes input (N, C, *) per channel: with the batch's statistics in training (moving
    the running statistics, when given, towards them in place), with the running ones else."""
    check_tensor(input, "batch_norm")
    if input.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-builtins.max(input.ndim, 1)}, {builtins.max(input.ndim, 1) - 1}], "
                         f"but got 1)")
    if training:
        size = input.numel() // input.shape[1] if input.shape[1] else 0
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
    elif running_mean is None or running_var is None:
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be "
                           f"defined in evaluation mode")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_channels(input, name, t)
    _check_floating("batch_norm", "batch_norm", input)
    _same_dtype(input, weight, bias, running_mean, running_var)
    wb = [p for p in (weight, bias) if p is not None]
    return apply(BATCH_NORM, input, *wb, training=bool(training),
                 momentum=0.0 if momentum is None else float(momentum), eps=float(eps),
                 running_mean=running_mean, running_var=running_var,
                 has_w=weight is not None, has_b=bias is not None, stats=Stats())


# ---- instance norm: batch norm over the (1, N * C, *) view, as torch's ------------------------
def _verify_spatial_size(input):
    spatial = 1
    for size in input.shape[2:]:
        spatial *= size
    if spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalizes each (sample, channel) of input (N, C, *) over its own positions (or with the
    running statistics when not use_input_stats), which are then the mean over the batch of
    the per-sample running statistics."""
    check_tensor(input, "instance_norm")
    if use_input_stats:
        _verify_spatial_size(input)
    b, c = input.shape[0], input.shape[1]

    def per_sample(t):
        return None if t is None else repeat(t, b)

    rm, rv = per_sample(running_mean), per_sample(running_var)
    out = batch_norm(reshape(input, (1, b * c) + tuple(input.shape[2:])), rm, rv,
                     per_sample(weight), per_sample(bias), use_input_stats, momentum, eps)
    for running, folded in ((running_mean, rm), (running_var, rv)):
        if running is not None:
            running.copy_(mean(reshape(folded, (b, c)), 0))
    return reshape(out, input.shape)


# ---- normalize ---------------------------------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(norm(input, p, dim), eps), the norm kept along dim."""
    check_tensor(input, "normalize")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_TYPE_NAMES.get(input.dtype, input.dtype)}")
    denom = maximum(norm(input, p, dim, True), eps).expand(input.shape)
    if out is not None:
        return out.copy_(input / denom)
    return input / denom


# ---- embedding ---------------------------------------------------------------------------------
def _embedding_forward(weight, index, shape, padding_idx, table, freq):
    out = empty_like_shape(index._a.shape, weight.dtype)
    K.gather(out, weight, 0, index, lambda i: IndexError("index out of range in self"))
    return Tensor(out._a.reshape(shape), weight.dtype)


def _embedding_backward(g, out, weight, index, shape, padding_idx, table, freq):
    """g's rows added up at the rows of the table they came from (the padding row's left 0),
    each scaled by freq (1 / its index's count in the batch) when given."""
    if padding_idx is None and freq is None and not rules_are_recorded():  # the training path
        g = Tensor(g._a.reshape(index._a.shape), g.dtype)
        return K.scatter(C.FG_SCATTER_ADD, zeros(table, g.dtype), 0, index, g)
    g = reshape(g, index._a.shape)
    if freq is not None:
        g = g * cast(freq, g.dtype)
    if padding_idx is not None:
        g = where(ne(index, padding_idx), g, 0.0)
    return scatter_add(zeros(table, g.dtype), 0, index, g)


EMBEDDING = Op("EmbeddingBackward0", _embedding_forward, _embedding_backward, None,
               needs=((1,), ()),
               jvp=lambda op, tangents, out, weight, index, **params: apply(op, tangents[0], index,
                                                                           **params))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """weight's rows at the indices in input: input's shape plus weight's second dimension."""
    check_tensor(input, "embedding", "indices")
    check_tensor(weight, "embedding", "weight", " (position 2)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_index_tensor_embedding(input)
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % weight.shape[0]
    if sparse:
        raise NotImplementedError("embedding(): sparse=True needs sparse gradients, and fastgrad "
                                  "has no sparse tensors; use sparse=False")
    index = input if input.dtype is int64 else cast(input, int64)
    # a view when contiguous (the op's own reshape would record a node: indices have no grad)
    index = Tensor(index._a.reshape(-1), int64) if index._a.flags.c_contiguous else \
        index.reshape(-1)
    if max_norm is not None:
        with no_grad():
            _embedding_renorm_(weight, index, float(max_norm), float(norm_type))
    spread = spread_index(index, 0, weight._a.shape)
    return apply(EMBEDDING, weight, spread, shape=input._a.shape + weight._a.shape[1:],
                 padding_idx=padding_idx, table=weight._a.shape,
                 freq=_inverse_counts(index, weight.shape[0]) if scale_grad_by_freq else None)


def _inverse_counts(index, rows):
    """1 / (the count of each index among all of them), per index, as a column (torch's
    scale_grad_by_freq: the scale taken in double, then in the gradient's type)."""
    counts = bincount(index, minlength=rows)
    return reshape(1.0 / cast(counts[index], _dtype.float64), (-1, 1))


def _embedding_renorm_(weight, index, max_norm, norm_type):
    """torch.embedding_renorm_: each looked-up row whose norm exceeds max_norm scaled by
    max_norm / (norm + 1e-7), the norm and the scale in double as torch's."""
    if index.numel() == 0:
        return
    rows = unique(index)
    picked = weight[rows]
    norms = cast(norm(picked, norm_type, 1, True), _dtype.float64)
    scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    index_put_(weight, (rows,), picked * cast(scale, weight.dtype))


def _check_index_tensor_embedding(indices):
    if indices.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"torch.{indices.dtype._torch_name}Tensor instead (while checking "
                           f"arguments for embedding)")


# ---- torch's top-level spellings ---------------------------------------------------------------
def torch_layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5,
                     cudnn_enable=True):
    """torch.layer_norm: F.layer_norm with cudnn_enable (ignored)."""
    return layer_norm(input, normalized_shape, weight, bias, eps)


def torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                     cudnn_enabled):
    """torch.batch_norm: F.batch_norm's arguments in another order, all required."""
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


# ---- group norm --------------------------------------------------------------------------------
# The forward is layer norm's kernel over the (N * groups) rows, then the per-channel affine;
# the gradients and tangents come from ops over the (N, groups, rest) view (differentiable again).
def _grouped(x, groups):
    """x viewed as (N, groups, the rest) (op-level, so that it is differentiable)."""
    n = x.shape[0]
    return reshape(x, (n, groups, x.numel() // (n * groups) if n * groups else 0))


def _group_norm_forward(x, *wb, groups, eps, has_w, has_b):
    _, w, b = _unpack((x,) + wb, has_w, has_b)
    shape = x._a.shape
    rows = shape[0] * groups
    y, _, _ = KN.layer_norm(x, None, None, rows, x._a.size // rows if rows else 0, eps,
                            (shape[0], groups, 1))
    y = Tensor(y._a.reshape(shape), x.dtype)  # the kernel's out is contiguous: a view
    for code, p in ((C.FG_MUL, w), (C.FG_ADD, b)):
        if p is not None:
            p = KN.narrowed(p, x.dtype)
            K.elementwise(code, x.dtype, x.dtype,
                          [y, Tensor(p._a.reshape((-1,) + (1,) * (len(shape) - 2)), x.dtype)],
                          out=y)
    return y


def _group_parts(x, groups, eps):
    """(xhat in x's shape, the derivative of xhat along a tangent t in x's shape)."""
    xr = _grouped(x, groups)
    xhat, rstd = _xhat(xr, (2,), eps, None)
    return reshape(xhat, x.shape), lambda t: reshape(
        _d_xhat(_grouped(t, groups), xhat, rstd, (2,), None), x.shape)


def _group_norm_backward(g, out, *inputs, groups, eps, has_w, has_b):
    x, w, _ = _unpack(inputs, has_w, has_b)
    if x.dtype is _dtype.float16:  # in float, as torch's kernel (_repack rounds back)
        x = cast(x, _dtype.float32)
    g = cast(g, x.dtype)
    xhat, d_xhat = _group_parts(x, groups, eps)
    view, axes = _batch_view(x), _batch_axes(x)
    gx = d_xhat(g if w is None else g * view(w))
    return _repack([gx, None if w is None else sum(g * xhat, axes), sum(g, axes)], inputs,
                   has_w, has_b)


def _group_norm_jvp(op, tangents, out, *inputs, groups, eps, has_w, has_b):
    x, w, _ = _unpack(inputs, has_w, has_b)
    tx, tw, tb = _unpack(tangents, has_w, has_b)
    xhat, d_xhat = _group_parts(x, groups, eps)
    view = _batch_view(x)
    dx = None if tx is None else d_xhat(tx)
    return _sum_parts([dx if w is None or dx is None else dx * view(w),
                       None if tw is None else xhat * view(tw), None if tb is None else view(tb)])


GROUP_NORM = Op("NativeGroupNormBackward0", _group_norm_forward, _group_norm_backward,
                joint=True, jvp=_group_norm_jvp)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalizes input (N, C, *) over each of num_groups groups of channels per sample, then
    * weight + bias per channel."""
    check_tensor(input, "group_norm")
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    if shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.numel() != shape[1]):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(p.shape)} and "
                               f"input of shape {list(shape)}")
    _check_floating("group_norm", "GroupNormKernelImpl", input)
    _same_dtype(input, weight, bias)
    wb = [p for p in (weight, bias) if p is not None]
    return apply(GROUP_NORM, input, *wb, groups=int(num_groups), eps=float(eps),
                 has_w=weight is not None, has_b=bias is not None)


def torch_group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """torch.group_norm: F.group_norm with cudnn_enabled (ignored)."""
    return group_norm(input, num_groups, weight, bias, eps)
