"""torch.nn.functional.pad: constant padding (negative pads crop), and reflect, replicate and
circular padding, which take each output position from an input position along each padded
dimension. The constant pad's gradient is the same pad negated (a crop, or a pad with zeros);
the others' rows take x at index vectors, one per padded dimension, and their gradient adds g
back at those indices (index_add, so it is differentiable again)."""
import functools
import numbers

import numpy as np

from .. import _kernels as K
from .._dtype import int64
from .._tensor import Tensor, empty_like_shape
from ._core import LINEAR_JVP, Op, apply, check_tensor, zeros
from .indexing import spread_index
from .scatter import index_add


# ---- constant ---------------------------------------------------------------------------------
def _constant_forward(x, pad, value):
    """pad holds (left, right) pairs from the last dimension back, as torch's."""
    shape, n = list(x._a.shape), len(pad) // 2
    into, take = [slice(None)] * x.ndim, [slice(None)] * x.ndim
    for i in range(n):
        d, left, right = x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        size = shape[d]
        shape[d] = size + left + right
        into[d] = slice(max(left, 0), max(left, 0) + max(0, size + min(left, 0) + min(right, 0)))
        take[d] = slice(max(-left, 0), size - max(-right, 0))
    out = K.fill(empty_like_shape(tuple(shape), x.dtype), value)
    region = x._a[tuple(take)]
    if region.size:
        K.copy_into(Tensor(out._a[tuple(into)], x.dtype), Tensor(region, x.dtype))
    return out


CONSTANT_PAD = Op("ConstantPadNdBackward0", _constant_forward,
                  lambda g, out, pad, value: apply(CONSTANT_PAD, g, pad=tuple(-p for p in pad),
                                                   value=0),
                  save_inputs=False,
                  jvp=lambda op, tangents, out, x, pad, value: apply(op, tangents[0], pad=pad,
                                                                     value=0))


# ---- reflect, replicate, circular: x taken at index vectors ------------------------------------
def _take_forward(x, dims, indices, shape):
    for d, index in zip(dims, indices):
        spread = spread_index(index, d, x._a.shape)
        x = K.gather(empty_like_shape(spread._a.shape, x.dtype), x, d, spread)
    return x


def _take_backward(g, out, dims, indices, shape):
    for d, index in zip(reversed(dims), reversed(indices)):  # g's shape shrinks back
        before = list(g._a.shape)
        before[d] = shape[d]
        g = index_add(zeros(tuple(before), g.dtype), d, index, g)
    return g


def _take_row(name):
    return Op(name, _take_forward, _take_backward, save_inputs=False, jvp=LINEAR_JVP)


_ROWS = {(mode, n): _take_row(f"{prefix}Pad{n}DBackward0")
         for mode, prefix in (("reflect", "Reflection"), ("replicate", "Replication"))
         for n in (1, 2, 3)}
CIRCULAR = _take_row("CopySlices")  # torch writes the wrapped slices into an empty tensor


def _reflect(j, size):
    j = -j if j < 0 else j
    return 2 * (size - 1) - j if j >= size else j


@functools.lru_cache(maxsize=256)
def _index(mode, size, left, right):
    """The input position of each output position along one dimension; made once for each
    (read-only, so that fastgrad.compile sees the same constant in every recording)."""
    positions = range(-left, size + right)
    if mode == "reflect":
        values = [_reflect(j, size) for j in positions]
    elif mode == "replicate":
        values = [min(max(j, 0), size - 1) for j in positions]
    else:  # circular: the cropped input, wrapped
        lo, n = max(-left, 0), size - max(-left, 0) - max(-right, 0)
        values = [lo + (j - max(left, 0)) % n for j in range(size + left + right)]
    index = np.array(values, np.int64).reshape(-1)
    index.flags.writeable = False
    return Tensor(index, int64)


# ---- the function -----------------------------------------------------------------------------
_MODES = ("constant", "reflect", "replicate", "circular")


def _sizes(x):
    return "[" + ", ".join(str(s) for s in x._a.shape) + "]"


def _check_non_constant(x, mode, pad):
    n = len(pad) // 2
    if len(pad) not in (2, 4, 6) or x.ndim not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = x._a.shape
    if mode != "circular" and 0 in shape[x.ndim - n - 1 + (x.ndim == n + 2):]:
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{_sizes(x)}")
    for i in range(n):
        d, left, right = x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (left >= shape[d] or right >= shape[d]):
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({left}, {right}) at "
                               f"dimension {d} of input {_sizes(x)}")
        if mode == "circular" and (left > shape[d] or right > shape[d]):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if shape[d] + left + right <= 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension.")


def pad(input, pad, mode="constant", value=None):  # noqa: A002
    check_tensor(input, "pad")
    for i, p in enumerate(pad):
        if not isinstance(p, numbers.Integral):
            raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(p).__name__} at pos {i}")
    pad = tuple(int(p) for p in pad)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_non_constant(input, mode, pad)
    n = len(pad) // 2
    dims = tuple(input.ndim - 1 - i for i in range(n))
    indices = tuple(_index(mode, input._a.shape[d], pad[2 * i], pad[2 * i + 1])
                    for i, d in enumerate(dims))
    row = CIRCULAR if mode == "circular" else _ROWS[mode, n]
    return apply(row, input, dims=dims, indices=indices, shape=input._a.shape)


def constant_pad_nd(input, pad, value=0):  # noqa: A002
    check_tensor(input, "constant_pad_nd")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) > 2 * input.ndim:
        raise RuntimeError("Length of pad must be even but instead it equals " + str(len(pad))
                           if len(pad) % 2 else
                           "Length of pad should be no more than twice the number of dimensions "
                           f"of the input. Pad length is {len(pad)} while the input has "
                           f"{input.ndim} dimensions.")
    for i in range(len(pad) // 2):
        if input._a.shape[input.ndim - 1 - i] + pad[2 * i] + pad[2 * i + 1] < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
    if not input.dtype.is_floating_point and not isinstance(value, bool):
        value = int(value)  # torch truncates the value to an integer dtype
    return apply(CONSTANT_PAD, input, pad=pad, value=value)
