"""Reductions: sum, mean, prod, max/min (over all axes or one, with indices), amax/amin,
argmax/argmin, all/any, count_nonzero, logsumexp, var/std, cumsum/cumprod, on csrc/reduce.c
(norms are in norms.py). A
reduction's gradient lays the upstream gradient back over the reduced axes (a broadcast view, no
copy, when no graph is recorded)."""
import warnings

from .. import _dtype, return_types
from .. import _kernels as K
from .._autograd import rules_are_recorded
from .._fastgrad_c import lib as C
from .._shape import (count, drop_dims_shape, keepdim_shape, normalize_dim, normalize_dims,
                      pick_dim)
from .._tensor import Tensor
from ._core import LINEAR_JVP, Op, apply, check_tensor, full, positions_along, scalar_tensor, zeros
from .elementwise import _cast_forward, abs, cast, eq, exp, log, maximum, minimum, ne, sqrt, where
from .indexing import getitem
from .joining import cat
from .views import broadcast_view, expand, flip, reshape, unsqueeze

bool_, int64 = _dtype.bool_, _dtype.int64
builtins_max = max  # max is torch's below


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


def _kept(t, dims, keepdim, shape):
    """A reduction's result with its reduced axes back as size 1: it broadcasts against x."""
    return t if keepdim else reshape(t, keepdim_shape(shape, dims))


def _extreme_all_backward(g, out, x, dims, keepdim, shape):
    # every extreme element shares the gradient, as torch's max() and median(); NaN is the extreme
    hit = _extremes(_kept(out, dims, keepdim, shape), x)
    return where(hit, _kept(g, dims, keepdim, shape) / sum(hit, dims, True), 0.0)


def _amax_backward(g, out, x, dims, keepdim, shape):
    # torch's amax rule: g shared by the elements equal to the extreme (none for NaN: NaN)
    hit = eq(x, _kept(out, dims, keepdim, shape))
    return _kept(g, dims, keepdim, shape) / sum(hit, dims, True) * hit


def _amax_jvp(op, tangents, out, x, dims, keepdim, shape):
    hit = eq(x, _kept(out, dims, keepdim, shape))
    return sum(where(hit, tangents[0], 0.0), dims, keepdim) / sum(hit, dims, keepdim)


def _extreme_dim_backward(g, out, dims, keepdim, shape, indices):
    if not dims:  # a 0-d input
        return g
    (dim,) = dims
    if not keepdim:
        g, indices = unsqueeze(g, dim), unsqueeze(indices, dim)
    return where(eq(positions_along(shape, dim), indices), g, 0.0)


def _extreme_all_jvp(op, tangents, out, x, dims, keepdim, shape):
    """The tangent averaged over the extreme elements (the transpose of the backward rule)."""
    hit = _extremes(_kept(out, dims, keepdim, shape), x)
    return sum(where(hit, tangents[0], 0.0), dims, keepdim) / sum(hit, dims, keepdim)


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


def _exclusive_cumprod(x, dim):
    """The product of the elements before each one along dim (1 for the first)."""
    head = [slice(None)] * x.ndim
    head[dim] = slice(0, 1)
    rest = list(head)
    rest[dim] = slice(0, x._a.shape[dim] - 1)
    ones = full(getitem(x, tuple(head))._a.shape, x.dtype, 1)
    return cumprod(cat([ones, getitem(x, tuple(rest))], dim), dim)


def _others_product(x, dims):
    """At each element, the product of the others it is reduced with: prod's derivative, made
    without dividing by the element, so zeros give torch's gradient."""
    if not dims:  # a 0-d input is its own product
        return full(x._a.shape, x.dtype, 1)
    if len(dims) > 1:
        return reshape(_others_product(reshape(x, (-1,)), (0,)), x._a.shape)
    (dim,) = dims
    if x._a.shape[dim] == 0:
        return x
    return _exclusive_cumprod(x, dim) * flip(_exclusive_cumprod(flip(x, (dim,)), dim), (dim,))


def _prod_backward(g, out, x, dims, keepdim, shape):
    """torch's cases: no zero in a group, g * prod / x; one zero, the others' product; more, 0."""
    g, out = _kept(g, dims, keepdim, shape), _kept(out, dims, keepdim, shape)
    zeros_ = sum(eq(x, 0), dims, True)
    return where(eq(zeros_, 0), g * out / x,
                 where(eq(zeros_, 1), g * _others_product(x, dims), 0.0))


def _prod_dim_backward(g, out, x, dims, keepdim, shape):
    """torch's: g * prod / x unless the tensor holds a zero anywhere, then the others' product."""
    g, out = _kept(g, dims, keepdim, shape), _kept(out, dims, keepdim, shape)
    return where(eq(sum(eq(x, 0)), 0), g * out / x, g * _others_product(x, dims))


def _prod_jvp(op, tangents, out, x, dims, keepdim, shape):
    return sum(tangents[0] * _others_product(x, dims), dims, keepdim)


def _cumprod_forward(x, dim):
    if x.ndim == 0:
        return _cast_forward(x, x.dtype)
    return K.along_axis(C.FG_CUMPROD, x, dim, x._a.shape, x.dtype)


def _reverse_cumsum(t, dim):
    return flip(cumsum(flip(t, (dim,)), dim), (dim,))


def _zero_marks(x, dim):
    """(before, first, after) along dim: positions before each row's first zero, at it, at or
    after it."""
    zero = cast(eq(x, 0), int64)
    seen = cumsum(zero, dim)  # zeros up to and including each position
    return eq(seen, 0), eq(seen * zero, 1), ne(seen, 0)


def _cumprod_backward(g, out, x, dim):
    """torch's rule, zeros included: before a row's first zero, sum_{j>=k} g_j out_j / x_k; at
    the first zero, the sum of g_j times the running product with that zero read as 1; after
    it, 0 (every product through it holds a zero)."""
    if x.ndim == 0:
        return g
    before, first, after = _zero_marks(x, dim)
    ahead = _reverse_cumsum(g * out, dim) / where(before, x, 1.0)
    at_zero = sum(where(after, g * cumprod(where(first, 1.0, x), dim), 0.0), dim, True)
    return where(before, ahead, where(first, at_zero, 0.0))


def _cumprod_jvp(op, tangents, out, x, dim):
    """The transpose of the backward rule: out * cumsum(t / x) over the elements before the
    first zero, plus the first zero's tangent times the running product with it read as 1."""
    t = tangents[0]
    if x.ndim == 0:
        return t
    before, first, after = _zero_marks(x, dim)
    ahead = out * cumsum(where(before, t / where(before, x, 1.0), 0.0), dim)
    at_zero = sum(where(first, t, 0.0), dim, True) * cumprod(where(first, 1.0, x), dim)
    return ahead + where(after, at_zero, 0.0)


def _logsumexp_forward(x, dims, keepdim):
    # the largest element of each reduced group subtracted first: finite inputs never overflow
    peak = K.reduce(C.FG_MAX, x, dims, True)
    peak = where(eq(abs(peak), float("inf")), 0.0, peak)  # all -inf (or empty), or +inf
    total = log(sum(exp(x.detach() - peak), dims, True)) + peak
    return total if keepdim else reshape(total, drop_dims_shape(x._a.shape, dims))


def _logsumexp_backward(g, out, x, dims, keepdim):
    shape = x._a.shape
    return _kept(g, dims, keepdim, shape) * exp(x - _kept(out, dims, keepdim, shape))


def _logsumexp_jvp(op, tangents, out, x, dims, keepdim):
    return sum(tangents[0] * exp(x - _kept(out, dims, keepdim, x._a.shape)), dims, keepdim)


def _deviations(x, dims):
    """x minus its mean over dims (the first pass of a two-pass variance)."""
    return x - sum(x, dims, True) / count(x._a.shape, dims)


def _var_forward(x, dims, keepdim, divisor):
    # in double, as torch accumulates float32: a float32 mean of large values is off by enough
    # to show in the variance
    d = _deviations(cast(x.detach(), _dtype.float64), dims)
    return cast(sum(d * d, dims, keepdim) / divisor, x.dtype)


def _var_backward(g, out, x, dims, keepdim, divisor):
    return _kept(g, dims, keepdim, x._a.shape) * (2.0 / divisor) * _deviations(x, dims)


def _var_jvp(op, tangents, out, x, dims, keepdim, divisor):
    return sum(_deviations(x, dims) * tangents[0], dims, keepdim) * (2.0 / divisor)


def _std_backward(g, out, x, dims, keepdim, divisor):
    out = _kept(out, dims, keepdim, x._a.shape)
    scale = where(eq(out, 0), 0.0, _kept(g, dims, keepdim, x._a.shape) / out)  # 0 at 0, as torch
    return scale * _deviations(x, dims) / divisor


def _std_jvp(op, tangents, out, x, dims, keepdim, divisor):
    return where(eq(out, 0), 0.0, _var_jvp(op, tangents, out, x, dims, keepdim, divisor) / (2 * out))


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
            lambda g, out, dim: _reverse_cumsum(g, dim) if g.ndim else g,
            save_inputs=False, jvp=LINEAR_JVP)
PROD = Op("ProdBackward0", _reduce_forward(C.FG_PROD), _prod_backward, save_output=True,
          jvp=_prod_jvp)
PROD_DIM = Op("ProdBackward1", _reduce_forward(C.FG_PROD), _prod_dim_backward, save_output=True,
              jvp=_prod_jvp)
AMAX = Op("AmaxBackward0", _reduce_forward(C.FG_MAX), _amax_backward, save_output=True,
          jvp=_amax_jvp)
AMIN = Op("AminBackward0", _reduce_forward(C.FG_MIN), _amax_backward, save_output=True,
          jvp=_amax_jvp)
CUMPROD = Op("CumprodBackward0", _cumprod_forward, _cumprod_backward, save_output=True,
             jvp=_cumprod_jvp)
LOGSUMEXP = Op("LogsumexpBackward0", _logsumexp_forward, _logsumexp_backward, save_output=True,
               jvp=_logsumexp_jvp)
VAR = Op("VarBackward0", _var_forward, _var_backward, jvp=_var_jvp)
STD = Op("StdBackward0", lambda x, **params: sqrt(_var_forward(x, **params)), _std_backward,
         save_output=True, jvp=_std_jvp)


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


def sum_in_rule(g, dim):
    """sum(g, dim) inside a gradient rule (g floating, dim valid): the kernel itself unless the
    rule is recorded (create_graph, forward over reverse)."""
    if rules_are_recorded():
        return sum(g, dim)
    return K.reduce(C.FG_SUM, g, (dim,), keepdim=False)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    check_tensor(x, "mean")
    if dtype is None and not x.dtype.is_floating_point:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {x.dtype._torch_name}")
    x = _reduction_input(x, "mean", dtype)
    dims = normalize_dims(dim, x.ndim, "mean")
    return apply(MEAN if dim is None else MEAN_DIM, x, dims=dims, keepdim=keepdim, shape=x._a.shape)


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
    return getattr(return_types, name)(values, indices)


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


def prod(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    x = _reduction_input(x, "prod", dtype)
    if dim is None:
        return apply(PROD, x, dims=tuple(range(x.ndim)), keepdim=False, shape=x._a.shape)
    if not isinstance(dim, int):  # one dim only, unlike sum
        raise TypeError(f"prod() received an invalid combination of arguments - got (Tensor, "
                        f"{type(dim).__name__}), but expected one of:")
    d = normalize_dim(dim, x.ndim, "prod")
    return apply(PROD_DIM, x, dims=(d,) if x.ndim else (), keepdim=keepdim, shape=x._a.shape)


def cumprod(x, dim=None, *, axis=None, dtype=None):
    dim = axis if axis is not None else dim
    if dim is None:
        raise TypeError("cumprod() missing required argument 'dim'")
    x = _reduction_input(x, "cumprod", dtype)
    return apply(CUMPROD, x, dim=normalize_dim(dim, x.ndim, "cumprod"))


def _extreme_dims(name, x, dim, keepdim, axis, keepdims):
    """The checked axes of amax/amin and the tensors' dims: every axis when none is given."""
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    check_tensor(x, name)
    dims = normalize_dims(dim, x.ndim, name)
    if x._a.size == 0:
        if dim is None or dim == () or dim == []:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                               f"== 0. Specify the reduction dim with the 'dim' argument.")
        for d in dims:
            if x._a.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return dims, keepdim


def amax(x, dim=(), keepdim=False, *, axis=None, keepdims=None):
    dims, keepdim = _extreme_dims("amax", x, dim, keepdim, axis, keepdims)
    return apply(AMAX, x, dims=dims, keepdim=keepdim, shape=x._a.shape)


def amin(x, dim=(), keepdim=False, *, axis=None, keepdims=None):
    dims, keepdim = _extreme_dims("amin", x, dim, keepdim, axis, keepdims)
    return apply(AMIN, x, dims=dims, keepdim=keepdim, shape=x._a.shape)


def _truth(name, x, dim, keepdim, axis, keepdims, code):
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    check_tensor(x, name)
    dims = normalize_dims(dim, x.ndim, name)
    return K.reduce(code, x if x.dtype is bool_ else ne(x, 0), dims, keepdim)


def all(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001  (torch.all)
    return _truth("all", x, dim, keepdim, axis, keepdims, C.FG_MIN)  # of bools: all of them


def any(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001  (torch.any)
    return _truth("any", x, dim, keepdim, axis, keepdims, C.FG_MAX)


def count_nonzero(x, dim=None):
    check_tensor(x, "count_nonzero")
    return sum(ne(x, 0), normalize_dims(dim, x.ndim, "count_nonzero"))


def logsumexp(x, dim, keepdim=False, *, axis=None, keepdims=None):
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    check_tensor(x, "logsumexp")
    if not x.dtype.is_floating_point:
        x = cast(x, _dtype.default_float)
    return apply(LOGSUMEXP, x, dims=normalize_dims(dim, x.ndim, "logsumexp"), keepdim=keepdim)


def _moments(name, op, x, dim, unbiased, keepdim, correction, axis, keepdims):
    """var or std (op) with torch's spellings: var(x, dim, unbiased, keepdim), var(x, unbiased),
    var(x, dim, correction=c, keepdim=k), numpy's axis/keepdims."""
    check_tensor(x, name)
    if isinstance(dim, bool):  # var(x, True): the unbiased flag
        dim, unbiased = None, dim
    dim, keepdim = pick_dim(dim, axis, keepdim, keepdims)
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"correction={type(correction).__name__}, "
                        f"unbiased={type(unbiased).__name__}), but expected one of:")
    if not x.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = normalize_dims(dim, x.ndim, name)
    divisor = builtins_max(count(x._a.shape, dims) - correction, 0)
    if divisor == 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      f"than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return apply(op, x, dims=dims, keepdim=keepdim, divisor=divisor)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    return _moments("var", VAR, x, dim, unbiased, keepdim, correction, axis, keepdims)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    return _moments("std", STD, x, dim, unbiased, keepdim, correction, axis, keepdims)


def _with_mean(name, spread_row, mean_row):
    """var_mean or std_mean: both results under torch's one grad_fn name."""
    def moments_and_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
                         keepdims=None):
        spread = _moments(name, spread_row, x, dim, unbiased, keepdim, correction, axis, keepdims)
        d, keep = pick_dim(None if isinstance(dim, bool) else dim, axis, keepdim, keepdims)
        dims = normalize_dims(d, x.ndim, name)
        return spread, apply(mean_row, x, dims=dims, keepdim=keep, shape=x._a.shape)
    moments_and_mean.__name__ = moments_and_mean.__qualname__ = name
    return moments_and_mean


var_mean = _with_mean("var_mean", VAR.renamed("VarMeanBackward0"),
                      MEAN.renamed("VarMeanBackward0"))
std_mean = _with_mean("std_mean", STD.renamed("StdMeanBackward0"),
                      MEAN.renamed("StdMeanBackward0"))


def _either(a, b):
    """a or b, elementwise, of bools."""
    return where(a, a, b)


def _isclose_all(name, x, other, rtol, atol, equal_nan):
    """Whether every |x - other| <= atol + rtol * |other| (infinities only equal to themselves;
    NaN equal to NaN when equal_nan), torch's isclose."""
    check_tensor(x, name)
    check_tensor(other, name, "other")
    if x.dtype is not other.dtype:
        raise RuntimeError(f"{_dtype_word(x.dtype)} did not match {_dtype_word(other.dtype)}")
    close = eq(x, other)
    if equal_nan:
        close = _either(close, where(ne(x, x), ne(other, other), False))
    error = abs(x - other) if x.dtype.is_floating_point else abs(cast(x - other, _dtype.float64))
    allowed = atol + abs(other * rtol)
    close = _either(close, where(ne(error, float("inf")), error <= allowed, False))
    return bool(K.reduce(C.FG_MIN, close, tuple(range(close.ndim)), False).item())


def _dtype_word(dtype):
    return {"torch.float32": "Float", "torch.float64": "Double", "torch.int64": "Long",
            "torch.bool": "Bool"}[repr(dtype)]


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    return _isclose_all("allclose", input, other, rtol, atol, equal_nan)


def equal(input, other):  # noqa: A002  (torch's names)
    """Same shape and elements (NaN equals nothing), whatever the dtypes."""
    check_tensor(input, "equal")
    check_tensor(other, "equal", "other")
    return input._a.shape == other._a.shape and bool(all(eq(input, other)).item())
