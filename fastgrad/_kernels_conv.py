"""The bridge to csrc/conv.c, as fastgrad._kernels is to the other kernels."""
from ._fastgrad_c import lib
from ._kernels import NULL, _call, _check, _narrowed, _widened, dense
from ._tensor import empty_like_shape

_CONV_NAMES = {lib.FG_CONV_FORWARD: "conv2d", lib.FG_CONV_INPUT_GRAD: "conv2d_input_backward",
               lib.FG_CONV_WEIGHT_GRAD: "conv2d_weight_backward"}


def conv2d(code, out_shape, a, b, bias, geometry):
    """One fg_conv2d pass (enum fg_conv_op) into a new tensor of out_shape; `geometry` is the
    kernel's 16 words (N, C, H, W, O, KH, KW, OH, OW, strides, top/left pads, dilations,
    groups)."""
    dtype = a.dtype
    a, b, bias = (None if t is None else dense(_widened(t)) for t in (a, b, bias))
    out = empty_like_shape(out_shape, a.dtype)
    n, c, h, w, o, kh, kw, oh, ow = geometry[:9]
    x_size, w_size, y_size = n * c * h * w, o * (c // max(geometry[15], 1)) * kh * kw, n * o * oh * ow
    sizes = {lib.FG_CONV_FORWARD: (y_size, x_size, w_size),
             lib.FG_CONV_INPUT_GRAD: (x_size, y_size, w_size),
             lib.FG_CONV_WEIGHT_GRAD: (w_size, x_size, y_size)}[code]
    if sizes != (out._a.size, a._a.size, b._a.size) or bias is not None and bias._a.size != o:
        raise ValueError(f"{_CONV_NAMES[code]}: operand sizes do not match the geometry")
    args = (code, a.dtype.code, geometry, out._ptr, a._ptr, b._ptr,
            NULL if bias is None else bias._ptr)
    _check(_call(lib.FG_CALL_CONV2D, args, out, a, b, *(() if bias is None else (bias,))),
           _CONV_NAMES[code], a.dtype)
    return _narrowed(out, dtype)
