"""Making tensors: from Python data and numpy arrays, filled and ranges (random numbers: _random).
numpy owns the memory; fills and ranges run in C."""
import math
import numbers

import numpy as np

from . import _device, _dtype, _recording
from . import _kernels as K
from ._tensor import Tensor, empty_like_shape


def _infer_dtype(data, array):
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(array.dtype)
    kind = array.dtype.kind
    if kind == "b":
        return _dtype.bool_
    if kind in "iu":
        return _dtype.int64
    if kind == "f":
        return _dtype.default_float
    raise TypeError(f"tensor(): could not infer a dtype for data of numpy dtype {array.dtype} "
                    f"(expected numbers, booleans or nested lists of them)")


def _as_array(data, dtype):
    if isinstance(data, Tensor):
        return data._a
    try:
        array = np.asarray(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"tensor(): expected a rectangular nested list of numbers ({e})") from None
    if (not isinstance(data, np.ndarray) and array.dtype.kind in "Ou" and
            all(isinstance(v, numbers.Real) for v in array.flat)):
        array = _beyond_int64(data, array, dtype)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"tensor(): could not convert data of type {type(data).__name__} "
                        f"(numpy dtype {array.dtype}) to a tensor of numbers")
    return array


def _beyond_int64(data, array, dtype):
    """Python numbers with integers beyond int64, which numpy keeps as uint64 or objects: floats,
    as in torch, when a float is among them or a floating dtype is asked for; else too big."""
    if (dtype is not None and _dtype.to_dtype(dtype).is_floating_point) or any(
            isinstance(v, float) for v in array.flat):
        return np.asarray(data, dtype=np.float64)
    raise OverflowError(f"tensor(): an integer of {type(data).__name__} data does not fit in int64")


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (a number, nested lists, a numpy array, a tensor)."""
    _device.check(device)
    array = _as_array(data, dtype)
    source = Tensor(array, _dtype.from_numpy_dtype(array.dtype, "tensor"))
    _recording.constant(array)
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype)
    elif isinstance(data, Tensor):
        dtype = data.dtype
    else:
        dtype = _infer_dtype(data, array)
    out = K.copy_into(empty_like_shape(array.shape, dtype), source)
    return out.requires_grad_(True) if requires_grad else out


def as_tensor(data, dtype=None, device=None):
    _device.check(device)
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_dtype(dtype) is data.dtype):
        return data
    return tensor(data, dtype)


def from_numpy(array):
    """A tensor sharing the memory of a numpy array (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy(): expected np.ndarray (got {type(array).__name__})")
    return Tensor(array, _dtype.from_numpy_dtype(array.dtype, "from_numpy"))


def from_dlpack(obj):
    """A tensor sharing the memory of any object with __dlpack__ (numpy arrays, torch tensors,
    fastgrad tensors), as torch.from_dlpack."""
    try:
        array = np.from_dlpack(obj)
    except (TypeError, AttributeError) as e:
        raise TypeError(f"from_dlpack(): expected an object with __dlpack__, got "
                        f"{type(obj).__name__} ({e})") from None
    return from_numpy(array)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    size = tuple(size)
    if not all(isinstance(s, numbers.Integral) for s in size):
        raise TypeError(f"expected a shape of ints, got {size}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    return tuple(int(s) for s in size)


def _finish(out, requires_grad):
    return out.requires_grad_(True) if requires_grad else out


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    _device.check(device)
    dtype = _dtype.to_dtype(dtype) if dtype is not None else _dtype.scalar_dtype(fill_value)
    out = K.fill(empty_like_shape(_size((size,) if isinstance(size, int) else size), dtype), fill_value)
    return _finish(out, requires_grad)


def zeros(*size_args, size=None, dtype=None, requires_grad=False, device=None):
    _device.check(device)
    return full(_size(size_args if size is None else (size,)), 0.0, dtype or _dtype.default_float, requires_grad)


def ones(*size_args, size=None, dtype=None, requires_grad=False, device=None):
    _device.check(device)
    return full(_size(size_args if size is None else (size,)), 1.0, dtype or _dtype.default_float, requires_grad)


def empty(*size_args, size=None, dtype=None, requires_grad=False, device=None):
    _device.check(device)
    return _finish(empty_like_shape(_size(size_args if size is None else (size,)), _dtype.to_dtype(dtype or _dtype.default_float)),
                   requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False, device=None):
    return full(x.shape, fill_value, dtype or x.dtype, requires_grad, device)


def zeros_like(x, dtype=None, requires_grad=False, device=None):
    return full_like(x, 0, dtype, requires_grad, device)


def ones_like(x, dtype=None, requires_grad=False, device=None):
    return full_like(x, 1, dtype, requires_grad, device)


def empty_like(x, dtype=None, requires_grad=False, device=None):
    _device.check(device)
    return _finish(empty_like_shape(x._a.shape, _dtype.to_dtype(dtype or x.dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Values from start (inclusive) to end (exclusive) by step; int64 unless any bound is a float."""
    _device.check(device)
    if end is None:
        start, end = 0, start
    bounds = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        floating = any(isinstance(v, (float, np.floating)) for v in bounds)
        dtype = _dtype.default_float if floating else _dtype.int64
    dtype = _dtype.to_dtype(dtype)
    start, end, step = bounds
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("arange(): upper bound and larger bound inconsistent with step sign")
    exact = all(isinstance(v, (int, np.integer)) for v in bounds)  # ints: no rounding of n
    n = -((start - end) // step) if exact else math.ceil((end - start) / step)
    if not dtype.is_floating_point:
        start, step = int(start), int(step)
    return _finish(K.arange(max(0, n), start, step, dtype), requires_grad)
