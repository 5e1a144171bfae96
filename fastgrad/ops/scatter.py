"""Writes along an axis and its relatives, on the gather and scatter kernels of indexing
(csrc/index.c): scatter (a source or a value), index_fill, index_add, index_put (assigning or
accumulating), and the selections take and masked_select."""
from .. import _dtype
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._shape import broadcast_shape, normalize_dim
from .._tensor import Tensor
from ._core import LINEAR_JVP, Op, apply, check_tensor, scalar_tensor, zeros
from .elementwise import _cast_forward, mul, where
from .indexing import (INDEX, INDEX_PUT, SCATTER_ADD, _advanced, _bounds_error, _check_along,
                       _check_index_tensor, _put_source, _axis_size, gather, getitem, put_forward,
                       scatter_add, spread_index)
from .inplace import apply_in_place
from .views import broadcast_view, expand, reshape

bool_, int64 = _dtype.bool_, _dtype.int64


def _scatter_forward(code):
    """x with src written (or added, multiplied) at index along dim: a copy of x, then the
    kernel."""
    def forward(x, index, src, dim):
        error = _bounds_error(RuntimeError, dim, _axis_size(x, dim))
        return K.scatter(code, _cast_forward(x, x.dtype), dim, index, src, error)
    return forward


def _value_forward(x, index, dim, value):
    src = scalar_tensor(value, x.dtype)
    src = Tensor(broadcast_view(src._a, index._a.shape), x.dtype)
    return _scatter_forward(C.FG_SCATTER_ASSIGN)(x, index, src, dim)


def _cleared(g, out, x, index, *src, dim, **unused):
    """The gradient of x where it was overwritten: none."""
    return apply(SCATTER_VALUE, g, index, dim=dim, value=0)


def _not_implemented(*unused, **params):
    raise RuntimeError("derivative for aten::scatter is not implemented")


# ---- the table ---------------------------------------------------------------------------------
SCATTER = Op("ScatterBackward0", _scatter_forward(C.FG_SCATTER_ASSIGN), _cleared, None,
             lambda g, out, x, index, src, dim: gather(g, dim, index),
             needs=((1,), (), (1,)), jvp=LINEAR_JVP)
# x with a number written at index: the tangent of x with 0 there (the map is affine)
SCATTER_VALUE = Op("ScatterBackward1", _value_forward, _cleared, None, needs=((1,), ()),
                   jvp=lambda op, tangents, out, x, index, dim, value: apply(
                       op, tangents[0], index, dim=dim, value=0))
SCATTER_MULTIPLY = Op("NotImplemented", _scatter_forward(C.FG_SCATTER_MULTIPLY),
                      _not_implemented, None, _not_implemented, needs=((), (), ()))
INDEX_FILL = SCATTER_VALUE.renamed("IndexFillBackward0")
INDEX_ADD = SCATTER_ADD.renamed("IndexAddBackward0")
INDEX_PUT_ACCUMULATE = Op("IndexPutBackward0", put_forward(C.FG_SCATTER_ADD),
                          lambda g, out, x, index, src, **plan: g, None,
                          INDEX_PUT.grads[2], needs=((), (), (1,)), jvp=LINEAR_JVP)
TAKE = INDEX.renamed("TakeBackward0")
MASKED_SELECT = INDEX.renamed("MaskedSelectBackward0")


# ---- the functions -----------------------------------------------------------------------------
_REDUCTIONS = {None: C.FG_SCATTER_ASSIGN, "add": C.FG_SCATTER_ADD,
               "multiply": C.FG_SCATTER_MULTIPLY}


def scatter(x, dim, index, src=None, *, value=None, reduce=None):
    """torch.scatter: x with src[i] (or a number) written at index[i] along dim; reduce 'add'
    or 'multiply' combines instead (multiplying has no gradient, as in torch)."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError("reduce argument must be either add or multiply.")
    dim = normalize_dim(dim, x.ndim, "scatter")
    _check_index_tensor("scatter", index, "Expected dtype int64 for index")
    if src is None or not isinstance(src, Tensor):
        number = value if src is None else src
        _check_along(x, dim, index)
        if reduce is None:
            return apply(SCATTER_VALUE, x, index, dim=dim, value=number)
        src = Tensor(broadcast_view(scalar_tensor(number, x.dtype)._a, index._a.shape), x.dtype)
    elif src.dtype is not x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce == "add":
        return scatter_add(x, dim, index, src)
    _check_along(x, dim, index, src)
    if src._a.shape != index._a.shape and src.ndim == index.ndim:
        src = getitem(src, tuple(slice(0, n) for n in index._a.shape))  # the part it reads
    return apply(SCATTER if reduce is None else SCATTER_MULTIPLY, x, index, src, dim=dim)


def scatter_(x, dim, index, src=None, *, value=None, reduce=None):
    other = src if isinstance(src, Tensor) else 0
    return apply_in_place("scatter_", lambda x, unused: scatter(
        x, dim, index, src, value=value, reduce=reduce), x, other)


def _slice_index(name, x, dim, index):
    dim = normalize_dim(dim, x.ndim, name)
    _check_index_tensor(name, index, "Expected dtype int64 for index")
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    return dim


def index_fill(x, dim, index, value):
    """x with the slices at index along dim set to value (a number or a 0-d tensor)."""
    dim = _slice_index("index_fill", x, dim, index)
    size = _axis_size(x, dim)
    index = K.index_fold(zeros(index._a.shape, int64), index, size,
                         _bounds_error(IndexError, dim, size))  # negatives counted from the end
    spread = spread_index(index, dim, x._a.shape) if x.ndim else reshape(index, ())
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        if value.requires_grad:  # differentiable in the value too: a mask, then where
            mask = apply(INDEX_FILL, zeros(x._a.shape, bool_), spread, dim=dim, value=True)
            return where(mask, value.to(x.dtype), x)
        value = value.item()
    return apply(INDEX_FILL, x, spread, dim=dim, value=value)


def index_fill_(x, dim, index, value):
    return apply_in_place("index_fill_", lambda x, unused: index_fill(x, dim, index, value), x,
                          value if isinstance(value, Tensor) else 0)


def index_add(x, dim, index, source, *, alpha=1):
    """x with alpha * source's slices added at index along dim (repeated indices add up)."""
    dim = _slice_index("index_add", x, dim, index)
    check_tensor(source, "index_add", "source")
    expected = x._a.shape[:dim] + (index._a.size,) + x._a.shape[dim + 1:] if x.ndim else ()
    if source._a.shape != expected and source._a.size != index._a.size:
        raise RuntimeError(f"index_add_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {list(expected)} and source "
                           f"slice shape: {list(source.shape)}.")
    if source.dtype is not x.dtype:
        raise RuntimeError(f"index_add_(): self ({x.dtype._torch_name}) and source "
                           f"({source.dtype._torch_name}) must have the same scalar type")
    source = reshape(source, expected) if x.ndim else reshape(source, (1,))
    spread = spread_index(index, dim, x._a.shape) if x.ndim else index.reshape((1,))
    src = source if alpha == 1 else mul(source, alpha)
    return apply(INDEX_ADD, x, spread, src, dim=dim)


def index_add_(x, dim, index, source, *, alpha=1):
    return apply_in_place("index_add_", lambda x, src: index_add(x, dim, index, src, alpha=alpha),
                          x, source)


def index_put(x, indices, values, accumulate=False):
    """x with values written (or added, when accumulate) at the positions the tuple of index
    tensors picks, as x[indices] = values."""
    v, index, plan = _advanced(x, tuple(indices))
    src = _put_source(values, v.dtype, index, plan["shape"])
    return apply(INDEX_PUT_ACCUMULATE if accumulate else INDEX_PUT, v, index, src, **plan)


def index_put_(x, indices, values, accumulate=False):
    return apply_in_place("index_put_", lambda x, src: index_put(x, indices, src, accumulate),
                          x, values)


def take(x, index):
    """x's elements at flat (row-major) positions, shaped as index."""
    check_tensor(x, "take")
    check_tensor(index, "take", "index")
    if index.dtype is not int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{index.dtype._torch_name}")
    n = x._a.size
    flat = zeros(index._a.shape, int64)
    K.index_fold(flat, index, n, lambda i: IndexError(
        f"out of range: tried to access index {i} on a tensor of {n} elements."))
    v, folded, plan = _advanced(reshape(x, (n,)), (flat,))
    return apply(TAKE, v, folded, **plan)


def masked_select(x, mask):
    """The elements of x where the (broadcast) bool mask is True, as a 1-d tensor."""
    check_tensor(x, "masked_select")
    check_tensor(mask, "masked_select", "mask")
    if mask.dtype is not bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shape("masked_select", x._a.shape, mask._a.shape)
    v, index, plan = _advanced(expand(x, shape), (expand(mask, shape),))
    return apply(MASKED_SELECT, v, index, **plan)
