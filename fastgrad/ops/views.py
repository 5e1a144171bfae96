"""Views: new shapes and strides over the same memory (numpy makes the strided view; no data
moves). Each row's gradient rule undoes its view on the upstream gradient; the forward-mode
rule applies the view to the tangent."""
import math
import numbers

import numpy as np

from .._autograd import rules_are_recorded
from .._shape import broadcast_strides, infer_shape, normalize_dim, normalize_dims
from ._core import LINEAR_JVP, Op, apply
from .elementwise import _cast_forward, clone


def _view_op(name, make_view, grad_rule, same_start=True):
    """A view op. `same_start`: the view begins where x does, so it reuses x's C pointer."""
    def forward(x, **params):
        return _same_start(x, make_view(x._a, **params)) if same_start else \
            x._view(make_view(x._a, **params))
    return Op(name, forward, grad_rule, save_inputs=False, jvp=LINEAR_JVP)


def _same_start(x, array):
    """The view of x over `array`, which begins where x does: it reuses x's C pointer."""
    view = x._view(array)
    view._p = x._p
    return view


# The rules of reshape and t below make the view straight from numpy when they are not
# recorded (the engine's common case): the public functions' argument checks are for users.
def _back_to_shape(g, out, in_shape, **unused):
    if g._a.flags.c_contiguous and not rules_are_recorded():
        return _same_start(g, g._a.reshape(in_shape))
    return g.reshape(in_shape)


def _t_rule(g, out):
    return t(g) if rules_are_recorded() else _same_start(g, g._a.T)


def reshaped_array(a, shape):
    """A view of `a` with `shape`, or None when a's strides do not allow one."""
    if a.flags.c_contiguous:
        return a.reshape(shape)
    try:
        return np.reshape(a, shape, copy=False)
    except ValueError:
        return None


def _reshape_view(a, shape, in_shape):
    return reshaped_array(a, shape)


def broadcast_view(a, size):
    """a read as if broadcast to size (stride 0 on repeated axes), without copying."""
    if a.flags.c_contiguous and a.size:  # np.ndarray over a's buffer is ~8x cheaper than
        return np.ndarray(size, a.dtype, a, 0, broadcast_strides(a, size))  # broadcast_to
    return np.broadcast_to(a, size)


# ---- the table ---------------------------------------------------------------------------------
VIEW = _view_op("ViewBackward0", _reshape_view, _back_to_shape)
UNSAFE_VIEW = _view_op("UnsafeViewBackward0", _reshape_view, _back_to_shape)  # matmul's, in torch
UNSQUEEZE = _view_op("UnsqueezeBackward0", lambda a, dim, in_shape: np.expand_dims(a, dim), _back_to_shape)
SQUEEZE = _view_op("SqueezeBackward0", lambda a, dims, in_shape: np.squeeze(a, dims), _back_to_shape)
SQUEEZE_DIM = SQUEEZE.renamed("SqueezeBackward1")  # squeeze(x, 1)
SQUEEZE_DIMS = SQUEEZE.renamed("SqueezeBackward2")  # squeeze(x, (0, 1))
EXPAND = _view_op("ExpandBackward0", broadcast_view, lambda g, out, size: g)
TRANSPOSE = _view_op("TransposeBackward0", lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
                     lambda g, out, dim0, dim1: transpose(g, dim0, dim1))
T_OP = _view_op("TBackward0", lambda a: a.T, _t_rule)
PERMUTE = _view_op("PermuteBackward0", lambda a, dims: a.transpose(dims),
                   lambda g, out, dims: permute(g, tuple(np.argsort(dims).tolist())))
# flip copies, as torch's (a reversed view, copied by the kernel)
FLIP = Op("FlipBackward0", lambda x, dim: _cast_forward(x._view(np.flip(x._a, dim)), x.dtype),
          lambda g, out, dim: flip(g, dim), save_inputs=False, jvp=LINEAR_JVP)


# ---- the functions -----------------------------------------------------------------------------
def reshape(x, shape):
    shape = infer_shape(shape, x._a.size, "reshape")
    if not x._a.flags.c_contiguous and reshaped_array(x._a, shape) is None:
        x = clone(x)
    return apply(VIEW, x, shape=shape, in_shape=x._a.shape)


def view(x, shape):
    shape = infer_shape(shape, x._a.size, "view")
    if not x._a.flags.c_contiguous and reshaped_array(x._a, shape) is None:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (shape "
            f"{tuple(x.shape)} to {shape}: at least one dimension spans across two contiguous "
            f"subspaces). Use .reshape(...) instead.")
    return apply(VIEW, x, shape=shape, in_shape=x._a.shape)


def unsqueeze(x, dim):
    dim = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return apply(UNSQUEEZE, x, dim=dim, in_shape=x._a.shape)


def squeeze(x, dim=None):
    dims = tuple(d for d in normalize_dims(dim, x.ndim, "squeeze") if x._a.shape[d] == 1)
    row = SQUEEZE if dim is None else SQUEEZE_DIM if isinstance(dim, numbers.Integral) else SQUEEZE_DIMS
    return apply(row, x, dims=dims, in_shape=x._a.shape)


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_dim(start_dim, x.ndim, "flatten")
    end = normalize_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._a.shape
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def expand(x, size):
    """x read at `size` without copying: size-1 dims repeat (stride 0), -1 keeps a dim, leading
    sizes add dims. Errors in torch's words."""
    shape = x._a.shape
    lead = len(size) - len(shape)
    if lead < 0:
        kind = _TYPE_NAMES.get(repr(x.dtype).split(".")[1], "")
        raise RuntimeError(f"expand(torch.{kind}Tensor{{{list(shape)}}}, size={list(size)}): the "
                           f"number of sizes provided ({len(size)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(shape)})")
    for i, s in enumerate(size):
        if i < lead and s < 0:
            raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                               f"leading, non-existing dimension {i}")
        if i >= lead and s != -1 and shape[i - lead] not in (1, s):
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({shape[i - lead]}) at non-singleton dimension {i}.  Target "
                               f"sizes: {list(size)}.  Tensor sizes: {list(shape)}")
    size = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(size))
    if math.prod(size) * x._a.itemsize >= 2**63:  # numpy's limit, for views as well
        raise ValueError(f"expand: a tensor of shape {size} would span 2**63 bytes or more")
    return apply(EXPAND, x, size=size)


def transpose(x, dim0, dim1):
    n = x.ndim
    return apply(TRANSPOSE, x, dim0=normalize_dim(dim0, n, "transpose"),
                 dim1=normalize_dim(dim1, n, "transpose"))


def t(x):
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return apply(T_OP, x)


def permute(x, dims):
    n = x.ndim
    dims = tuple(normalize_dim(d, n, "permute") for d in dims)
    if sorted(dims) != list(range(n)):
        raise RuntimeError(f"permute(): dims {list(dims)} are not a permutation of the "
                           f"{n} dimensions of a tensor of shape {tuple(x.shape)}")
    return apply(PERMUTE, x, dims=dims)


def flip(x, dims):
    """torch.flip(x, dims): a copy with the order along each of dims reversed."""
    if isinstance(dims, numbers.Integral):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not "
                        f"{type(dims).__name__}")
    axes = [normalize_dim(d, x.ndim, "flip") for d in dims]
    for d in axes:
        if axes.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return apply(FLIP, x, dim=tuple(axes))

