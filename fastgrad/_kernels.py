"""The bridge to the C kernels: turns tensors into pointers, shapes and byte strides, calls one
C function, and turns its status into an exception. No arithmetic happens here."""
import functools
import math

import numpy as np

from . import _dtype, _recording
from ._fastgrad_c import ffi, lib
from ._shape import broadcast_shape, broadcast_strides, drop_dims_shape, keepdim_shape
from ._tensor import empty_like_shape

NULL = ffi.NULL

_ERRORS = {
    lib.FG_EDTYPE: (TypeError, "is not implemented for dtype {dtype}"),
    lib.FG_EOP: (ValueError, "is not a known kernel"),
    lib.FG_EDIMS: (ValueError, "got an unsupported number of dimensions or unaligned strides"),
    lib.FG_ENOMEM: (MemoryError, "could not allocate its workspace"),
    lib.FG_EINDEX: (IndexError, "got an index out of range"),
    lib.FG_ESIZE: (ValueError, "got a negative size or an element or byte count beyond int64"),
}


def _raise(status, what, dtype):
    if status == lib.FG_EZERODIV:  # torch's words, all of them
        raise RuntimeError("ZeroDivisionError")
    exc, message = _ERRORS.get(status, (RuntimeError, "failed with status %d" % status))
    raise exc(f"{what} {message.format(dtype=dtype)}")


def _check(status, what, dtype):
    if status:
        _raise(status, what, dtype)


_INT_ARRAYS = {}  # tuple -> its C int64 array


def _ints(values):
    """A tuple of ints as a C int64 array, made once per distinct tuple: cffi converting a
    Python sequence at every call costs ~80 ns an element, more than small kernels take."""
    array = _INT_ARRAYS.get(values)
    if array is None:
        if len(_INT_ARRAYS) >= 4096:  # shapes and strides repeat; a program that never
            _INT_ARRAYS.clear()        # repeats one only refills the table
        array = _INT_ARRAYS[values] = ffi.new("int64_t[]", values)
    return array


def _call(kind, args, *tensors):
    """Calls the kernel of `kind` (enum fg_call) with args. While fastgrad.compile records a
    plan, the call is reported too, with the tensors its pointer arguments point into (one per
    pointer that is not NULL, in order): the plan replays it."""
    status = _KERNELS[kind](*args)
    if _recording.recorder is not None and not status:
        _recording.recorder.add(kind, args, tensors)
    return status


def elementwise(code, dtype, out_dtype, inputs, out=None):
    """out = op(inputs...) with broadcasting; `dtype` is the operands' dtype (for FG_WHERE, that
    of the values, the condition being bool)."""
    shape = inputs[0]._a.shape
    for t in inputs[1:]:
        if t._a.shape != shape and t._a.ndim:  # a 0-d operand broadcasts to anything
            shape = broadcast_shape(_NAMES[code], shape, t._a.shape)
    if out is None:
        out = empty_like_shape(shape, out_dtype)
    # The common case: every operand a flat array (contiguous with the output's shape) or a
    # single value, read with one stride each; no shape and stride arrays to pass.
    flat = [NULL, 0, NULL, 0, NULL, 0]
    i = 0
    for t in inputs:
        a = t._a
        if a.shape == shape and a.flags.c_contiguous:
            flat[i + 1] = a.itemsize
        elif a.size != 1 and any(a.strides):  # all strides 0: one value, broadcast
            break
        flat[i] = t._ptr
        i += 2
    else:
        if out._a.flags.c_contiguous:
            status = _call(lib.FG_CALL_ELEMENTWISE_FLAT,
                           (code, dtype.code, out._a.size, out._ptr, *flat), out, *inputs)
            if status:
                _raise(status, _NAMES[code], dtype)
            return out
    strides = out._a.strides
    for t in inputs:
        strides += broadcast_strides(t._a, shape)
    ptrs = [t._ptr for t in inputs] + [NULL] * (3 - len(inputs))
    _check(_call(lib.FG_CALL_ELEMENTWISE, (code, dtype.code, len(shape), _ints(shape),
                                            _ints(strides), out._ptr, *ptrs), out, *inputs),
           _NAMES[code], dtype)
    return out


def copy_into(out, x):
    """out[...] = x converted to out's dtype, x broadcast to out's shape."""
    shape = out._a.shape
    if broadcast_shape("copy_", x._a.shape, shape) != shape:
        raise RuntimeError(f"copy_: the source of shape {tuple(x._a.shape)} cannot be broadcast "
                           f"to the destination's shape {tuple(shape)}")
    strides = out._a.strides + broadcast_strides(x._a, shape)
    _check(_call(lib.FG_CALL_COPY, (out.dtype.code, x.dtype.code, len(shape), _ints(shape),
                                     _ints(strides), out._ptr, x._ptr), out, x), "copy", x.dtype)
    return out


def _element(dtype, value, what):
    """A Python number as one C element of dtype (floats into integers truncate, as torch);
    a number the dtype cannot hold is torch's RuntimeError (unsigned types take -max..max,
    wrapping negatives, as c10's check)."""
    if dtype.code == lib.FG_BOOL:
        return ffi.new(dtype.ctype + " *", bool(value))
    if dtype.is_floating_point:
        value = float(value)
        limit = _largest(dtype.np)
        if math.isfinite(value) and abs(value) > limit:
            _overflow(what, value, dtype)
        if dtype.code == lib.FG_FLOAT16:  # cffi has no binary16: pass its bits
            value = int(np.array(value, np.float16).view(np.uint16))
        return ffi.new(dtype.ctype + " *", value)
    info = np.iinfo(dtype.np)
    low = -info.max if info.min == 0 else info.min
    if not math.isfinite(value) or not low <= int(value) <= info.max:
        _overflow(what, value, dtype)
    return ffi.new(dtype.ctype + " *", int(value) % (info.max + 1) if info.min == 0 else int(value))


@functools.lru_cache(maxsize=None)
def _largest(np_dtype):
    return float(np.finfo(np_dtype).max)  # np.finfo costs ~1 us a call


# torch's words for the C++ type in overflow messages
_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int32": "int"}


def _overflow(what, value, dtype):
    raise RuntimeError(f"{what}(): value {value} cannot be converted to type "
                       f"{_C_NAMES.get(dtype.name, dtype.ctype)} without overflow")


def fill(out, value):
    a = out._a
    _check(_call(lib.FG_CALL_FILL, (out.dtype.code, a.ndim, _ints(a.shape), _ints(a.strides),
                                     out._ptr, _element(out.dtype, value, "fill_")), out),
           "fill_", out.dtype)
    return out


def _made_as(dtype):
    """The dtype a range kernel makes for `dtype`: the narrower integers in int64 (then
    converted), float16 itself (torch computes its ranges in float16 or float)."""
    return dtype if dtype is _dtype.float16 else _dtype.compute_dtype(dtype)


def arange(n, start, step, dtype):
    """n values start, start + step, ...: exact integers for int64, doubles rounded otherwise
    (the narrower integers made in int64, then converted)."""
    out = empty_like_shape((n,), _made_as(dtype))
    ctype = "double *" if dtype.is_floating_point else "int64_t *"
    _check(_call(lib.FG_CALL_ARANGE, (out.dtype.code, n, out._ptr, ffi.new(ctype, start),
                                       ffi.new(ctype, step)), out), "arange", dtype)
    return _narrowed(out, dtype)


def _widened(x):
    """x in the dtype the kernels below compute it in (narrow integers in int64, float16 in
    float32); x itself for the compute dtypes."""
    wide = _dtype.compute_dtype(x.dtype)
    return x if wide is x.dtype else copy_into(empty_like_shape(x._a.shape, wide), x)


def _narrowed(out, dtype):
    """A result computed in a wider dtype, rounded back to the operands' dtype."""
    return out if out.dtype is dtype else copy_into(empty_like_shape(out._a.shape, dtype), out)


def linspace(n, start, end, dtype, base=None):
    """torch's linspace of n values from start to end, or its logspace when a base is given:
    base ** each value (start and end are ints for the integer dtypes, floats otherwise; the
    narrower integers made in int64, then converted)."""
    out = empty_like_shape((n,), _made_as(dtype))
    ctype = "double *" if dtype.is_floating_point else "int64_t *"
    _check(_call(lib.FG_CALL_LINSPACE, (base is not None, out.dtype.code, n, out._ptr,
                                         ffi.new(ctype, start), ffi.new(ctype, end),
                                         ffi.new("double *", base or 0.0)), out),
           "logspace" if base is not None else "linspace", dtype)
    return _narrowed(out, dtype)


def reduce(code, x, axes, keepdim=True):
    """Reduces x over `axes` (a tuple of non-negative ints), keeping them as size-1 dimensions
    or not: the output's memory is the same contiguous block either way."""
    dtype, x = x.dtype, _widened(x)
    a = x._a
    mask = 0
    for d in axes:
        mask |= 1 << d
    shape = (keepdim_shape if keepdim else drop_dims_shape)(a.shape, axes)
    out = empty_like_shape(shape, x.dtype)
    _check(_call(lib.FG_CALL_REDUCE, (code, x.dtype.code, a.ndim, _ints(a.shape),
                                       _ints(a.strides), mask, out._ptr, x._ptr), out, x),
           _REDUCE_NAMES[code], x.dtype)
    return _narrowed(out, dtype)


def along_axis(code, x, axis, out_shape, out_dtype):
    """argmax/argmin (out_shape has 1 at axis) or cumsum (out_shape is x's shape) along axis."""
    x = _widened(x)
    a = x._a
    out = empty_like_shape(out_shape, _dtype.compute_dtype(out_dtype))
    strides = list(out._a.strides) + list(a.strides)
    _check(_call(lib.FG_CALL_ALONG_AXIS, (code, x.dtype.code, a.ndim, a.shape, strides, axis,
                                           out._ptr, x._ptr), out, x), _AXIS_NAMES[code], x.dtype)
    return _narrowed(out, out_dtype)


def sort(code, x, axis, out_shape):
    """(values, int64 indices) of x sorted along axis (FG_SORT_ASCENDING/DESCENDING, out_shape
    x's), or each row's mode and where it was (FG_SORT_MODE, out_shape with 1 at axis)."""
    dtype, x = x.dtype, _widened(x)
    a = x._a
    values = empty_like_shape(out_shape, x.dtype)
    indices = empty_like_shape(out_shape, _dtype.int64)
    strides = list(values._a.strides) + list(indices._a.strides) + list(a.strides)
    _check(_call(lib.FG_CALL_SORT, (code, x.dtype.code, a.ndim, a.shape, strides, axis,
                                     values._ptr, indices._ptr, x._ptr), values, indices, x),
           "mode" if code == lib.FG_SORT_MODE else "sort", x.dtype)
    return _narrowed(values, dtype), indices


def _axis_strides(t, shape, axis):
    """t's byte strides over `shape`: as they are if t has every dimension, else with 0 along
    `axis` (a loss, a target) or everywhere (a 0-d gradient of a reduced loss)."""
    strides = t._a.strides
    if len(strides) == len(shape):
        return strides
    if not strides:
        return (0,) * len(shape)
    return strides[:axis] + (0,) + strides[axis:]


def _along_axis_args(x, axis, operands):
    """(ndim, shape, strides) for the fused kernels along x's `axis`; a 0-d x is one row of
    one element."""
    shape = x._a.shape or (1,)
    strides = ()
    for t in operands:
        strides += _axis_strides(t, shape, axis)
    return len(shape), _ints(shape), _ints(strides)


_SOFTMAX_NAMES = {lib.FG_SOFTMAX: "softmax", lib.FG_LOG_SOFTMAX: "log_softmax"}


def softmax(code, x, axis):
    """softmax or log_softmax (code) of x along axis."""
    dtype, x = x.dtype, _widened(x)
    out = empty_like_shape(x._a.shape, x.dtype)
    _check(_call(lib.FG_CALL_SOFTMAX, (code, x.dtype.code, *_along_axis_args(x, axis, (out, x)),
                                        axis, out._ptr, x._ptr), out, x),
           _SOFTMAX_NAMES[code], x.dtype)
    return _narrowed(out, dtype)


def softmax_backward(code, g, y, axis):
    """The gradient of softmax or log_softmax (code) from its upstream g and its output y."""
    dtype, g, y = y.dtype, _widened(g), _widened(y)
    gx = empty_like_shape(y._a.shape, y.dtype)
    _check(_call(lib.FG_CALL_SOFTMAX_BACKWARD,
                 (code, y.dtype.code, *_along_axis_args(y, axis, (gx, g, y)), axis, gx._ptr,
                  g._ptr, y._ptr), gx, g, y), _SOFTMAX_NAMES[code] + "_backward", y.dtype)
    return _narrowed(gx, dtype)


def cross_entropy(x, target, axis, ignore_index, reduction="none"):
    """(the loss at each target, or their sum or mean (over the targets not ignored) as a 0-d
    tensor; the number of targets not ignored as a 0-d int64 tensor, which the kernel writes: a
    replayed plan counts again): logsumexp(x) - x[target] along x's class axis. Raises
    IndexError naming the first target out of range."""
    loss = empty_like_shape(target._a.shape, x.dtype)
    total = None if reduction == "none" else empty_like_shape((), x.dtype)
    count = empty_like_shape((), _dtype.int64)
    info = ffi.cast("int64_t *", count._ptr)
    status = _call(lib.FG_CALL_CROSS_ENTROPY,
                   (x.dtype.code, *_along_axis_args(x, axis, (loss, x, target)), axis,
                    ignore_index, reduction == "mean", loss._ptr,
                    NULL if total is None else total._ptr, x._ptr, target._ptr, info),
                   *(t for t in (loss, total, x, target) if t is not None))
    if status == lib.FG_EINDEX:
        raise IndexError(f"cross_entropy(): Target {info[0]} is out of bounds (input of shape "
                         f"{x._a.shape}, {x._a.shape[axis]} classes along dimension {axis}).")
    _check(status, "cross_entropy", x.dtype)
    return loss if total is None else total, count


def cross_entropy_backward(g, x, target, axis, ignore_index, mean):
    """(softmax(x) - onehot(target)) * g, divided by the targets counted when `mean`."""
    gx = empty_like_shape(x._a.shape, x.dtype)
    args = _along_axis_args(x, axis, (gx, x, target, g))
    _check(_call(lib.FG_CALL_CROSS_ENTROPY_BACKWARD,
                 (x.dtype.code, *args, axis, ignore_index, mean, gx._ptr, x._ptr, target._ptr,
                  g._ptr), gx, x, target, g), "cross_entropy_backward", x.dtype)
    return gx


def matmul(a, b, batch, m, n, k, out_shape, a_strides, b_strides, bias=None, bias_strides=()):
    """(batched) a @ b (+ bias) where a's and b's (and bias's) (batch, row, col) byte strides are
    given."""
    out = empty_like_shape(out_shape, a.dtype)
    itemsize = a.dtype.itemsize
    c_strides = (m * n * itemsize, n * itemsize, itemsize)
    strides = _ints(tuple(a_strides) + tuple(b_strides) + c_strides + bias_strides)
    _check(_call(lib.FG_CALL_MATMUL, (a.dtype.code, batch, m, n, k, strides, out._ptr, a._ptr,
                                       b._ptr, NULL if bias is None else bias._ptr),
                 out, a, b, *(() if bias is None else (bias,))), "matmul", a.dtype)
    return out


def _check_index(status, bad, error, what, dtype):
    """An index out of bounds raises error(the index); other statuses as _check does."""
    if status == lib.FG_EINDEX and error is not None:
        raise error(bad[0])
    _check(status, what, dtype)


def _rows_1d(*tensors):
    """The byte strides of each operand, one row each; a 0-d operand is read as one element of
    a 1-d array (the indexing kernels need an axis)."""
    strides = ()
    for t in tensors:
        strides += t._a.strides or (0,)
    return _ints(strides)


def gather(out, x, dim, index, error=None):
    """out[i] = x[i with i[dim] = index[i]] over index's shape (out's); x and index have as many
    dimensions (or are both at most 1-d)."""
    shape = index._a.shape or (1,)
    bad = ffi.new("int64_t *")
    status = _call(lib.FG_CALL_GATHER, (x.dtype.code, len(shape), _ints(shape),
                                        _rows_1d(out, x, index), dim,
                                        x._a.shape[dim] if x._a.ndim else 1, out._ptr,
                                        x._ptr, index._ptr, bad), out, x, index)
    _check_index(status, bad, error, "gather", x.dtype)
    return out


def scatter(code, out, dim, index, src, error=None):
    """out[i with i[dim] = index[i]] = src[i] (FG_SCATTER_ASSIGN) or += src[i] (FG_SCATTER_ADD),
    in place, over index's shape."""
    shape = index._a.shape or (1,)
    bad = ffi.new("int64_t *")
    status = _call(lib.FG_CALL_SCATTER, (code, out.dtype.code, len(shape), _ints(shape),
                                         _rows_1d(out, src, index), dim,
                                         out._a.shape[dim] if out._a.ndim else 1, out._ptr,
                                         src._ptr, index._ptr, bad), out, src, index)
    _check_index(status, bad, error, "scatter", out.dtype)
    return out


def index_fold(out, index, size, error):
    """out = out * size + index (negative indices counted from the end), index broadcast to
    out's shape: one indexed axis folded into out, a flat int64 index."""
    shape = out._a.shape
    strides = list(out._a.strides) + list(broadcast_strides(index._a, shape))
    bad = ffi.new("int64_t *")
    status = _call(lib.FG_CALL_INDEX_FOLD, (len(shape), shape, strides, size, out._ptr,
                                            index._ptr, bad), out, index)
    _check_index(status, bad, error, "index", index.dtype)
    return out


def nonzero(x):
    """The coordinates of x's nonzero elements, row-major: an int64 (count, ndim) tensor."""
    a = x._a
    if _recording.recorder is not None:
        _recording.recorder.refuse("nonzero (or a boolean mask) makes a shape from the data")
    count = ffi.new("int64_t *")
    _check(lib.fg_nonzero(x.dtype.code, a.ndim, a.shape, a.strides, x._ptr, NULL, count),
           "nonzero", x.dtype)
    out = empty_like_shape((count[0], a.ndim), _dtype.int64)
    _check(lib.fg_nonzero(x.dtype.code, a.ndim, a.shape, a.strides, x._ptr, out._ptr, count),
           "nonzero", x.dtype)
    return out


# ---- random draws (csrc/random.c): never recorded, a replay would repeat the same numbers ----
def _drawing():
    _recording.refuse("it draws random numbers (its generator is not part of the plan)")


def rng_fill(gen, kind, out, a=0.0, b=0.0, range_=0, base=0):
    """Fills out in memory order; `gen` is a generator's fg_generator pointer. The stored dtypes
    take the draws of their compute dtype, converted."""
    wide = _dtype.compute_dtype(out.dtype)
    if wide is not out.dtype:
        drawn = rng_fill(gen, kind, empty_like_shape(out._a.shape, wide), a, b, range_, base)
        return copy_into(out, drawn)
    _drawing()
    x = out._a
    _check(lib.fg_rng_fill(gen, kind, out.dtype.code, x.ndim, x.shape, x.strides, out._ptr, a, b,
                           range_, base), "random fill", out.dtype)
    return out


def rng_bernoulli(gen, out, p):
    """out = 1 with probability p (broadcast to out's shape), else 0; None for a p outside
    [0, 1]."""
    _drawing()
    shape = out._a.shape
    strides = list(out._a.strides) + list(broadcast_strides(p._a, shape))
    status = lib.fg_rng_bernoulli(gen, out.dtype.code, p.dtype.code, len(shape), shape, strides,
                                  out._ptr, p._ptr)
    if status == lib.FG_EINDEX:
        return None
    _check(status, "bernoulli", p.dtype)
    return out


def rng_randperm(gen, n, dtype):
    _drawing()
    out = empty_like_shape((n,), dtype)
    _check(lib.fg_rng_randperm(gen, dtype.code, n, out._ptr), "randperm", dtype)
    return out


def rng_multinomial(gen, p, n_sample, replacement):
    """(rows, n_sample) int64 category indices, rows the rows of the 2-d p (or 1). Returns the
    indices, or the reason (enum fg_rng_bad) the probabilities are invalid."""
    _drawing()
    a = p._a if p._a.ndim == 2 else p._a.reshape(1, -1)
    out = empty_like_shape((a.shape[0], n_sample), _dtype.int64)
    bad = ffi.new("int *")
    status = lib.fg_rng_multinomial(gen, p.dtype.code, a.shape[0], a.shape[1], a.strides, p._ptr,
                                    n_sample, replacement, ffi.cast("int64_t *", out._ptr), bad)
    if status == lib.FG_EINDEX:
        return bad[0]
    _check(status, "multinomial", p.dtype)
    return out


def isa():
    """The instruction-set level the kernels picked at load time (avx512, avx2 or baseline);
    FASTGRAD_ISA=avx2 or baseline in the environment caps it."""
    return ffi.string(lib.fg_isa()).decode()


def set_num_threads(n):
    if int(n) < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer (got {n})")
    lib.fg_set_num_threads(int(n))


def get_num_threads():
    return lib.fg_get_num_threads()


_NAMES = {getattr(lib, "FG_" + name.upper()): name for name in (
    "neg abs sign exp log sqrt sin cos tanh sigmoid relu floor ceil trunc round log2 log10 log1p "
    "expm1 rsqrt reciprocal sinh cosh asin acos atan erf add sub mul div pow maximum minimum "
    "eq ne lt le gt ge relu_backward abs_backward sigmoid_backward tanh_backward max_backward "
    "where floor_divide remainder fmod div_trunc atan2 hypot frac lerp bitwise_and bitwise_or "
    "bitwise_xor bitwise_not lshift rshift logical_and logical_or logical_xor logical_not isnan "
    "isinf isposinf isneginf isfinite signbit replace_nan replace_inf erfinv "
    # the activations (fastgrad.nn.functional)
    "gelu gelu_tanh silu mish hardsigmoid hardswish leaky_relu elu softplus gelu_backward "
    "gelu_tanh_backward silu_backward mish_backward hardsigmoid_backward hardswish_backward "
    "leaky_relu_backward elu_backward softplus_backward "
    "selu celu log_sigmoid softshrink hardshrink threshold selu_backward celu_backward "
    "log_sigmoid_backward shrink_backward threshold_backward").split()}
_REDUCE_NAMES = {lib.FG_SUM: "sum", lib.FG_MAX: "max", lib.FG_MIN: "min", lib.FG_PROD: "prod"}
_AXIS_NAMES = {lib.FG_ARGMAX: "argmax", lib.FG_ARGMIN: "argmin", lib.FG_CUMSUM: "cumsum",
               lib.FG_CUMPROD: "cumprod"}

_KERNELS = {lib.FG_CALL_ELEMENTWISE: lib.fg_elementwise,
            lib.FG_CALL_ELEMENTWISE_FLAT: lib.fg_elementwise_flat, lib.FG_CALL_COPY: lib.fg_copy,
            lib.FG_CALL_FILL: lib.fg_fill, lib.FG_CALL_ARANGE: lib.fg_arange,
            lib.FG_CALL_REDUCE: lib.fg_reduce, lib.FG_CALL_ALONG_AXIS: lib.fg_along_axis,
            lib.FG_CALL_MATMUL: lib.fg_matmul, lib.FG_CALL_SOFTMAX: lib.fg_softmax,
            lib.FG_CALL_SOFTMAX_BACKWARD: lib.fg_softmax_backward,
            lib.FG_CALL_CROSS_ENTROPY: lib.fg_cross_entropy,
            lib.FG_CALL_CROSS_ENTROPY_BACKWARD: lib.fg_cross_entropy_backward,
            lib.FG_CALL_GATHER: lib.fg_gather, lib.FG_CALL_SCATTER: lib.fg_scatter,
            lib.FG_CALL_INDEX_FOLD: lib.fg_index_fold, lib.FG_CALL_SORT: lib.fg_sort,
            lib.FG_CALL_LINSPACE: lib.fg_linspace,
            # the wrappers of these are in _kernels_<area>.py
            lib.FG_CALL_POOL2D: lib.fg_pool2d, lib.FG_CALL_POOL2D_BACKWARD: lib.fg_pool2d_backward,
            lib.FG_CALL_LAYER_NORM: lib.fg_layer_norm,
            lib.FG_CALL_LAYER_NORM_BACKWARD: lib.fg_layer_norm_backward,
            lib.FG_CALL_BATCH_NORM: lib.fg_batch_norm,
            lib.FG_CALL_BATCH_NORM_BACKWARD: lib.fg_batch_norm_backward,
            lib.FG_CALL_CONV2D: lib.fg_conv2d, lib.FG_CALL_QR: lib.fg_qr,
            lib.FG_CALL_SGD_STEP: lib.fg_sgd_step, lib.FG_CALL_ADAM_STEP: lib.fg_adam_step,
            lib.FG_CALL_RMSPROP_STEP: lib.fg_rmsprop_step,
            lib.FG_CALL_ADAGRAD_STEP: lib.fg_adagrad_step,
            lib.FG_CALL_ADADELTA_STEP: lib.fg_adadelta_step,
            lib.FG_CALL_ADAMAX_STEP: lib.fg_adamax_step, lib.FG_CALL_NADAM_STEP: lib.fg_nadam_step,
            lib.FG_CALL_RADAM_STEP: lib.fg_radam_step, lib.FG_CALL_ASGD_STEP: lib.fg_asgd_step}


def dense(t):
    """t itself if row-major and aligned (the layout the nn kernels read), else a contiguous
    copy; None stays None."""
    if t is None or (t._a.flags.c_contiguous and t._a.flags.aligned):
        return t
    return copy_into(empty_like_shape(t._a.shape, t.dtype), t)
