"""The pooling kernels' bridge (csrc/pool.c): 2-d pooling of (N, C, H, W) tensors, forward and
backward; the op table (ops/pooling.py) makes 1-d and unbatched inputs 4-d views first."""
from ._fastgrad_c import ffi, lib
from ._kernels import _call, _check, _narrowed, _widened
from ._dtype import int64
from ._tensor import empty_like_shape

NULL = ffi.NULL
_NAMES = {lib.FG_POOL_MAX: "max_pool2d", lib.FG_POOL_AVG: "avg_pool2d",
          lib.FG_POOL_ADAPTIVE_AVG: "adaptive_avg_pool2d",
          lib.FG_POOL_ADAPTIVE_MAX: "adaptive_max_pool2d"}
_MAX = (lib.FG_POOL_MAX, lib.FG_POOL_ADAPTIVE_MAX)


def geometry(x_shape, out_hw, kernel=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
             count_include_pad=True, divisor_override=None):
    """The kernel's 16 geometry words (fastgrad.h, fg_pool2d)."""
    return (*x_shape, *out_hw, *kernel, *stride, *padding, *dilation, int(count_include_pad),
            divisor_override or 0)


def pool2d(op, x, geom):
    """(out, indices): indices (int64, where each maximum was, h * W + w) for the max ops only.
    Narrower integers are pooled in int64, float16 in float32 (out then rounded back)."""
    dtype, x = x.dtype, _widened(x)
    out, indices = _pool2d(op, x, geom)
    return _narrowed(out, dtype), indices


def _pool2d(op, x, geom):
    out = empty_like_shape(tuple(geom[:2]) + tuple(geom[4:6]), x.dtype)
    indices = empty_like_shape(out._a.shape, int64) if op in _MAX else None
    strides = (*out._a.strides, *(indices if indices is not None else out)._a.strides, *x._a.strides)
    tensors = (out, indices, x) if indices is not None else (out, x)
    _check(_call(lib.FG_CALL_POOL2D, (op, x.dtype.code, geom, strides, out._ptr,
                                      indices._ptr if indices is not None else NULL, x._ptr),
                 *tensors), _NAMES[op], x.dtype)
    return out, indices


def pool2d_backward(op, g, indices, geom):
    """The gradient of pool2d's input (shape geom[:4]) from g, the gradient of its output
    (float16 computed in float32)."""
    dtype, g = g.dtype, _widened(g)
    return _narrowed(_pool2d_backward(op, g, indices, geom), dtype)


def _pool2d_backward(op, g, indices, geom):
    gx = empty_like_shape(tuple(geom[:4]), g.dtype)
    bad = ffi.new("int64_t *")
    strides = (*gx._a.strides, *g._a.strides, *(indices if indices is not None else g)._a.strides)
    tensors = (gx, g, indices) if indices is not None else (gx, g)
    status = _call(lib.FG_CALL_POOL2D_BACKWARD,
                   (op, g.dtype.code, geom, strides, gx._ptr, g._ptr,
                    indices._ptr if indices is not None else NULL, bad), *tensors)
    if status == lib.FG_EINDEX:
        raise RuntimeError(f"{_NAMES[op]}_backward: found an invalid max index {bad[0]} (input "
                           f"planes of {geom[2]} x {geom[3]})")
    _check(status, _NAMES[op] + "_backward", g.dtype)
    return gx
