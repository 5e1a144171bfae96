"""Views that cut or rearrange a tensor: split, chunk, unbind, narrow, diagonal, movedim,
unflatten, meshgrid. Each piece shares its input's memory and version counter, as torch's; a
piece's gradient is the upstream gradient laid into zeros of the input's shape."""
import numbers
import warnings

import numpy as np

from .. import _kernels as K
from .._shape import normalize_dim
from .._tensor import Tensor
from ._core import LINEAR_JVP, Op, apply, check_tensor, zeros
from .indexing import SLICE, _index_backward
from .views import _view_op, expand, permute, reshape, transpose, view


def _piece(name):
    """A row whose view is the input at a basic-indexing key (torch's name for the op)."""
    return _view_op(name, lambda a, key, shape: a[key], _index_backward, same_start=False)


def diagonal_array(a, offset, dim1, dim2):
    """The diagonal of a (an ndarray) over dim1 and dim2 as a writable view: the other axes in
    order, then the diagonal (numpy's order and offsets are torch's)."""
    d = np.diagonal(a, offset, dim1, dim2)
    d.flags.writeable = a.flags.writeable  # numpy's diagonal views are read-only by default
    return d


def _diagonal_backward_forward(g, offset, dim1, dim2, shape):
    grad = zeros(shape, g.dtype)
    K.copy_into(grad._view(diagonal_array(grad._a, offset, dim1, dim2)), g)
    return grad


def _diagonal_backward(g, out, offset, dim1, dim2, shape):
    return apply(DIAGONAL_BACKWARD, g, offset=offset, dim1=dim1, dim2=dim2, shape=shape)


# ---- the table ---------------------------------------------------------------------------------
SPLIT = _piece("SplitBackward0")
SPLIT_WITH_SIZES = _piece("SplitWithSizesBackward0")
UNBIND = _piece("UnbindBackward0")
DIAGONAL = _view_op("DiagonalBackward0",
                    lambda a, offset, dim1, dim2, shape: diagonal_array(a, offset, dim1, dim2),
                    _diagonal_backward, same_start=False)
# g laid on the diagonal of zeros; its own gradient is the diagonal again (double backward)
DIAGONAL_BACKWARD = Op("DiagonalBackwardBackward0", _diagonal_backward_forward,
                       lambda g, out, offset, dim1, dim2, shape: diagonal(g, offset, dim1, dim2),
                       save_inputs=False, jvp=LINEAR_JVP)


# ---- the functions -----------------------------------------------------------------------------
def int_tuple(values, name, argument, position=1):
    """A tuple of ints (an int counts as one), or torch's TypeError naming the argument."""
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        return (int(values),)
    prefix = f"{name}(): argument '{argument}' (position {position}) must be tuple of ints"
    if not isinstance(values, (tuple, list)):
        raise TypeError(f"{prefix}, not {type(values).__name__}")
    for i, s in enumerate(values):
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{prefix}, but found element of type {type(s).__name__} at pos {i}")
    return tuple(int(s) for s in values)


def _along(x, dim, start, length):
    """The basic-indexing key of x[start:start + length] along dim."""
    return (slice(None),) * dim + (slice(start, start + length), Ellipsis)


def _pieces(row, x, dim, sizes):
    out, start = [], 0
    for n in sizes:
        out.append(apply(row, x, key=_along(x, dim, start, n), shape=x._a.shape))
        start += n
    return tuple(out)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of split_size along dim (the last one shorter), or of each size in a list."""
    check_tensor(tensor, "split", "self")
    dim = normalize_dim(dim, tensor.ndim, "split")
    size = tensor._a.shape[dim]
    if isinstance(split_size_or_sections, numbers.Integral):
        step = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        count = max(1, -(-size // step)) if step else 1
        sizes = [step] * (count - 1) + [size - step * (count - 1)]
        return _pieces(SPLIT, tensor, dim, sizes)
    sizes = list(int_tuple(split_size_or_sections, "split_with_sizes", "split_sizes", 2))
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={sizes}")
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                           f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
    return _pieces(SPLIT_WITH_SIZES, tensor, dim, sizes)


def chunk(input, chunks, dim=0):
    """At most `chunks` pieces of equal size (the last one shorter) along dim."""
    check_tensor(input, "chunk")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = normalize_dim(dim, input.ndim, "chunk")
    size = input._a.shape[dim]
    step = -(-size // chunks)
    if step == 0:  # an empty dimension: `chunks` empty pieces, as torch
        return _pieces(SPLIT, input, dim, [0] * chunks)
    return split(input, step, dim)


def unbind(input, dim=0):
    """The slices along dim, each without that dimension."""
    check_tensor(input, "unbind")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = normalize_dim(dim, input.ndim, "unbind")
    return tuple(apply(UNBIND, input, key=(slice(None),) * dim + (i, Ellipsis),
                       shape=input._a.shape) for i in range(input._a.shape[dim]))


def narrow(input, dim, start, length):
    """input[start:start + length] along dim, a view."""
    check_tensor(input, "narrow")
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = normalize_dim(dim, input.ndim, "narrow")
    size = input._a.shape[dim]
    start = int(start.item() if isinstance(start, Tensor) else start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    start %= size if size else 1
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return apply(SLICE, input, key=_along(input, dim, start, length), shape=input._a.shape)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over dim1 and dim2 (above it for offset > 0), a view, as the last axis."""
    check_tensor(input, "diagonal")
    n = input.ndim
    d1, d2 = normalize_dim(dim1, n, "diagonal"), normalize_dim(dim2, n, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(DIAGONAL, input, offset=int(offset), dim1=d1, dim2=d2, shape=input._a.shape)


def _dims(v):
    return [int(v)] if isinstance(v, numbers.Integral) else [int(d) for d in v]


def movedim(input, source, destination):
    """input with the dims of `source` moved to the positions of `destination`: a permute."""
    check_tensor(input, "movedim")
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    n = input.ndim
    src = [normalize_dim(d, n, "movedim") for d in src]
    dst = [normalize_dim(d, n, "movedim") for d in dst]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    return permute(input, tuple(o if o is not None else next(rest) for o in order))


def swapaxes(input, axis0, axis1):
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    return transpose(input, dim0, dim1)


def unflatten(input, dim, sizes):
    """dim split into `sizes` (one of them may be -1), a view."""
    check_tensor(input, "unflatten")
    if input.ndim == 0:
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but "
                           "tensor has no dimensions")
    dim = normalize_dim(dim, input.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = input._a.shape
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if (-1 in sizes and (known == 0 or shape[dim] % known)) or (
            -1 not in sizes and known != shape[dim]):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[dim]}) in the input tensor")
    return view(input, shape[:dim] + sizes + shape[dim + 1:])


def meshgrid(*tensors, indexing=None):
    """Each 1-d tensor expanded over the grid of all their lengths (views); 'xy' swaps the first
    two axes of the grid, 'ij' (the default, with a warning as torch's) does not."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        check_tensor(t, "meshgrid", "tensors")
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {tuple(t.shape)}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    order = [1, 0] + list(range(2, len(tensors))) if swap else list(range(len(tensors)))
    sizes = [tensors[i]._a.size for i in order]
    grids = []
    for i, t in enumerate(tensors):
        shape = [1] * len(sizes)
        shape[order.index(i)] = -1
        grids.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(grids)
