"""The bridge to csrc/norm.c (layer norm and batch norm), as fastgrad._kernels is to the other
kernels: operands made contiguous, pointers and sizes passed, statuses turned into exceptions,
and each call reported to the recorder (fastgrad.compile)."""
from math import prod

from . import _kernels as K
from ._fastgrad_c import ffi, lib
from ._tensor import empty_like_shape


def _ptr(t):
    return K.NULL if t is None else t._ptr


def _wide(t):
    """t ready for a kernel: float16 widened to float32 (the kernels compute half tensors in
    float, as torch's CPU kernels do), and row-major."""
    return None if t is None else K.dense(K._widened(t))


def narrowed(t, dtype):
    """A kernel's result t in dtype (float16 when its operand was): t itself when it is."""
    return None if t is None else K._narrowed(t, dtype)


def _given(*tensors):
    """The tensors a call's pointers point into, in order, skipping the NULL ones."""
    return [t for t in tensors if t is not None]


def layer_norm(x, w, b, rows, n, eps, stats_shape):
    """(out, mean, rstd): x (rows * n elements) normalized per row of n, then * w + b; out in
    x's dtype, the statistics in float32 for a float16 x."""
    dtype = x.dtype
    x, w, b = _wide(x), _wide(w), _wide(b)
    out = empty_like_shape(x._a.shape, x.dtype)
    mean = empty_like_shape(stats_shape, x.dtype)
    rstd = empty_like_shape(stats_shape, x.dtype)
    K._check(K._call(lib.FG_CALL_LAYER_NORM,
                     (x.dtype.code, rows, n, ffi.new("double *", eps), out._ptr, mean._ptr,
                      rstd._ptr, x._ptr, _ptr(w), _ptr(b)), *_given(out, mean, rstd, x, w, b)),
             "native_layer_norm", x.dtype)
    return narrowed(out, dtype), mean, rstd


def layer_norm_backward(g, x, mean, rstd, w, rows, shape, wanted):
    """(gx, gw, gb) of layer norm over rows of the normalized shape (gw and gb have it), each
    None unless wanted[i]; in float32 for float16 operands."""
    g, x, w = _wide(g), _wide(x), _wide(w)
    n = prod(shape)
    gx = empty_like_shape(x._a.shape, x.dtype) if wanted[0] else None
    gw = empty_like_shape(shape, x.dtype) if wanted[1] else None
    gb = empty_like_shape(shape, x.dtype) if wanted[2] else None
    K._check(K._call(lib.FG_CALL_LAYER_NORM_BACKWARD,
                     (x.dtype.code, rows, n, _ptr(gx), _ptr(gw), _ptr(gb), g._ptr, x._ptr,
                      mean._ptr, rstd._ptr, _ptr(w)),
                     *_given(gx, gw, gb, g, x, mean, rstd, w)),
             "native_layer_norm_backward", x.dtype)
    return gx, gw, gb


def _channels(x):
    """x's shape as (outer, channels, inner) for batch norm: (N, C, *) -> N, C, prod(*)."""
    shape = x._a.shape
    inner = 1
    for s in shape[2:]:
        inner *= s
    return shape[0], shape[1], inner


def batch_norm(x, w, b, running_mean, running_var, training, momentum, eps):
    """(out, mean, invstd) of batch norm over x's channels (axis 1), updating the running
    statistics (when given) in training. The running statistics must be contiguous; out is in
    x's dtype, the statistics in float32 for a float16 x (float16 running statistics are
    updated through float32 copies)."""
    dtype, running = x.dtype, (running_mean, running_var)
    x, w, b = _wide(x), _wide(w), _wide(b)
    running_mean, running_var = _wide(running_mean), _wide(running_var)
    c = x._a.shape[1]
    out = empty_like_shape(x._a.shape, x.dtype)
    mean = empty_like_shape((c,), x.dtype)
    invstd = empty_like_shape((c,), x.dtype)
    K._check(K._call(lib.FG_CALL_BATCH_NORM,
                     (x.dtype.code, *_channels(x), int(training),
                      ffi.new("double[2]", [eps, momentum]), out._ptr, mean._ptr, invstd._ptr,
                      x._ptr, _ptr(w), _ptr(b), _ptr(running_mean), _ptr(running_var)),
                     *_given(out, mean, invstd, x, w, b, running_mean, running_var)),
             "native_batch_norm", x.dtype)
    for given, wide in zip(running, (running_mean, running_var)):
        if given is not None and given is not wide:
            K.copy_into(given, wide)
    return narrowed(out, dtype), mean, invstd


def batch_norm_backward(g, x, mean, invstd, w, training, wanted):
    """(gx, gw, gb) of batch norm, each None unless wanted[i]; in float32 for float16
    operands."""
    g, x, w = _wide(g), _wide(x), _wide(w)
    c = x._a.shape[1]
    gx = empty_like_shape(x._a.shape, x.dtype) if wanted[0] else None
    gw = empty_like_shape((c,), x.dtype) if wanted[1] else None
    gb = empty_like_shape((c,), x.dtype) if wanted[2] else None
    K._check(K._call(lib.FG_CALL_BATCH_NORM_BACKWARD,
                     (x.dtype.code, *_channels(x), int(training), _ptr(gx), _ptr(gw), _ptr(gb),
                      g._ptr, x._ptr, mean._ptr, invstd._ptr, _ptr(w)),
                     *_given(gx, gw, gb, g, x, mean, invstd, w)),
             "native_batch_norm_backward", x.dtype)
    return gx, gw, gb
