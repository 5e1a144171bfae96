"""Indexing: basic keys (ints, slices, None, ...) make views; advanced keys (lists, int64 or
bool tensors) gather and scatter on C kernels (csrc/index.c), as torch computes them. The key's
ints, slices and None make a view v; each index tensor then indexes one axis of v (a k-d mask,
k axes, through its nonzero coordinates). The index tensors broadcast to one shape B and fold
into one flat index into v's indexed axes; those axes are moved together (if they are not) and
merged into one, and a gather along it gives the result, whose B axes stand where the indexed
axes were, or first if they were apart (numpy's rule). gather, scatter_add and index_select
run on the same kernels."""
import functools
import math
import numbers
import warnings

import numpy as np

from .. import _creation, _dtype
from .. import _kernels as K
from .._autograd import check_writable, grad_state
from .._fastgrad_c import lib as C
from .._shape import broadcast_shape, broadcasts_to, normalize_dim
from .._tensor import Tensor, empty_like_shape
from ._core import LINEAR_JVP, Op, apply, check_number, check_tensor, scalar_tensor, zeros
from .elementwise import _cast_forward, clone
from .inplace import apply_in_place, check_no_overlap, copy_, fill_, recording_into
from .views import _view_op, broadcast_view, permute, reshape, reshaped_array, expand

bool_, int64 = _dtype.bool_, _dtype.int64


def _index_backward_forward(g, key, shape):
    grad = zeros(shape, g.dtype)
    K.copy_into(grad._view(grad._a[key]), g)
    return grad


def _index_backward(g, out, key, shape):
    return apply(INDEX_BACKWARD, g, key=key, shape=shape)


def _rows(x, perm, rows_shape):
    """x with its indexed axes moved together (perm) and merged into one: rows_shape."""
    return reshape(x if perm is None else permute(x, perm), rows_shape)


def _unrows(rows, perm, in_shape):
    """The inverse of _rows."""
    if perm is None:
        return reshape(rows, in_shape)
    moved = reshape(rows, tuple(in_shape[d] for d in perm))
    return permute(moved, tuple(np.argsort(perm).tolist()))


def _index_forward(x, index, perm, rows_shape, dim, shape, in_shape):
    out = _gather_forward(_rows(x.detach(), perm, rows_shape), index, dim)
    return Tensor(out._a.reshape(shape), x.dtype)


def _advanced_index_backward(g, out, x, index, perm, rows_shape, dim, shape, in_shape):
    rows = scatter_add(zeros(rows_shape, g.dtype), dim, index, reshape(g, index._a.shape))
    return _unrows(rows, perm, in_shape)


def put_forward(code):
    """The forward of index_put: x with src written (code FG_SCATTER_ASSIGN) or added
    (FG_SCATTER_ADD) at the flat index into x's indexed axes."""
    def forward(x, index, src, perm, rows_shape, dim, shape, in_shape):
        rows = _rows(x.detach(), perm, rows_shape)
        if np.may_share_memory(rows._a, x._a):
            rows = clone(rows)
        K.scatter(code, rows, dim, index, src)
        return Tensor(_unrows(rows, perm, in_shape)._a, x.dtype)
    return forward


def _gather_forward(x, index, dim, error=None):
    return K.gather(empty_like_shape(index._a.shape, x.dtype), x, dim, index, error)


def _gather_op(name, error):
    """A row that gathers x along dim at index (shaped as x but for dim): gather's, and
    index_select's with its index spread over x's other axes. Only their errors differ."""
    return Op(name, lambda x, index, dim, shape: _gather_forward(x, index, dim, error(x, dim)),
              lambda g, out, x, index, dim, shape: scatter_add(zeros(shape, g.dtype), dim,
                                                               index, g),
              None, needs=((1,), ()), jvp=LINEAR_JVP)


def _axis_size(x, dim):
    return x._a.shape[dim] if x.ndim else 1


def _bounds_error(exc, dim, size):
    """PyTorch's error for an index out of bounds of an axis of `size` elements."""
    if size == 0:
        return lambda i: exc("index is out of bounds for dimension with size 0")
    return lambda i: exc(f"index {i} is out of bounds for dimension {dim} with size {size}")


def _index_select_error(x, dim):
    """index_select's errors, which depend on the axis in PyTorch (its kernels for dim 1)."""
    size = _axis_size(x, dim)
    if dim == 1:
        return lambda i: RuntimeError(f"index_select(): INDICES element is out of DATA bounds, "
                                      f"id={i} axis_dim={size}")
    return lambda i: IndexError(f"index_select(): index out of range in self (index {i}, "
                                f"dimension {dim} of size {size})")


def _scatter_add_forward(x, index, src, dim):
    out = _cast_forward(x, x.dtype)
    return K.scatter(C.FG_SCATTER_ADD, out, dim, index, src,
                     _bounds_error(RuntimeError, dim, _axis_size(x, dim)))


# ---- the table ---------------------------------------------------------------------------------
SELECT = _view_op("SelectBackward0", lambda a, key, shape: a[key], _index_backward, same_start=False)
SLICE = _view_op("SliceBackward0", lambda a, key, shape: a[key], _index_backward, same_start=False)
# g laid into zeros of the indexed tensor's shape: its own gradient is the indexing again, so
# second derivatives pass through basic indexing.
INDEX_BACKWARD = Op("SliceBackwardBackward0", _index_backward_forward,
                    lambda g, out, key, shape: apply(SLICE, g, key=key, shape=g._a.shape),
                    save_inputs=False, jvp=LINEAR_JVP)
INDEX = Op("IndexBackward0", _index_forward, _advanced_index_backward, None, needs=((1,), ()),
           jvp=LINEAR_JVP)
# x with src written at index: x's gradient is g with zeros there, src's is g at index.
INDEX_PUT = Op("IndexPutBackward0", put_forward(C.FG_SCATTER_ASSIGN),
               lambda g, out, x, index, src, **plan: apply(
                   INDEX_PUT, g, index, zeros(index._a.shape, g.dtype), **plan),
               None,
               lambda g, out, x, index, src, **plan: reshape(apply(INDEX, g, index, **plan),
                                                             index._a.shape),
               needs=((1,), (), (1,)), jvp=LINEAR_JVP)
GATHER = _gather_op("GatherBackward0",
                    lambda x, dim: _bounds_error(RuntimeError, dim, _axis_size(x, dim)))
INDEX_SELECT = _gather_op("IndexSelectBackward0", _index_select_error)
SCATTER_ADD = Op("ScatterAddBackward0", _scatter_add_forward, lambda g, out, x, index, src, dim: g,
                 None, lambda g, out, x, index, src, dim: gather(g, dim, index),
                 needs=((), (), (1,)), jvp=LINEAR_JVP)


# ---- the functions -----------------------------------------------------------------------------
def _indexing_entries(key):
    """How many axes a basic key's entries index (None and ... index none)."""
    return sum(1 for k in key if k is not None and k is not Ellipsis)


def _basic_key(x, key):
    """Checks an index of ints, slices, None and Ellipsis against x's shape (PyTorch's errors)."""
    if not isinstance(key, tuple):
        key = (key,)
    n_indexing = _indexing_entries(key)
    if n_indexing > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    out = []
    dim = 0
    for k in key:
        if k is Ellipsis:
            dim += x.ndim - n_indexing
            out.append(k)
        elif k is None:
            out.append(k)
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(k)
            dim += 1
        elif isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, bool) or (
                isinstance(k, Tensor) and k.ndim == 0 and k.dtype is int64):
            k = int(k)
            size = x._a.shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            out.append(k)
            dim += 1
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    if Ellipsis not in out:
        out.append(Ellipsis)  # so that numpy returns a view even when every axis is indexed
    return tuple(out)


def _basic_view(x, key):
    """x[key] for a key as _basic_key returns it: a view."""
    op = SELECT if any(isinstance(k, int) for k in key) else SLICE
    return apply(op, x, key=key, shape=x._a.shape)


def getitem(x, key):
    if type(key) is Tensor and key.dtype is int64 and key._a.ndim and x._a.ndim:
        # x[rows], an embedding's lookup: what _advanced makes of it, without its general walk
        index, plan = _index_plan(x, [(0, key)])
        return apply(INDEX, x, index, **plan)
    key = _index_tuple(key)
    if not any(_is_advanced(k) for k in key):
        return _basic_view(x, _basic_key(x, key))
    v, index, plan = _advanced(x, key)
    return apply(INDEX, v, index, **plan)


def setitem(x, key, value):
    """x[key] = value: an in-place copy into the view x[key]; for an advanced key, index_put_."""
    check_number(value, "setitem")
    key = _index_tuple(key)
    if not any(_is_advanced(k) for k in key):
        target = _basic_view(x, _basic_key(x, key))
        if isinstance(value, Tensor):
            copy_(target, _without_leading_ones(value, target.ndim))
        else:
            fill_(target, value)
        return
    v, index, plan = _advanced(x, key)
    src = _put_source(value, v.dtype, index, plan["shape"])
    rows = reshaped_array(v._a, plan["rows_shape"]) if plan["perm"] is None else None
    if rows is None or recording_into(v, src) or grad_state.fw_level is not None:
        apply_in_place("index_put_", lambda v, src: apply(INDEX_PUT, v, index, src, **plan), v, src)
        return
    check_writable(v, "index_put_")  # the fast path: written straight into v's memory
    target = v._view(rows)
    check_no_overlap(target, src, "index_put_")
    K.scatter(C.FG_SCATTER_ASSIGN, target, plan["dim"], index, src)
    v._version[0] += 1


_SEQUENCE_AS_TUPLE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
    "a different result")


def _index_tuple(key):
    """The key's entries, as torch reads them: a short list holding a sequence, slice, tensor,
    None or ... stands for a tuple (numpy's old rule, which torch keeps with a warning)."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32 and any(
            k is None or k is Ellipsis or isinstance(k, (slice, Tensor, list, tuple, range))
            for k in key):
        warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=4)
        return tuple(key)
    return (key,)


def _is_advanced(k):
    if isinstance(k, Tensor):
        return k.ndim > 0 or k.dtype is not int64  # a 0-d int64 tensor is an int
    return isinstance(k, (list, tuple, range, bool, np.bool_, np.ndarray))  # a tuple inside a key


def _index_tensor(k):
    """An advanced entry as an int64 or bool tensor; lists of numbers become int64, as torch."""
    if not isinstance(k, Tensor):
        a = np.asarray(k)
        k = _creation.tensor(a, dtype=bool_ if a.dtype == np.bool_ else int64)
    if k.dtype is not int64 and k.dtype is not bool_:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return k


def _advanced(x, key):
    """(v, index, plan): the view the key's basic entries make, the flat int64 index of the
    INDEX and INDEX_PUT rows, and their parameters."""
    basic, entries = [], []  # entries: (position in basic, True/False or an index tensor)
    for k in key:
        if isinstance(k, (bool, np.bool_)) or (
                isinstance(k, Tensor) and k.ndim == 0 and k.dtype is bool_):
            entries.append((len(basic), bool(k)))  # torch: a new axis of size 1, indexed
            basic.append(None)                     # by [0] (True) or [] (False)
        elif _is_advanced(k):
            k = _index_tensor(k)
            entries.append((len(basic), k))
            basic.extend([slice(None)] * (k.ndim if k.dtype is bool_ else 1))
        else:
            basic.append(k)
    basic = _basic_key(x, tuple(basic))
    whole = x._a[basic].shape == x._a.shape and not any(k is None or isinstance(k, int)
                                                          for k in basic)
    v = x if whole else _basic_view(x, basic)  # only whole axes: torch indexes x itself
    axes = _view_axes(basic, x.ndim)
    indices = []  # (axis of v, int64 index tensor)
    for position, k in entries:
        axis = axes[position]
        if isinstance(k, bool):
            indices.append((axis, K.arange(int(k), 0, 1, int64)))
        elif k.dtype is bool_:
            _check_mask(v, axis, k)
            coords = K.nonzero(k)._a
            indices.extend((axis + j, Tensor(coords[:, j], int64)) for j in range(k.ndim))
        else:
            indices.append((axis, k))
    return (v,) + _index_plan(v, indices)


def _view_axes(key, ndim):
    """The axis of x[key] (key as _basic_key returns it) at which each entry of key begins."""
    n_indexing = _indexing_entries(key)
    axes, axis = [], 0
    for k in key:
        axes.append(axis)
        axis += ndim - n_indexing if k is Ellipsis else 0 if isinstance(k, int) else 1
    return axes


def _check_mask(v, axis, mask):
    shape = v._a.shape
    for j, n in enumerate(mask._a.shape):
        if n != shape[axis + j]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{axis + j}")


def _index_plan(v, indices):
    shapes = [t._a.shape for _, t in indices]
    try:
        broadcast = functools.reduce(lambda a, b: broadcast_shape("index", a, b), shapes)
    except RuntimeError:
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {', '.join(str(list(s)) for s in shapes)}") from None
    flat = zeros(broadcast, int64)
    shape = v._a.shape
    for j, (axis, t) in enumerate(indices):  # torch numbers the indexed axes from 0
        K.index_fold(flat, t, shape[axis], _bounds_error(IndexError, j, shape[axis]))
    axes = [axis for axis, _ in indices]
    if axes == list(range(axes[0], axes[0] + len(axes))):
        perm, dim = None, axes[0]
        lead, trail = shape[:dim], shape[dim + len(axes):]
    else:
        rest = [d for d in range(len(shape)) if d not in axes]
        perm, dim = tuple(axes + rest), 0
        lead, trail = (), tuple(shape[d] for d in rest)
    n = flat._a.size
    index = flat._a.reshape((1,) * len(lead) + (n,) + (1,) * len(trail))
    index = Tensor(broadcast_view(index, lead + (n,) + trail), int64)
    rows_shape = lead + (math.prod(shape[d] for d in axes),) + trail
    return index, dict(perm=perm, rows_shape=rows_shape, dim=dim, shape=lead + broadcast + trail,
                       in_shape=shape)


def _without_leading_ones(value, ndim):
    """value without the leading size-1 dimensions it has beyond ndim: z[0] = t of shape
    (1, n) writes a row, as torch."""
    vshape = value._a.shape
    while len(vshape) > ndim and vshape[0] == 1:
        vshape = vshape[1:]
    return value if len(vshape) == value.ndim else reshape(value, vshape)


def _put_source(value, dtype, index, shape):
    """index_put_'s value as the src of the scatter: of dtype, broadcast to the result's shape
    (leading 1s dropped first, as torch), laid out as index."""
    if not isinstance(value, Tensor):
        value = scalar_tensor(value, dtype)
    elif value.dtype is not dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{dtype._torch_name} for the destination and "
                           f"{value.dtype._torch_name} for the source.")
    vshape = value._a.shape
    while vshape and vshape[0] == 1:
        vshape = vshape[1:]
    if not broadcasts_to(vshape, shape):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(shape)}")
    return reshape(expand(reshape(value, vshape), shape), index._a.shape)


def _check_index_tensor(name, index, message):
    check_tensor(index, name, "index")
    if index.dtype is not int64:
        raise RuntimeError(f"{name}(): {message}")


def _check_along(x, dim, index, src=None):
    """gather's and scatter_add's shape rules: index has x's dimensions (src's too), and is no
    larger than x on every other axis (than src on every axis)."""
    n = x.ndim
    if index.ndim != n and not (index.ndim <= 1 and n <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                           f"{'self' if src is not None else 'input'} tensor")
    if src is not None and src.ndim != index.ndim and not (index.ndim <= 1 and src.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    # a 0-d tensor counts as one element along its one permitted dimension
    index_shape, x_shape = index._a.shape or (1,), x._a.shape or (1,)
    larger = [d for d, (i, s) in enumerate(zip(index_shape, x_shape)) if i > s and d != dim]
    if src is None and larger:
        raise RuntimeError(f"Size does not match at dimension {larger[0]} expected index "
                           f"{list(index.shape)} to be no larger than self {list(x.shape)} apart "
                           f"from dimension {dim}")
    if src is not None and (larger or any(i > s for i, s in zip(index_shape, src._a.shape or (1,)))):
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(x.shape)} apart from dimension {dim} and to be no larger "
                           f"size than src {list(src.shape)}")


def gather(x, dim, index):
    dim = normalize_dim(dim, x.ndim, "gather")
    _check_index_tensor("gather", index, "Expected dtype int32/int64 for index")
    _check_along(x, dim, index)
    return apply(GATHER, x, index, dim=dim, shape=x._a.shape)


def scatter_add(x, dim, index, src):
    dim = normalize_dim(dim, x.ndim, "scatter_add")
    _check_index_tensor("scatter", index, "Expected dtype int32/int64 for index")
    check_tensor(src, "scatter_add", "src", " (position 3)")
    if src.dtype is not x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_along(x, dim, index, src)
    if src._a.shape != index._a.shape and src.ndim == index.ndim:
        src = getitem(src, tuple(slice(0, n) for n in index._a.shape))  # the part it reads
    return apply(SCATTER_ADD, x, index, src, dim=dim)


def scatter_add_(x, dim, index, src):
    return apply_in_place("scatter_add_", lambda x, src: scatter_add(x, dim, index, src), x, src)


def index_select(x, dim, index):
    dim = normalize_dim(dim, x.ndim, "index_select")
    _check_index_tensor("index_select", index, "Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if x.ndim == 0 and index._a.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{index._a.size} value(s)")
    shape = x._a.shape
    if x.ndim == 0:
        return apply(INDEX_SELECT, x, Tensor(index._a.reshape(()), int64), dim=dim, shape=shape)
    return apply(INDEX_SELECT, x, spread_index(index, dim, shape), dim=dim, shape=shape)


def spread_index(index, dim, shape):
    """A 1-d index laid along dim and repeated (stride 0) over shape's other axes: the index
    of a gather or scatter that selects whole slices, as index_select and index_add."""
    n = index._a.size
    spread = index._a.reshape((1,) * dim + (n,) + (1,) * (len(shape) - dim - 1))
    spread = Tensor(broadcast_view(spread, shape[:dim] + (n,) + shape[dim + 1:]), int64)
    spread._p = index._ptr  # the same first element
    return spread


def nonzero(x):
    return K.nonzero(x)
