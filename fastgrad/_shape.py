"""Shapes: torch.Size, and shape arithmetic as pure functions of shapes, strides and axes:
broadcasting, the axes a gradient sums over to undo it, dim arguments, reshape's -1, keepdim
shapes. Nothing here touches tensor data; errors carry PyTorch's words."""
import functools
import math
import numbers


class Size(tuple):
    """A tensor's shape: a tuple that prints as torch.Size does."""

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


def broadcast_shape(what, a, b):
    """numpy's broadcasting of two shapes, with PyTorch's error message."""
    if a == b:
        return a
    return _broadcast_shape(what, tuple(a), tuple(b))


@functools.lru_cache(maxsize=4096)  # every elementwise op asks; a model asks the same few
def _broadcast_shape(what, a, b):
    n = max(len(a), len(b))
    a1 = (1,) * (n - len(a)) + tuple(a)
    b1 = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a1, b1)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"{what}: the size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i} (shapes {tuple(a)} and {tuple(b)})"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcasts_to(shape, target):
    """Whether `shape` broadcasts to `target` exactly (without growing `target`)."""
    lead = len(target) - len(shape)
    return lead >= 0 and all(s in (1, n) for s, n in zip(shape, target[lead:]))


def broadcast_strides(array, shape):
    """Byte strides that read `array` (anything with .shape and .strides) as if broadcast to
    `shape`: 0 where it repeats."""
    if array.shape == shape:
        return array.strides
    return _broadcast_strides(array.shape, array.strides, tuple(shape))


@functools.lru_cache(maxsize=4096)
def _broadcast_strides(shape, strides, target):
    pad = len(target) - len(shape)
    return (0,) * pad + tuple(0 if n == 1 else s for n, s in zip(shape, strides))


def sum_to_axes(shape, target):
    """The axes of `shape` to sum over (keeping them) so that the result reshapes to `target`,
    the shape that was broadcast to `shape`: the inverse of broadcasting."""
    lead = len(shape) - len(target)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)


def normalize_dim(dim, ndim, name):
    n = ndim if ndim else 1
    if not (type(dim) is int or isinstance(dim, numbers.Integral)) or not -n <= dim < n:
        raise IndexError(f"{name}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def normalize_dims(dim, ndim, name):
    """A sorted tuple of distinct non-negative axes; None or () means all of them. A 0-d
    tensor has no axes, but accepts dim 0 and -1 as PyTorch does."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if type(dim) is int or isinstance(dim, numbers.Integral):
        return (normalize_dim(dim, ndim, name),) if ndim else ()
    dims = tuple(sorted({normalize_dim(d, ndim, name) for d in dim}))
    if len(dims) != len(dim):
        raise RuntimeError(f"{name}(): dim {list(dim)} appears multiple times in the list of dims")
    return dims if ndim else ()


def pick_dim(dim, axis, keepdim, keepdims):
    """PyTorch's dim/keepdim and numpy's axis/keepdims spellings are both accepted."""
    return (axis if axis is not None else dim), (keepdims if keepdims is not None else keepdim)


def shape_arg(args):
    """Accepts f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(s) for s in args)


def infer_shape(shape, numel, name):
    """shape with its one -1 (if any) filled in, checked against the element count."""
    return _infer_shape(tuple(shape), numel, name)


@functools.lru_cache(maxsize=4096)
def _infer_shape(shape, numel, name):
    if -1 not in shape and math.prod(shape) == numel and min(shape, default=0) >= 0:
        return shape
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    invalid = min(shape, default=0) < -1
    if -1 in shape and not invalid and known and numel % known == 0:
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif -1 in shape or known != numel:
        invalid = True
    if invalid:
        raise RuntimeError(f"{name}(): shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def keepdim_shape(shape, dims):
    """The shape of a reduction over dims that keeps them, as size 1."""
    return tuple(1 if d in dims else n for d, n in enumerate(shape))


def drop_dims_shape(shape, dims):
    return tuple(n for d, n in enumerate(shape) if d not in dims)


def count(shape, dims):
    """How many elements a reduction over dims combines."""
    return math.prod(shape[d] for d in dims)
