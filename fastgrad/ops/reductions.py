"""Reductions: sum, mean, max/min (over all axes or one, with indices), argmax/argmin, cumsum,
norm, on csrc/reduce.c. A reduction's gradient lays the upstream gradient back over the reduced
axes (a broadcast view, no copy, when no graph is recorded)."""
from .. import _dtype
from .. import _kernels as K
from .._autograd import rules_are_recorded
from .._fastgrad_c import lib as C
from .._shape import (count, drop_dims_shape, keepdim_shape, normalize_dim, normalize_dims,
                      pick_dim)
from .._tensor import Tensor
from ._core import LINEAR_JVP, Op, apply, check_tensor, full, positions_along, scalar_tensor, zeros
from .elementwise import _cast_forward, abs, cast, eq, maximum, minimum, where
from .views import broadcast_view, expand, flip, reshape, unsqueeze

bool_, int64 = _dtype.bool_, _dtype.int64


def _drop_dims(t, dims, keepdim):
    """A fresh reduction result without its reduced axes (the same memory, not a view)."""
    if keepdim or not dims:
        return t
    return Tensor(t._a.reshape(drop_dims_shape(t._a.shape, dims)), t.dtype)


def _spread(g, dims, shape):
    """g, the gradient of a reduction over dims, laid back over the reduced input's shape."""
    kept = keepdim_shape(shape, dims)
    if rules_are_recorded() or not g._a.flags.c_contiguous:
        return expand(reshape(g, kept), shape)
    spread = Tensor(broadcast_view(g._a.reshape(kept), shape), g.dtype)  # the same, cheaply
    spread._p = g._p
    return spread


def _reduce_forward(code):
    return lambda x, dims, keepdim, shape, **unused: K.reduce(code, x, dims, keepdim)


_sum_forward = _reduce_forward(C.FG_SUM)


def _mean_forward(x, dims, keepdim, shape):
    total = _sum_forward(x, dims, keepdim, shape)
    return K.elementwise(C.FG_DIV, x.dtype, x.dtype, (total, scalar_tensor(count(shape, dims), x.dtype)))


def _extremes(out, x):
    """Where x holds its extreme `out` (every NaN, when the extreme is NaN)."""
    return where(out != out, x != x, x == out)


def _extreme_all_backward(g, out, x, dims, keepdim, shape):
    # every extreme element shares the gradient, as torch's max(); a NaN is the extreme
    hit = _extremes(out, x)
    return where(hit, g / hit.sum(), 0.0)


def _extreme_dim_backward(g, out, dims, keepdim, shape, indices):
    if not dims:  # a 0-d input
        return g
    (dim,) = dims
    if not keepdim:
        g, indices = unsqueeze(g, dim), unsqueeze(indices, dim)
    return where(eq(positions_along(shape, dim), indices), g, 0.0)


def _extreme_all_jvp(op, tangents, out, x, **params):
    """The tangent averaged over the extreme elements (the transpose of the backward rule)."""
    hit = _extremes(out, x)
    return where(hit, tangents[0], 0.0).sum() / hit.sum()


def _extreme_dim_jvp(op, tangents, out, x, dims, keepdim, shape, indices):
    """The tangent at the index each extreme was taken from."""
    if not dims:
        return tangents[0]
    ones = full(out._a.shape, out.dtype, 1)
    picked = _extreme_dim_backward(ones, out, dims, keepdim, shape, indices)  # 1 where taken
    return sum(tangents[0] * picked, dims, keepdim)


def _cumsum_forward(x, dim):
    if x.ndim == 0:
        return _cast_forward(x, x.dtype)
    return K.along_axis(C.FG_CUMSUM, x, dim, x._a.shape, x.dtype)


def _norm_forward(x, dims, keepdim):
    squares = K.elementwise(C.FG_MUL, x.dtype, x.dtype, (x, x))
    total = K.reduce(C.FG_SUM, squares, dims, keepdim)
    return K.elementwise(C.FG_SQRT, x.dtype, x.dtype, (total,))


def _norm_backward(g, out, x, dims, keepdim):
    if not keepdim:  # lay g and the norm back over x's axes
        g, out = (reshape(t, keepdim_shape(x._a.shape, dims)) for t in (g, out))
    return where(out == 0, 0.0, x * (g / out))  # 0 at the origin, as torch


def _norm_jvp(op, tangents, out, x, dims, keepdim):
    dot_xt = sum(x * tangents[0], dims, keepdim)
    return where(out == 0, 0.0, dot_xt / out)


# ---- the table ---------------------------------------------------------------------------------
SUM = Op("SumBackward0", _sum_forward, lambda g, out, dims, keepdim, shape: _spread(g, dims, shape),
         save_inputs=False, jvp=LINEAR_JVP)
SUM_DIM = SUM.renamed("SumBackward1")
MEAN = Op("MeanBackward0", _mean_forward,
          lambda g, out, dims, keepdim, shape: _spread(g / count(shape, dims), dims, shape),
          save_inputs=False, jvp=LINEAR_JVP)
MEAN_DIM = MEAN.renamed("MeanBackward1")
MAX_ALL = Op("MaxBackward1", _reduce_forward(C.FG_MAX), _extreme_all_backward, save_output=True,
             jvp=_extreme_all_jvp)
MIN_ALL = Op("MinBackward1", _reduce_forward(C.FG_MIN), _extreme_all_backward, save_output=True,
             jvp=_extreme_all_jvp)
MAX_DIM = Op("MaxBackward0", _reduce_forward(C.FG_MAX), _extreme_dim_backward, save_inputs=False,
             jvp=_extreme_dim_jvp)
MIN_DIM = Op("MinBackward0", _reduce_forward(C.FG_MIN), _extreme_dim_backward, save_inputs=False,
             jvp=_extreme_dim_jvp)
CUMSUM = Op("CumsumBackward0", _cumsum_forward,
            lambda g, out, dim: flip(cumsum(flip(g, (dim,)), dim), (dim,)) if g.ndim else g,
            save_inputs=False, jvp=LINEAR_JVP)
NORM = Op("LinalgVectorNormBackward0", _norm_forward, _norm_backward, save_output=True,
          jvp=_norm_jvp)


# ---- the functions -----------------------------------------------------------------------------
def _reduction_input(x, name, dtype):
    check_tensor(x, name)
    if dtype is not None:
        return cast(x, _dtype.to_dtype(dtype))
    return x if x.dtype.is_floating_point else cast(x, int64)  # torch sums integers in int64


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    x = _reduction_input(x, "sum", dtype)
    dims = normalize_dims(dim, x.ndim, "sum")
    return apply(SUM if dim is None else SUM_DIM, x, dims=dims, keepdim=keepdim, shape=x._a.shape)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    check_tensor(x, "mean")
    if dtype is None and not x.dtype.is_floating_point:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {x.dtype._torch_name}")
    x = _reduction_input(x, "mean", dtype)
    dims = normalize_dims(dim, x.ndim, "mean")
    return apply(MEAN if dim is None else MEAN_DIM, x, dims=dims, keepdim=keepdim, shape=x._a.shape)


class _MaxResult(tuple):
    """(values, indices), as torch.return_types.max."""

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


def _extreme(name, all_op, dim_op, arg_code, x, dim, keepdim, axis, keepdims):
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
        return (maximum if all_op is MAX_ALL else minimum)(x, dim)
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    if dim is None:
        if x._a.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                               f"== 0. Specify the reduction dim with the 'dim' argument.")
        return apply(all_op, x, dims=tuple(range(x.ndim)), keepdim=False, shape=x._a.shape)
    d = normalize_dim(dim, x.ndim, name)
    if x.ndim and x._a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    indices = _arg_along(arg_code, x, d, keepdim)
    values = apply(dim_op, x, dims=(d,) if x.ndim else (), keepdim=keepdim, shape=x._a.shape,
                   indices=indices)
    return _MaxResult((values, indices))


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _extreme("max", MAX_ALL, MAX_DIM, C.FG_ARGMAX, x, dim, keepdim, axis, keepdims)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _extreme("min", MIN_ALL, MIN_DIM, C.FG_ARGMIN, x, dim, keepdim, axis, keepdims)


def _arg_along(code, x, dim, keepdim):
    if x.ndim == 0:
        return zeros((), int64)
    shape = keepdim_shape(x._a.shape, (dim,))
    return _drop_dims(K.along_axis(code, x, dim, shape, int64), (dim,), keepdim)


def _arg_extreme(name, code, x, dim, keepdim, axis, keepdims):
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    if dim is None:
        if x._a.size == 0:  # an IndexError here, a RuntimeError for max(): as torch
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
        flat = _arg_along(code, reshape(x.detach(), (-1,)), 0, False)
        return reshape(flat, (1,) * x.ndim) if keepdim else flat
    d = normalize_dim(dim, x.ndim, name)
    if x.ndim and x._a.shape[d] == 0:  # an empty tensor reduces along its non-empty axes
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return _arg_along(code, x, d, keepdim)


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _arg_extreme("argmax", C.FG_ARGMAX, x, dim, keepdim, axis, keepdims)


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _arg_extreme("argmin", C.FG_ARGMIN, x, dim, keepdim, axis, keepdims)


def cumsum(x, dim=None, *, axis=None, dtype=None):
    dim = axis if axis is not None else dim
    if dim is None:
        raise TypeError("cumsum() missing required argument 'dim'")
    x = _reduction_input(x, "cumsum", dtype)
    return apply(CUMSUM, x, dim=normalize_dim(dim, x.ndim, "cumsum"))


def norm(x, p="fro", dim=None, keepdim=False):
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"norm(): input dtype should be floating point, but got {x.dtype!r}")
    if p in (1, 1.0):
        return sum(abs(x), dim, keepdim)
    if p not in ("fro", 2, 2.0):
        raise NotImplementedError(f"norm(): p={p!r} is not supported (use 'fro', 2 or 1)")
    return apply(NORM, x, dims=normalize_dims(dim, x.ndim, "norm"), keepdim=keepdim)
