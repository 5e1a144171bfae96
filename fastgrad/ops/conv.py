"""conv1d and conv2d (cross-correlation, as torch's): csrc/conv.c's kernels, each a row. The
forward y = conv(x, w) (+ b) is bilinear in x and w; its gradients are two more bilinear rows,
input_grad(g, w) (the transposed convolution) and weight_grad(x, g), whose own gradients are
the three rows again: for <gg, input_grad(g, w)> = <conv(gg, w), g>, the gradient for g is
conv(gg, w) and for w weight_grad(gg, g); for <gg, weight_grad(x, g)> = <conv(x, gg), g>, it is
input_grad(g, gg) for x and conv(x, gg) for g. So double backward and forward mode close.

Every row takes the same parameters: geo = ((sh, sw), (top, left, bottom, right), (dh, dw),
groups), in 2-d form, and the input's spatial size and the kernel's (in the op's own rank), from
which each row knows every shape. conv1d is the height-1 case: its (N, C, L) tensors are read as
(N, C, 1, L)."""
import numbers
import warnings

from .. import _dtype
from .. import _kernels as K
from .. import _kernels_conv
from .._fastgrad_c import lib as C
from .._tensor import Tensor, empty_like_shape
from ._core import BILINEAR_JVP, OTHER, Op, apply, total
from .reductions import sum
from .views import squeeze, unsqueeze, view


def _hw(spatial, fill=1):
    """A spatial size (or stride, dilation: fill 1; padding: fill 0) in 2-d form: conv1d's L is
    1 x L."""
    return (fill,) * (2 - len(spatial)) + tuple(spatial)


def _out_size(in_size, kernel, geo):
    (sh, sw), (top, left, bottom, right), (dh, dw), _ = geo
    (h, w), (kh, kw) = _hw(in_size), _hw(kernel)
    return ((h + top + bottom - dh * (kh - 1) - 1) // sh + 1,
            (w + left + right - dw * (kw - 1) - 1) // sw + 1)


def _run(code, a, b, bias, batch, in_channels, out_channels, out_hw, out_shape, geo, in_size,
         kernel):
    """One kernel pass; integer operands are computed in float64 and converted back."""
    stride, pads, dilation, groups = geo
    words = (batch, in_channels, *_hw(in_size), out_channels, *_hw(kernel), *out_hw, *stride,
             pads[0], pads[1], *dilation, groups)
    dtype = a.dtype
    if not dtype.is_floating_point:
        a, b = K.copy_into(_empty(a, _dtype.float64), a), K.copy_into(_empty(b, _dtype.float64), b)
        bias = None if bias is None else K.copy_into(_empty(bias, _dtype.float64), bias)
    out = _kernels_conv.conv2d(code, out_shape, a, b, bias, words)
    return out if out.dtype is dtype else K.copy_into(_empty(out, dtype), out)


def _empty(t, dtype):
    return empty_like_shape(t._a.shape, dtype)


def _forward(x, w, b=None, *, geo, in_size, kernel):
    n, c = x._a.shape[:2]
    o = w._a.shape[0]
    out_hw = _out_size(in_size, kernel, geo)
    out_shape = (n, o, *out_hw[2 - len(in_size):])
    return _run(C.FG_CONV_FORWARD, x, w, b, n, c, o, out_hw, out_shape, geo, in_size, kernel)


def _input_grad(g, w, *, geo, in_size, kernel):
    n, o = g._a.shape[:2]
    c = w._a.shape[1] * geo[3]
    return _run(C.FG_CONV_INPUT_GRAD, g, w, None, n, c, o, _hw(g._a.shape[2:]),
                (n, c, *in_size), geo, in_size, kernel)


def _weight_grad(x, g, *, geo, in_size, kernel):
    n, c = x._a.shape[:2]
    o = g._a.shape[1]
    return _run(C.FG_CONV_WEIGHT_GRAD, x, g, None, n, c, o, _hw(g._a.shape[2:]),
                (o, c // geo[3], *kernel), geo, in_size, kernel)


# ---- the table ---------------------------------------------------------------------------------
def _conv_rules():
    """The gradient rules of conv(x, w): input_grad(g, w) and weight_grad(x, g)."""
    return (lambda g, out, x, w, *_, **p: apply(INPUT_GRAD, g, w, **p),
            lambda g, out, x, w, *_, **p: apply(WEIGHT_GRAD, x, g, **p))


def _bias_grad(g, out, *inputs, **params):
    return sum(g, (0, *range(2, g.ndim)))


def _conv_bias_jvp(op, tangents, out, x, w, b, **params):
    tx, tw, tb = tangents
    return total(None if tx is None else apply(CONV, tx, w, **params),
                 None if tw is None else apply(CONV, x, tw, **params),
                 None if tb is None else view(tb, (-1,) + (1,) * (out.ndim - 2)))


CONV = Op("ConvolutionBackward0", _forward, *_conv_rules(), needs=OTHER, jvp=BILINEAR_JVP)
CONV_BIAS = Op("ConvolutionBackward0", _forward, *_conv_rules(), _bias_grad,
               needs=((1,), (0,), ()), jvp=_conv_bias_jvp)
INPUT_GRAD = Op("ConvolutionBackwardBackward0", _input_grad,
                lambda gg, out, g, w, **p: apply(CONV, gg, w, **p),
                lambda gg, out, g, w, **p: apply(WEIGHT_GRAD, gg, g, **p),
                needs=OTHER, jvp=BILINEAR_JVP)
WEIGHT_GRAD = Op("ConvolutionBackwardBackward0", _weight_grad,
                 lambda gg, out, x, g, **p: apply(INPUT_GRAD, g, gg, **p),
                 lambda gg, out, x, g, **p: apply(CONV, x, gg, **p),
                 needs=OTHER, jvp=BILINEAR_JVP)


# ---- the functions -----------------------------------------------------------------------------
_SIGNATURES = (
    " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, tuple of ints "
    "padding = 0, tuple of ints dilation = 1, int groups = 1)\n"
    " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, str padding = "
    "\"valid\", tuple of ints dilation = 1, int groups = 1)\n")


def _bad_arguments(name, args, kwargs):
    got = ", ".join([type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but "
                    f"expected one of:\n{_SIGNATURES}")


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _ints(value, what, dims, name, args, kwargs):
    """stride, padding or dilation as a tuple of `dims` ints (one int, or a list of 1, repeats)."""
    values = (value,) if _is_int(value) else tuple(value) if isinstance(value, (tuple, list)) \
        else None
    if values is None or not all(_is_int(v) for v in values):
        _bad_arguments(name, args, kwargs)
    if len(values) == 1:
        values = values * dims
    if len(values) != dims:
        raise RuntimeError(f"expected {what} to be a single integer value or a list of {dims} "
                           f"values to match the convolution dimensions, but got "
                           f"{what}={list(values)}")
    return values


def _padding(padding, kernel, stride, dilation, dims, name, args, kwargs):
    """(top, left, bottom, right) from an int, a tuple, 'valid' or 'same' ('same' puts an odd
    total's extra element on the right and bottom, as torch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = _hw([d * (k - 1) for d, k in zip(dilation, kernel)], 0)
        if any(t % 2 for t in totals):  # torch's words (we pad unevenly without a copy)
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                          "require a zero-padded copy of the input be created", stacklevel=4)
        before = tuple(t // 2 for t in totals)
        return before + tuple(t - b for t, b in zip(totals, before))
    pads = _ints(padding, "padding", dims, name, args, kwargs)
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    pads = _hw(pads, 0)
    return pads + pads


def _check_shapes(x, w, bias, groups, name):
    dims = w.ndim - 2
    if x.ndim != w.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
                           f"{list(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{list(x.shape)} instead")
    o, cg = w.shape[:2]
    if o < groups or o % groups:
        what = "at least" if o < groups else "divisible by"
        raise RuntimeError(f"Given groups={groups}, expected weight to be {what} {groups} at "
                           f"dimension 0, but got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {cg * groups} channels, but got "
                           f"{x.shape[1]} channels instead")
    if any(k <= 0 for k in w.shape[2:]):
        sizes = " ".join(f"kernel_{n}: {k}" for n, k in zip(("height", "width")[2 - dims:],
                                                               w.shape[2:]))
        raise RuntimeError(f"kernel size should be greater than zero, but got {sizes}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {o} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    for t, what in ((w, None), (bias, "bias")):
        if t is not None and t.dtype is not x.dtype:
            raise RuntimeError(f"Input type ({x.dtype.ctype}) and bias type ({t.dtype.ctype}) "
                               f"should be the same" if what else
                               f"expected scalar type {_dtype_word(x)} but found "
                               f"{_dtype_word(t)}")


def _dtype_word(t):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[t.dtype.name]


def _conv(dims, name, args, kwargs):
    x, w, bias, stride, padding, dilation, groups = _parse(name, args, kwargs)
    batched = x.ndim == dims + 2
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(x.shape)}")
    if not batched:
        x = unsqueeze(x, 0)
    stride = _ints(stride, "stride", dims, name, args, kwargs)
    dilation = _ints(dilation, "dilation", dims, name, args, kwargs)
    if not _is_int(groups):
        _bad_arguments(name, args, kwargs)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    pads = _padding(padding, w.shape[2:], stride, dilation, dims, name, args, kwargs)
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    _check_shapes(x, w, bias, groups, name)
    in_size, kernel = tuple(x.shape[2:]), tuple(w.shape[2:])
    padded = [s + a + b for s, a, b in zip(_hw(in_size), pads[:2], pads[2:])][2 - dims:]
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, reach))}). Kernel size can't be greater than "
                           f"actual input size")
    params = dict(geo=(_hw(stride), pads, _hw(dilation), groups), in_size=in_size, kernel=kernel)
    out = apply(CONV, x, w, **params) if bias is None else apply(CONV_BIAS, x, w, bias, **params)
    return out if batched else squeeze(out, 0)


_NAMES = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
_DEFAULTS = dict(bias=None, stride=1, padding=0, dilation=1, groups=1)


def _parse(name, args, kwargs):
    """torch's (input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)."""
    values = dict(zip(_NAMES, args))
    if len(args) > len(_NAMES) or set(kwargs) - set(_NAMES[len(args):]):
        _bad_arguments(name, args, kwargs)
    values.update(kwargs)
    for key, default in _DEFAULTS.items():
        values.setdefault(key, default)
    if not all(isinstance(values.get(k), Tensor) for k in _NAMES[:2]) or not (
            values["bias"] is None or isinstance(values["bias"], Tensor)):
        _bad_arguments(name, args, kwargs)
    return tuple(values[k] for k in _NAMES)


def conv1d(*args, **kwargs):
    return _conv(1, "conv1d", args, kwargs)


def conv2d(*args, **kwargs):
    return _conv(2, "conv2d", args, kwargs)
