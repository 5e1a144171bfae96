"""Joining: stack and cat copy their operands into one new tensor; the gradient of each operand
is its slice of the upstream gradient."""
import itertools

from .. import _dtype
from .. import _kernels as K
from .._shape import normalize_dim
from .._tensor import Tensor, empty_like_shape
from ._core import LINEAR_JVP, Op, apply
from .elementwise import as_dtype
from .indexing import getitem
from .views import reshape


def _join_forward(*xs, dim, sizes, new_axis):
    first = xs[0]._a.shape
    shape = list(first)
    if new_axis:
        shape.insert(dim, len(xs))
    else:
        shape[dim] = sum(sizes)
    out = empty_like_shape(tuple(shape), xs[0].dtype)
    start = 0
    for x, n in zip(xs, sizes):
        part = (slice(None),) * dim + ((start if new_axis else slice(start, start + n)), Ellipsis)
        K.copy_into(out._view(out._a[part]), x)
        start += n
    return out


def _join_backward(g, out, dim, sizes, new_axis):
    lead = (slice(None),) * dim
    if new_axis:
        return tuple(getitem(g, lead + (i,)) for i in range(len(sizes)))
    starts = itertools.accumulate((0,) + sizes[:-1])
    return tuple(getitem(g, lead + (slice(s, s + n),)) for s, n in zip(starts, sizes))


# ---- the table ---------------------------------------------------------------------------------
STACK = Op("StackBackward0", _join_forward, _join_backward, save_inputs=False, joint=True,
           jvp=LINEAR_JVP)
CAT = Op("CatBackward0", _join_forward, _join_backward, save_inputs=False, joint=True,
         jvp=LINEAR_JVP)


# ---- the functions -----------------------------------------------------------------------------
def _tensors(name, tensors, empty_message):
    """The tensors of a list argument, checked (torch's errors)."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError(empty_message)
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    return tensors


def _join(name, tensors, dim, new_axis):
    tensors = _tensors(name, tensors, f"{name}(): expected a non-empty list of Tensors")
    dtype = _dtype.result_type(*tensors)
    tensors = tuple(as_dtype(x, dtype) for x in tensors)
    first = tensors[0]._a.shape
    if not new_axis:  # torch's legacy rule: a 1-d empty tensor joins any others, as nothing
        first = next((x._a.shape for x in tensors if x._a.shape != (0,)), first)
    ndim = len(first) + new_axis
    dim = normalize_dim(dim, ndim, name)
    if not new_axis:
        nothing = first[:dim] + (0,) + first[dim + 1:]
        tensors = tuple(reshape(x, nothing) if x._a.shape == (0,) else x for x in tensors)
    for x in tensors:
        shape = x._a.shape
        same = shape == first if new_axis else (
            len(shape) == len(first) and shape[:dim] + shape[dim + 1:] == first[:dim] + first[dim + 1:])
        if not same:
            raise RuntimeError(f"{name}(): expected all tensors to have compatible shapes, but got "
                               f"{[tuple(t.shape) for t in tensors]}")
    sizes = tuple(1 if new_axis else x._a.shape[dim] for x in tensors)
    return apply(STACK if new_axis else CAT, *tensors, dim=dim, sizes=sizes, new_axis=new_axis)


def stack(tensors, dim=0):
    return _join("stack", tensors, dim, True)


def cat(tensors, dim=0):
    return _join("cat", tensors, dim, False)


def concat(tensors, dim=0):
    return cat(tensors, dim)


def concatenate(tensors, axis=0):
    return cat(tensors, axis)


def _at_least(tensors, name, shape_of):
    """Each tensor reshaped (a view) to at least the dimensions `shape_of` gives it."""
    tensors = _tensors(name, tensors, f"{name} expects a non-empty TensorList")
    return [reshape(x, shape_of(x._a.shape)) for x in tensors]


def hstack(tensors):
    """cat along dim 1, or along dim 0 when the tensors are 1-d (0-d ones count as 1-d)."""
    tensors = _at_least(tensors, "hstack", lambda s: s or (1,))
    return _join("hstack", tensors, 0 if tensors and tensors[0].ndim == 1 else 1, False)


def vstack(tensors):
    """cat along dim 0 of the tensors made at least 2-d (a 1-d one is a row)."""
    tensors = _at_least(tensors, "vstack", lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s)
    return _join("vstack", tensors, 0, False)


def dstack(tensors):
    """cat along dim 2 of the tensors made at least 3-d: (n) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    def shape_of(s):
        return {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)
    return _join("dstack", _at_least(tensors, "dstack", shape_of), 2, False)


def column_stack(tensors):
    """cat along dim 1 of the tensors with 0-d and 1-d ones made columns."""
    tensors = _at_least(tensors, "column_stack", lambda s: (s or (1,)) + (1,) if len(s) < 2 else s)
    return _join("column_stack", tensors, 1, False)
