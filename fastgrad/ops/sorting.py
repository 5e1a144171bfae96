"""Sorting and what builds on it, on csrc/sort.c's stable sort along an axis: sort, argsort,
topk, kthvalue, median, mode (their values taken from the input at the sorted indices, so the
gradient goes back to where each value came from), and unique, unique_consecutive, bincount,
histc, histogram (unique and bincount make shapes from the data: they refuse fastgrad.compile)."""
import builtins
import math

from .. import _dtype, _recording, return_types
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._shape import keepdim_shape, normalize_dim
from .._tensor import Tensor, empty_like_shape
from .._autograd import grad_state
from ._core import LINEAR_JVP, Op, apply, check_tensor, full, record, scalar_tensor, zeros
from .elementwise import cast, clamp, eq, ge, le, lt, ne, sub, where
from .indexing import gather, getitem, nonzero, scatter_add
from .joining import cat
from .reductions import _extreme_all_backward, _extreme_all_jvp, any as any_, cumsum, sum
from .views import flatten, permute, reshape, unsqueeze

int64 = _dtype.int64


# ---- taking values at sorted indices -----------------------------------------------------------
def _take_forward(x, index, dim, keepdim, shape):
    out = K.gather(empty_like_shape(index._a.shape, x.dtype), x, dim, index)
    return out if keepdim else Tensor(out._a.reshape(_drop(out._a.shape, dim)), x.dtype)


def _drop(shape, dim):
    return shape[:dim] + shape[dim + 1:]


def _take_backward(g, out, x, index, dim, keepdim, shape):
    if not keepdim and len(shape):
        g = unsqueeze(g, dim)
    return scatter_add(zeros(shape, g.dtype), dim, index, g)


def _take_row(name):
    """x's values at index along dim (index shaped as x but along dim, where it may be shorter);
    the gradient goes back to where each was taken from."""
    return Op(name, _take_forward, _take_backward, None, needs=((1,), ()), jvp=LINEAR_JVP)


SORT = _take_row("SortBackward0")
SORT_STABLE = _take_row("SortBackward1")
TOPK = _take_row("TopkBackward0")
KTHVALUE = _take_row("KthvalueBackward0")
# the median of all elements shares its gradient among the elements equal to it, as max()
MEDIAN = Op("MedianBackward0",
            lambda x, index, **p: _take_forward(reshape(x, (-1,)), index, 0, False, None),
            lambda g, out, x, index, **p: _extreme_all_backward(g, out, x, **p), None,
            save_output=True, needs=((0,), ()),
            jvp=lambda op, tangents, out, x, index, **p: _extreme_all_jvp(op, tangents, out, x, **p))
MEDIAN_DIM = _take_row("MedianBackward1")
MODE = _take_row("ModeBackward0")


def _take(row, x, index, dim, keepdim=True):
    return apply(row, x, index, dim=dim, keepdim=keepdim or x.ndim == 0, shape=x._a.shape)


def _sort_indices(x, dim, descending):
    """The int64 indices that sort x along dim (stably; NaN above every number)."""
    if x.ndim == 0:
        return zeros((), int64)
    code = C.FG_SORT_DESCENDING if descending else C.FG_SORT_ASCENDING
    return K.sort(code, x, dim, x._a.shape)[1]


def _along(x, dim, start, stop):
    """x[..., start:stop, ...] along dim."""
    key = [slice(None)] * x.ndim
    key[dim] = slice(start, stop)
    return getitem(x, tuple(key))


def _dim(name, x, dim):
    check_tensor(x, name)
    return normalize_dim(dim, x.ndim, name)


def _check_nonempty(name, x, dim):
    if x.ndim and x._a.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


# ---- the functions -----------------------------------------------------------------------------
def sort(x, dim=-1, descending=False, *, stable=None):
    """Always stable: torch's order among equal elements when stable=True, and one it may
    give otherwise."""
    dim = _dim("sort", x, dim)
    index = _sort_indices(x, dim, descending)
    row = SORT if stable is None else SORT_STABLE  # torch's name for the stable= overload
    return return_types.sort(_take(row, x, index, dim), index)


def argsort(x, dim=-1, descending=False, *, stable=False):
    return _sort_indices(x, _dim("argsort", x, dim), descending)


def topk(x, k, dim=-1, largest=True, sorted=True):
    dim = _dim("topk", x, dim)
    if not 0 <= k <= (x._a.shape[dim] if x.ndim else 1):
        raise RuntimeError("selected index k out of range")
    index = _sort_indices(x, dim, largest)
    if x.ndim:
        index = _along(index, dim, 0, k)
    return return_types.topk(_take(TOPK, x, index, dim), index)


def kthvalue(x, k, dim=-1, keepdim=False):
    dim = _dim("kthvalue", x, dim)
    if not 1 <= k <= (x._a.shape[dim] if x.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    index = _sort_indices(x, dim, False)
    if x.ndim:
        index = _along(index, dim, k - 1, k)
    return _picked(return_types.kthvalue, KTHVALUE, x, index, dim, keepdim)


def _picked(result, row, x, index, dim, keepdim):
    """(values, indices) of one element per row picked by index (size 1 along dim)."""
    values = _take(row, x, index, dim, keepdim)
    if not keepdim and x.ndim:
        index = reshape(index, _drop(index._a.shape, dim))
    return result(values, index)


def _median_index(x, dim):
    """Where each row's lower median is in x (size 1 along dim): the first NaN if it has one
    (the median is then NaN, as torch's)."""
    n = x._a.shape[dim]
    order = _sort_indices(x, dim, False)
    nans = sum(ne(x, x), dim, keepdim=True)
    position = where(eq(nans, 0), (n - 1) // 2, sub(n, nans))
    return gather(order, dim, position)


def median(x, dim=None, keepdim=False):
    check_tensor(x, "median")
    if dim is None:
        flat = reshape(x, (-1,))
        if flat._a.size == 0:
            return full((), x.dtype, float("nan"))
        index = reshape(_median_index(flat, 0), ())
        return apply(MEDIAN, x, index, dims=tuple(range(x.ndim)), keepdim=False, shape=x._a.shape)
    dim = _dim("median", x, dim)
    _check_nonempty("median", x, dim)
    index = _median_index(x, dim) if x.ndim else zeros((), int64)
    return _picked(return_types.median, MEDIAN_DIM, x, index, dim, keepdim)


def mode(x, dim=-1, keepdim=False):
    dim = _dim("mode", x, dim)
    _check_nonempty("mode", x, dim)
    if x.ndim == 0:
        index = zeros((), int64)
    else:
        index = K.sort(C.FG_SORT_MODE, x, dim, keepdim_shape(x._a.shape, (dim,)))[1]
    return _picked(return_types.mode, MODE, x, index, dim, keepdim)


# ---- data-dependent shapes ---------------------------------------------------------------------
def _groups(rows, order):
    """For rows (n, m) taken in `order`: a bool per row, True where it differs from the row
    before (the first of a group)."""
    ordered = getitem(rows, order)
    if ordered._a.shape[0] == 0:
        return ordered, zeros((0,), _dtype.bool_)
    step = ne(_along(ordered, 0, 1, None), _along(ordered, 0, 0, -1))
    first = full((1,), _dtype.bool_, True)
    return ordered, cat([first, any_(step, 1) if step.ndim > 1 else step], 0)


def _lexsort(rows):
    """The order that sorts the rows of a 2-D tensor lexicographically (stable sorts by each
    column, the last first); of a 1-D tensor, plainly."""
    if rows.ndim == 1:
        return _sort_indices(rows, 0, False)
    order = K.arange(rows._a.shape[0], 0, 1, int64)
    for c in reversed(range(rows._a.shape[1])):
        column = getitem(getitem(rows, order), (slice(None), c))
        order = getitem(order, _sort_indices(column, 0, False))
    return order


def _not_differentiable(out, x, row, error):
    """out, which torch marks as needing a gradient it cannot give: backward raises error."""
    if x._requires_grad and out.dtype.is_floating_point and grad_state.enabled:
        record(row, (x,), out, {"error": error})
    return out


def _no_derivative(g, out, error):
    raise error


# rows whose rule raises, under the names torch prints
_NO_DERIVATIVE = {name: Op(grad_fn, None, _no_derivative, save_inputs=False) for name, grad_fn in (
    ("_unique2", "Unique2Backward0"), ("unique_dim", "UniqueDimBackward0"),
    ("unique_consecutive", "UniqueConsecutiveBackward0"),
    ("histogram", "NotImplemented"))}


def _unique(name, x, sorted_, return_inverse, return_counts, dim):
    _recording.refuse(f"{name} makes a shape from the data")
    check_tensor(x, name)
    if dim is None:
        rows, shape = flatten(x.detach()), None
    else:
        dim = normalize_dim(dim, x.ndim, name)
        front = (dim,) + tuple(d for d in range(x.ndim) if d != dim)
        moved = permute(x.detach(), front)
        rows, shape = reshape(moved, (moved._a.shape[0], -1)), moved._a.shape
    n = rows._a.shape[0]
    order = _lexsort(rows) if sorted_ else K.arange(n, 0, 1, int64)
    ordered, first = _groups(rows, order)
    out = getitem(ordered, first)
    if shape is not None:
        out = permute(reshape(out, (-1,) + shape[1:]), tuple(front.index(d) for d in range(x.ndim)))
    what = {"unique": "_unique2" if dim is None else "unique_dim"}.get(name, name)
    results = [_not_differentiable(out, x, _NO_DERIVATIVE[what], NotImplementedError(
        f"the derivative for '{what}' is not implemented."))]
    if return_inverse:
        group = sub(cumsum(first, 0), 1)
        inverse = K.scatter(C.FG_SCATTER_ASSIGN, zeros((n,), int64), 0, order, group)
        results.append(reshape(inverse, x._a.shape) if dim is None else inverse)
    if return_counts:
        starts = reshape(nonzero(first), (-1,))
        ends = cat([_along(starts, 0, 1, None), full((1,), int64, n)], 0) if n else starts
        results.append(sub(ends, starts))
    return results[0] if len(results) == 1 else tuple(results)


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted whatever `sorted` says (torch's order for sorted=False may differ)."""
    return _unique("unique", x, True, return_inverse, return_counts, dim)


def unique_consecutive(x, return_inverse=False, return_counts=False, dim=None):
    return _unique("unique_consecutive", x, False, return_inverse, return_counts, dim)


def bincount(x, weights=None, minlength=0):
    _recording.refuse("bincount makes a shape from the data")
    check_tensor(x, "bincount")
    if x.dtype.is_floating_point:
        raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                  f"'{'Float' if x.dtype is _dtype.float32 else 'Double'}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x._a.size and K.reduce(C.FG_MIN, x, (0,), False).item() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights._a.shape != x._a.shape):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    x = cast(x, int64)
    top = K.reduce(C.FG_MAX, x, (0,), False).item() + 1 if x._a.size else 0
    n = top if top > minlength else minlength
    if weights is None:
        return K.scatter(C.FG_SCATTER_ADD, zeros((n,), int64), 0, x, full(x._a.shape, int64, 1))
    w = weights.detach()
    if not w.dtype.is_floating_point:
        w = cast(w, _dtype.float64)
    return K.scatter(C.FG_SCATTER_ADD, zeros((n,), w.dtype), 0, x, w)


# ---- histograms --------------------------------------------------------------------------------
def _finite_range(x, low, high, empty, error):
    """[low, high], from the data's extremes when equal (`empty` for no data)."""
    if low == high:
        if not x._a.size:
            return empty
        low = K.reduce(C.FG_MIN, x, tuple(range(x.ndim)), False).item()
        high = K.reduce(C.FG_MAX, x, tuple(range(x.ndim)), False).item()
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(error.format(low=low, high=high))
    return low, high


def _linspace(low, high, steps, dtype):
    """torch.linspace's values: from low up to halfway, then back from high, in dtype."""
    low, high = scalar_tensor(low, dtype), scalar_tensor(high, dtype)
    i = K.arange(steps, 0, 1, dtype)
    step = (high - low) / (steps - 1)
    return where(lt(i, steps // 2), low + i * step, high - (steps - 1 - i) * step)


def _bin_of(x, edges):
    """The bin (of len(edges) - 1) each element of flat x falls in: after the last edge at or
    below it, the last edge itself in the last bin, as torch's binary search; -1 outside."""
    bins = edges._a.shape[0] - 1
    pos = zeros(x._a.shape, int64)
    chunk = builtins.max(1, (1 << 22) // (bins + 1))  # comparisons made at once
    for start in range(0, x._a.shape[0], chunk):
        part = unsqueeze(_along(x, 0, start, start + chunk), 1)
        count = sum(le(edges, part), 1)
        K.copy_into(_along(pos, 0, start, start + chunk), count)
    inside = _both(ge(x, _along(edges, 0, 0, 1)), le(x, _along(edges, 0, bins, None)))
    return where(inside, clamp(pos - 1, 0, bins - 1), -1)


def _both(a, b):
    """a and b, elementwise, of bools."""
    return where(a, b, a)


def _count(x, pos, bins, weight):
    """The weights (1 without) of the elements at each bin position; -1 counts nowhere."""
    inside = ge(pos, 0)
    w = full(x._a.shape, x.dtype, 1) if weight is None else flatten(weight.detach())
    return K.scatter(C.FG_SCATTER_ADD, zeros((bins,), x.dtype), 0, where(inside, pos, 0),
                     where(inside, w, 0.0))


def _check_float(name, x):
    check_tensor(x, name)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{'Long' if x.dtype is int64 else 'Bool'}'")


def histc(x, bins=100, min=0, max=0):  # noqa: A002  (torch's argument names)
    _check_float("histogram_cpu", x)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    low, high = _finite_range(x, min, max, (min, max),
                              "torch.histc: range of [{low}, {high}] is not finite")
    if low == high:
        low, high = low - 1, high + 1
    flat = flatten(x.detach())
    # torch's: the bin by linear interpolation, in x's dtype, the last edge in the last bin
    scaled = (flat - low) * bins / scalar_tensor(high - low, x.dtype)
    pos = clamp(cast(scaled, int64), 0, bins - 1)
    inside = _both(ge(flat, low), le(flat, high))
    return _count(flat, where(inside, pos, -1), bins, None)


def histogram(x, bins, *, range=None, weight=None, density=False):  # noqa: A002
    _check_float("histogramdd", x)
    if weight is not None and weight._a.shape != x._a.shape:
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the "
                           f"same shape as the input tensor excluding its innermost dimension, "
                           f"but got input with shape {list(x.shape) + [1]} and weight with "
                           f"shape {list(weight.shape)}")
    if isinstance(bins, Tensor):
        edges = cast(bins.detach(), x.dtype)
    else:
        low, high = range if range is not None else (0.0, 0.0)
        if low > high:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{low:g} max {high:g} for dimension 0")
        empty = (0.0, 1.0) if range is None else (low, high)
        low, high = _finite_range(x, low, high, empty, "torch.histogramdd: dimension 0's range "
                                  "[{low}, {high}] is not finite")
        if low == high:
            low, high = low - 0.5, high + 0.5
        edges = _linspace(low, high, bins + 1, x.dtype)
    flat = flatten(x.detach())
    n = edges._a.shape[0] - 1
    hist = _count(flat, _bin_of(flat, edges), n, weight)
    if density:
        widths = _along(edges, 0, 1, None) - _along(edges, 0, 0, n)
        hist = hist / (sum(hist) * widths)
    error = RuntimeError("derivative for aten::histogram is not implemented")
    row = _NO_DERIVATIVE["histogram"]
    return return_types.histogram(_not_differentiable(hist, x, row, error),
                                  _not_differentiable(edges, x, row, error))
