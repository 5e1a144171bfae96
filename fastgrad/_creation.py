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


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad,
                device=device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return full_like(input, 0, dtype=dtype, requires_grad=requires_grad, device=device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return full_like(input, 1, dtype=dtype, requires_grad=requires_grad, device=device)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    _device.check(device)
    return _finish(empty_like_shape(input._a.shape, _dtype.to_dtype(dtype or input.dtype)),
                   requires_grad)


# ---- Tensor.new_*: the tensor's dtype unless another is given ------------------------------------
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    return full(_size((size,)), fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad,
                device=device)


def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    return new_full(self, _size(sizes if size is None else (size,)), 0, dtype=dtype,
                    device=device, requires_grad=requires_grad)


def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    return new_full(self, _size(sizes if size is None else (size,)), 1, dtype=dtype,
                    device=device, requires_grad=requires_grad)


def new_empty(self, *sizes, size=None, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    return empty(_size(sizes if size is None else (size,)), dtype=dtype or self.dtype,
                 device=device, requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


for _method in (new_full, new_zeros, new_ones, new_empty, new_tensor):  # x.new_zeros(2, 3)
    setattr(Tensor, _method.__name__, _method)


# ---- ranges: torch's values, bit for bit (csrc/copy.c) --------------------------------------------
def _number(v, name, what):
    """A range bound: a number, or a 0-d tensor's number."""
    if isinstance(v, Tensor):
        if v.ndim:
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got "
                               f"{what} with {v.ndim} dimension(s).")
        return v.item()
    return v


def _range_dtype(dtype, name, bounds=()):
    """The dtype asked for, else int64 for integer bounds and the default float otherwise."""
    if dtype is None:
        floating = not bounds or any(isinstance(v, (float, np.floating)) for v in bounds)
        return _dtype.default_float if floating else _dtype.int64
    dtype = _dtype.to_dtype(dtype)
    if dtype is _dtype.bool_:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Bool\'')
    return dtype


def _c_div(a, b):
    """a / b rounded toward zero, as C's int64 division."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def arange(start, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values from start (inclusive) to end (exclusive) by step; int64 unless any bound is a
    float. Its length and values are torch's: ceil((end - start) / step) in double, and for
    int64 each bound truncated first."""
    _device.check(device)
    if end is None:
        start, end = 0, start
    bounds = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    dtype = _range_dtype(dtype, "arange", bounds)
    start, end, step = bounds
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype.is_floating_point:
        start, step = float(start), float(step)
        n = math.ceil((float(end) - start) / step)
    else:
        start, end, step = int(start), int(end), int(step)
        if step == 0:  # a fractional step, truncated
            raise ValueError("step must be nonzero")
        n = _c_div(end - start + step - (1 if step > 0 else -1), step)
    return _finish(K.arange(max(0, n), start, step, dtype), requires_grad)


def _spaced(name, start, end, steps, base, dtype, device, requires_grad):
    _device.check(device)
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(f"{name}(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start, end = _number(start, name, "start"), _number(end, name, "end")
    dtype = _range_dtype(dtype, name)
    if base is not None and steps == 1 and not dtype.is_floating_point:  # torch: base ** start
        out = K.linspace(1, float(start), float(start), _dtype.float64, base)  # in double
        return _finish(K.copy_into(empty_like_shape((1,), dtype), out), requires_grad)
    convert = float if dtype.is_floating_point else int  # torch's Scalar.to<T>: int truncates
    return _finish(K.linspace(int(steps), convert(start), convert(end), dtype, base), requires_grad)


def linspace(start, end, steps, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    """steps values from start to end inclusive, evenly spaced (the default float dtype)."""
    return _spaced("linspace", start, end, steps, None, dtype, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    """base ** v for v in linspace(start, end, steps) (as torch computes it, in double)."""
    return _spaced("logspace", start, end, steps, float(base), dtype, device, requires_grad)


def eye(n, m=None, *, dtype=None, layout=None, device=None, requires_grad=False):
    """An n x m matrix (m = n by default) with ones on the diagonal and zeros elsewhere."""
    _device.check(device)
    for name, v, position in (("n", n, 1), ("m", m, 2)):
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' (position {position}) must be int, not "
                            f"{type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    m = n if m is None else m
    out = full((n, m), 0, dtype=_dtype.to_dtype(dtype or _dtype.default_float))
    diagonal = np.diagonal(out._a)  # a view of out's memory (numpy makes it read-only)
    diagonal.flags.writeable = True
    K.fill(out._view(diagonal), 1)
    return _finish(out, requires_grad)
