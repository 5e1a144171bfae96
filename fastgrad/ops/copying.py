"""Ops that copy their input into a new arrangement: repeat and tile, roll, the triangles
(tril, triu), diag and diag_embed. The copies run on the C copy kernel over strided views (a
broadcast for repeat, a diagonal for diag); the triangles select with the where kernel."""
import numbers

import numpy as np

from .. import _dtype, _recording
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._shape import normalize_dim
from .._tensor import Tensor, empty_like_shape
from ._core import LINEAR_JVP, Op, apply, check_tensor, positions_along, scalar_tensor, zeros
from .indexing import index_select, scatter_add
from .inplace import apply_in_place
from .reductions import cumsum, sum as sum_
from .shaping import _diagonal_backward, diagonal, diagonal_array, int_tuple
from .views import expand, flatten, reshape, unsqueeze


def _repeat_forward(x, sizes, in_shape):
    """x read as (1, d0, 1, d1, ...) broadcast to (r0, d0, r1, d1, ...) (a view), copied."""
    lead = len(sizes) - x.ndim
    dims = (1,) * lead + x._a.shape
    ones = tuple(range(0, 2 * len(sizes), 2)) + tuple(range(1, 2 * lead, 2))  # the new axes
    spread = np.broadcast_to(np.expand_dims(x._a, ones),
                             tuple(v for pair in zip(sizes, dims) for v in pair))
    out = empty_like_shape(tuple(r * d for r, d in zip(sizes, dims)), x.dtype)
    K.copy_into(out._view(out._a.reshape(spread.shape)), x._view(spread))
    return out


def _repeat_backward(g, out, sizes, in_shape):
    lead = len(sizes) - len(in_shape)
    dims = (1,) * lead + tuple(in_shape)
    spread = reshape(g, tuple(v for pair in zip(sizes, dims) for v in pair))
    return reshape(sum_(spread, tuple(range(0, 2 * len(sizes), 2))), in_shape)


def _roll_once(a, shift, dim, out):
    """out = a rolled by shift along dim (out a new contiguous tensor, a a tensor)."""
    n = a._a.shape[dim]
    shift %= n
    lead = (slice(None),) * dim
    K.copy_into(out._view(out._a[lead + (slice(shift, None),)]), a._view(a._a[lead + (slice(0, n - shift),)]))
    K.copy_into(out._view(out._a[lead + (slice(0, shift),)]), a._view(a._a[lead + (slice(n - shift, None),)]))
    return out


def _roll_forward(x, shifts, dims):
    if dims is None:  # the flattened tensor rolled, in x's shape
        flat = x.contiguous()
        flat = flat._view(flat._a.reshape(-1))
        out = _roll_once(flat, shifts[0], 0, empty_like_shape(flat._a.shape, x.dtype))
        return Tensor(out._a.reshape(x._a.shape), x.dtype)  # new memory: not a view
    out = x
    for shift, dim in zip(shifts, dims):
        if out._a.shape[dim]:
            out = _roll_once(out, shift, dim, empty_like_shape(x._a.shape, x.dtype))
    return out if out is not x else K.copy_into(empty_like_shape(x._a.shape, x.dtype), x)


def _triangle_forward(x, diagonal, upper):
    """x where column - row <= diagonal (tril) or >= diagonal (triu), 0 elsewhere."""
    rows, cols = x._a.shape[-2:]
    offsets = K.elementwise(C.FG_SUB, _dtype.int64, _dtype.int64,
                            (positions_along((cols,), 0), positions_along((rows, 1), 0)))
    keep = K.elementwise(C.FG_GE if upper else C.FG_LE, _dtype.int64, _dtype.bool_,
                         (offsets, scalar_tensor(diagonal, _dtype.int64)))
    return K.elementwise(C.FG_WHERE, x.dtype, x.dtype, (keep, x, scalar_tensor(0, x.dtype)))


def _diag_embed_forward(x, offset, dim1, dim2):
    shape = list(x._a.shape[:-1])
    n = x._a.shape[-1] + abs(offset)
    for d in sorted((dim1, dim2)):
        shape.insert(d, n)
    out = zeros(tuple(shape), x.dtype)
    K.copy_into(out._view(diagonal_array(out._a, offset, dim1, dim2)), x)
    return out


def _diagonal_copy_forward(x, offset, dim1, dim2, shape):
    part = diagonal_array(x._a, offset, dim1, dim2)
    return K.copy_into(empty_like_shape(part.shape, x.dtype), x._view(part))


# ---- the table ---------------------------------------------------------------------------------
REPEAT = Op("RepeatBackward0", _repeat_forward, _repeat_backward, save_inputs=False,
            jvp=LINEAR_JVP)
ROLL = Op("RollBackward0", _roll_forward,
          lambda g, out, shifts, dims: apply(ROLL, g, shifts=tuple(-s for s in shifts), dims=dims),
          save_inputs=False, jvp=LINEAR_JVP)
TRIL = Op("TrilBackward0", lambda x, diagonal: _triangle_forward(x, diagonal, False),
          lambda g, out, diagonal: tril(g, diagonal), save_inputs=False, jvp=LINEAR_JVP)
TRIU = Op("TriuBackward0", lambda x, diagonal: _triangle_forward(x, diagonal, True),
          lambda g, out, diagonal: triu(g, diagonal), save_inputs=False, jvp=LINEAR_JVP)
DIAG_EMBED = Op("DiagEmbedBackward0", _diag_embed_forward,
                lambda g, out, offset, dim1, dim2: diagonal(g, offset, dim1, dim2),
                save_inputs=False, jvp=LINEAR_JVP)
DIAGONAL_COPY = Op("DiagonalBackward0_copy", _diagonal_copy_forward, _diagonal_backward,
                   save_inputs=False, jvp=LINEAR_JVP)


# ---- the functions -----------------------------------------------------------------------------
def repeat(input, *repeats):
    """input tiled repeats[i] times along each dim (leading ones add dimensions): a copy.
    As torch's Tensor.repeat: repeat(2, 3) or repeat((2, 3))."""
    check_tensor(input, "repeat")
    sizes = int_tuple(repeats[0] if len(repeats) == 1 else repeats, "repeat", "repeats")
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    dims = (1,) * (len(sizes) - input.ndim) + input._a.shape
    shape = [r * d for r, d in zip(sizes, dims)]
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(n for n in shape if n < 0)}: {shape}")
    return apply(REPEAT, input, sizes=sizes, in_shape=input._a.shape)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each element (each slice along dim) repeats times in a row, as torch's: an int (or
    one-element tensor of) repeats is an expand and a reshape, a tensor of one count per slice
    an index_select. torch.repeat_interleave(repeats) alone gives those indices."""
    if repeats is None:
        return _repeat_indices(input, output_size)
    check_tensor(input, "repeat_interleave")
    if dim is None:
        input, dim = flatten(input), 0
    dim = normalize_dim(dim, input.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.numel() != 1:
            if repeats.shape[0] != input.shape[dim]:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {repeats.shape[0]} and input.size({dim}) "
                                   f"= {input.shape[dim]}")
            return index_select(input, dim, _repeat_indices(repeats, output_size))
        repeats = int(repeats.item())
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = tuple(input.shape)
    tiled = expand(unsqueeze(input, dim + 1), shape[:dim + 1] + (repeats,) + shape[dim + 1:])
    return reshape(tiled, shape[:dim] + (shape[dim] * repeats,) + shape[dim + 1:])


def _repeat_indices(repeats, output_size):
    """i repeats[i] times, for each i in order: a one where each run starts, summed up."""
    check_tensor(repeats, "repeat_interleave", "repeats")
    if repeats.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.dtype not in (_dtype.int64, _dtype.int32):
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{repeats.dtype._torch_name}'")
    _recording.refuse("repeat_interleave makes a shape from the data")
    ends = cumsum(repeats, 0)
    if repeats.numel() and int(repeats.min().item()) < 0:
        raise RuntimeError("repeats can not be negative")
    total = output_size if output_size is not None else (
        int(ends[-1].item()) if repeats.numel() else 0)
    starts = scatter_add(zeros((total + 1,), repeats.dtype), 0, ends[:-1].clamp(max=total),
                         repeats.new_ones(max(repeats.numel() - 1, 0)))
    return cumsum(starts, 0)[:total]


def tile(input, dims):
    """repeat, with ones prepended to dims when it has fewer than input has dimensions."""
    check_tensor(input, "tile")
    dims = int_tuple(dims, "tile", "dims")
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def _ints(v):
    return (int(v),) if isinstance(v, numbers.Integral) else tuple(int(s) for s in v)


def roll(input, shifts, dims=None):
    """input's elements moved shifts places along dims (cyclically); without dims, along the
    flattened tensor, in its shape."""
    check_tensor(input, "roll")
    shifts = _ints(shifts)
    if dims is None or dims == ():
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        if input._a.size == 0:
            return apply(ROLL, input, shifts=shifts, dims=())
        return apply(ROLL, input, shifts=shifts, dims=None)
    dims = _ints(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    dims = tuple(normalize_dim(d, input.ndim, "roll") for d in dims)
    return apply(ROLL, input, shifts=shifts, dims=dims)


def _check_matrix(input, name):
    check_tensor(input, name)
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def tril(input, diagonal=0):
    """input's lower triangle (on and below the diagonal-th diagonal), zeros above."""
    _check_matrix(input, "tril")
    return apply(TRIL, input, diagonal=int(diagonal))


def triu(input, diagonal=0):
    """input's upper triangle (on and above the diagonal-th diagonal), zeros below."""
    _check_matrix(input, "triu")
    return apply(TRIU, input, diagonal=int(diagonal))


def tril_(input, diagonal=0):
    _check_matrix(input, "tril")
    return apply_in_place("tril_", lambda x, d: tril(x, d), input, int(diagonal))


def triu_(input, diagonal=0):
    _check_matrix(input, "triu")
    return apply_in_place("triu_", lambda x, d: triu(x, d), input, int(diagonal))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals over dim1 and dim2 hold input's last dimension, zeros elsewhere."""
    check_tensor(input, "diag_embed")
    n = input.ndim + 1
    d1, d2 = normalize_dim(dim1, n, "diag_embed"), normalize_dim(dim2, n, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(DIAG_EMBED, input, offset=int(offset), dim1=d1, dim2=d2)


def diag(input, diagonal=0):
    """A 1-d input laid on a matrix's diagonal-th diagonal; a 2-d input's diagonal, copied."""
    check_tensor(input, "diag")
    if input.ndim == 1:
        return apply(DIAG_EMBED, input, offset=int(diagonal), dim1=0, dim2=1)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return apply(DIAGONAL_COPY, input, offset=int(diagonal), dim1=0, dim2=1,
                 shape=input._a.shape)
