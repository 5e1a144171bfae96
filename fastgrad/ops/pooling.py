"""Pooling over the last two (or, for the 1-d forms, the last one) dimensions, on csrc/pool.c:
max pooling (with torch's flat argmax indices), average pooling, adaptive average and max
pooling. Each op is a pair of rows, the pooling and its backward, both linear in the pooled
tensor and each the other's transpose, so each row's gradient is the other row and its tangent
itself (double backward and forward mode come free). Max pooling's row takes the input's values
at the kernel's indices (torch's own tangent formula): its gradient scatters g back to them.
The 1-d forms are the 2-d ones on a height-1 view, as torch computes them."""
import numbers

from .. import _kernels as K
from .. import _kernels_pool as KP
from .._autograd import grad_state
from .. import _dtype
from .._dtype import int64
from .._fastgrad_c import lib as C
from .._tensor import Tensor, empty_like_shape
from ._core import LINEAR_JVP, Op, apply, check_tensor, zeros
from .reductions import mean
from .indexing import gather
from .views import reshape, squeeze, unsqueeze


# ---- the kernels on (N, C, H, W) planes; a 3-d tensor is one batch -----------------------------
def _planes(t):
    return Tensor(t._a if t._a.ndim == 4 else t._a[None], t.dtype)


def _unplanes(t, ndim):
    return t if ndim == 4 else Tensor(t._a[0], t.dtype)


def _contiguous(t):
    return t if t._a.flags.c_contiguous else K.copy_into(empty_like_shape(t._a.shape, t.dtype), t)


def _take(x, indices, geom):
    """x's values at the flat (h * W + w) plane indices: the max pools' forward."""
    x4, i4 = _planes(_contiguous(x)), _planes(_contiguous(indices))
    n, c, h, w = x4._a.shape
    index = Tensor(i4._a.reshape(n, c, i4._a.shape[2] * i4._a.shape[3]), int64)
    out = K.gather(empty_like_shape(index._a.shape, x.dtype),
                   Tensor(x4._a.reshape(n, c, h * w), x.dtype), 2, index)
    return Tensor(out._a.reshape(indices._a.shape), x.dtype)


def _pooled(code):
    return lambda x, geom: _unplanes(KP.pool2d(code, _planes(x), geom)[0], x.ndim)


def _spread(code):
    """The backward kernel: g (and the indices, for max) to the input's gradient. Its last
    input, the pooled x, is not read: it is there so that, as in torch, the gradient is a node
    of x's graph (create_graph gives it a grad_fn even where g needs no gradient)."""
    def backward(g, *rest, geom):
        index = _planes(rest[0]) if len(rest) > 1 else None
        return _unplanes(KP.pool2d_backward(code, _planes(g), index, geom), g.ndim)
    return backward


def _zero_gradient(gg, out, *saved, geom):
    """x's gradient through a pooling's backward: zeros, as torch's (zeros_like(self))."""
    return zeros(saved[-1]._a.shape, saved[-1].dtype)


def _pair(name, forward, backward, indexed):
    """The rows of one pooling and of its backward, each the other's gradient (x's gradient
    through the backward is 0: it is linear in g alone)."""
    rows = []
    extra = (None,) if indexed else ()
    forward_needs, backward_needs = (((0, 1), ()), ((1,), (), (2,))) if indexed else (
        ((0,),), ((), (1,)))

    def down(g, out, x, *indices, geom):
        return apply(rows[1], g, *indices, x, geom=geom)

    def up(gg, out, g, *rest, geom):
        return apply(rows[0], gg, *rest[:-1], geom=geom)

    rows.append(Op(name + "Backward0", forward, down, *extra, needs=forward_needs,
                   jvp=LINEAR_JVP))
    rows.append(Op(name + "BackwardBackward0", backward, up, *extra, _zero_gradient,
                   needs=backward_needs, jvp=LINEAR_JVP))
    return rows


MAX_POOL, MAX_POOL_BACKWARD = _pair("MaxPool2DWithIndices", _take, _spread(C.FG_POOL_MAX), True)
ADAPTIVE_MAX_POOL, ADAPTIVE_MAX_POOL_BACKWARD = _pair(
    "AdaptiveMaxPool2D", _take, _spread(C.FG_POOL_ADAPTIVE_MAX), True)
AVG_POOL, AVG_POOL_BACKWARD = _pair("AvgPool2D", _pooled(C.FG_POOL_AVG),
                                    _spread(C.FG_POOL_AVG), False)
ADAPTIVE_AVG_POOL, ADAPTIVE_AVG_POOL_BACKWARD = _pair(
    "AdaptiveAvgPool2D", _pooled(C.FG_POOL_ADAPTIVE_AVG), _spread(C.FG_POOL_ADAPTIVE_AVG), False)


def _max_rows(row, code, x, geom):
    """(values, indices): the kernel's values unless a graph or a tangent needs the row."""
    values, indices = KP.pool2d(code, _planes(x), geom)
    indices = _unplanes(indices, x.ndim)
    if (x._requires_grad and grad_state.enabled) or grad_state.fw_level is not None:
        return apply(row, x, indices, geom=geom), indices
    return _unplanes(values, x.ndim), indices


# ---- argument checks, as torch words them -------------------------------------------------------
def _pair_arg(value, name, what, message, default=None):
    """An int or a sequence of one or two ints, as (height, width); `message` when not."""
    if value is None or (default is not None and not isinstance(value, numbers.Integral)
                         and len(value) == 0):
        return default
    if isinstance(value, numbers.Integral):
        return (int(value),) * 2
    if len(value) not in (1, 2):
        raise RuntimeError(f"{name}: {what} {message}")
    return (int(value[0]), int(value[-1]))


def _output_size(size, k, pad, stride, dilation, ceil_mode):
    """Pool.h's pooling_output_shape, with its checks."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > ((k - 1) * dilation + 1) // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={pad}, kernel_size={k} and dilation={dilation}")
    out = (size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)) \
        // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _sizes(x):
    return "[" + ", ".join(str(s) for s in x._a.shape) + "]"


def _check_planes(x, k, s, p, d, out_hw):
    """Pool.h's pool2d_shape_check."""
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    shape = x._a.shape
    if 0 in shape[-3:] or (x.ndim == 3 and shape[0] == 0):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{_sizes(x)}")
    if k[1] // 2 < p[1] or k[0] // 2 < p[0]:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if min(out_hw) < 1:
        raise RuntimeError(f"Given input size: ({shape[-3]}x{shape[-2]}x{shape[-1]}). Calculated "
                           f"output size: ({shape[-3]}x{out_hw[0]}x{out_hw[1]}). Output size is "
                           "too small")


_TYPE_NAMES = {_dtype.bool_: "Bool", _dtype.uint8: "Byte", _dtype.int8: "Char",
               _dtype.int16: "Short", _dtype.int32: "Int", int64: "Long"}


def _floating(x, name):
    """torch's dtype check: floats pool, integers max pool only (torch's kernel words)."""
    if x.dtype.is_floating_point or (name == "max_pool2d" and x.dtype is not _dtype.bool_):
        return
    if name == "avg_pool2d" and x.dtype is int64:  # torch averages int64, truncating
        raise NotImplementedError("avg_pool2d: not implemented for dtype torch.int64 in fastgrad")
    raise NotImplementedError(f'"{name}" not implemented for \'{_TYPE_NAMES[x.dtype]}\'')


def _window_geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode,
                     count_include_pad=True, divisor_override=None):
    """The kernel's geometry words, after torch's checks of a 2-d pooling's arguments."""
    check_tensor(x, name)
    k = _pair_arg(kernel_size, name, "kernel_size", "must either be a single int, or a tuple of "
                  "two ints")
    s = _pair_arg(stride, name, "stride", "must either be omitted, a single int, or a tuple of "
                  "two ints", default=k)
    p = _pair_arg(padding, name, "padding", "must either be a single int, or a tuple of two ints")
    d = _pair_arg(dilation, name, "dilation", "must be either a single int, or a tuple of two "
                  "ints")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if x.ndim < 3 and name == "avg_pool2d":  # torch reads size(-3) first
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(x.ndim, 1)}"
                         f", {max(x.ndim, 1) - 1}], but got -3)")
    if x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    h, w = x._a.shape[-2:]
    out_hw = (_output_size(h, k[0], p[0], s[0], d[0], ceil_mode),
              _output_size(w, k[1], p[1], s[1], d[1], ceil_mode))
    _check_planes(x, k, s, p, d, out_hw)
    _floating(x, name)
    return KP.geometry(_planes(x)._a.shape, out_hw, k, s, p, d, count_include_pad,
                       divisor_override)


# ---- the functions ------------------------------------------------------------------------------
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    geom = _window_geometry("max_pool2d", input, kernel_size, stride, padding, dilation,
                            ceil_mode)
    return _max_rows(MAX_POOL, C.FG_POOL_MAX, input, geom)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    out = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    geom = _window_geometry("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode,
                            count_include_pad, divisor_override)
    return apply(AVG_POOL, input, geom=geom)


def _adaptive_geometry(name, x, output_size, message):
    check_tensor(x, name)
    size = (output_size,) * 2 if isinstance(output_size, numbers.Integral) else output_size
    if len(size) != 2:
        raise RuntimeError(f"{name}{message}")
    if x.ndim not in (3, 4):
        got = ": " if name == "adaptive_max_pool2d" else " "
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got{got}{_sizes(x)}")
    for dim in (-2, -1):
        if x._a.shape[dim] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_sizes(x)} with dimension "
                               f"{dim + x.ndim} being empty")
    _floating(x, name)
    return KP.geometry(_planes(x)._a.shape, size)


def _with_defaults(output_size, x):
    """torch.nn.functional's _list_with_default: None entries take the input's sizes."""
    if isinstance(output_size, numbers.Integral):
        return output_size
    if x.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    return [int(v) if v is not None else d
            for v, d in zip(output_size, x._a.shape[-len(output_size):])]


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    check_tensor(input, "adaptive_avg_pool2d")
    size = _with_defaults(output_size, input)
    size = (size,) * 2 if isinstance(size, numbers.Integral) else size
    if len(size) == 2 and min(size) < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or "
                           f"equal to 0 but received {{{size[0]}, {size[1]}}}")
    if tuple(size) == (1, 1):  # torch takes the mean then (its grad_fn says so)
        return mean(input, (-1, -2), keepdim=True)
    geom = _adaptive_geometry("adaptive_avg_pool2d", input, size, ": output_size must be 2")
    return apply(ADAPTIVE_AVG_POOL, input, geom=geom)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    size = _with_defaults(output_size, input)
    geom = _adaptive_geometry("adaptive_max_pool2d", input, size,
                              "(): internal error: output_size.size() must be 2")
    return _max_rows(ADAPTIVE_MAX_POOL, C.FG_POOL_ADAPTIVE_MAX, input, geom)


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    out = adaptive_max_pool2d_with_indices(input, output_size)
    return out if return_indices else out[0]


# ---- the 1-d forms: the 2-d ones on (..., 1, L) ------------------------------------------------
def _check_1d(name, x):
    check_tensor(x, name)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {name})")


def _one(value, name, what, default=None):
    """A 1-d pooling's int argument (or a sequence of one int) as a 1-tuple."""
    if value is None or (default is not None and not isinstance(value, numbers.Integral)
                         and len(value) == 0):
        return default
    if isinstance(value, numbers.Integral):
        return (int(value),)
    if len(value) != 1:
        raise RuntimeError(f"{name}() argument '{what}' should contain one int (got "
                           f"{len(value)})")
    return (int(value[0]),)


def _on_rows(fn, x, *args, indexed=False):
    """fn (a 2-d pooling) on x viewed as (..., 1, L), its results viewed back."""
    out = fn(unsqueeze(x, -2), *args)
    if indexed:
        return squeeze(out[0], -2), squeeze(out[1], -2)
    return squeeze(out, -2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    _check_1d("max_pool1d", input)
    k = _one(kernel_size, "max_pool1d", "kernel_size")
    s = _one(stride, "max_pool1d", "stride", default=k)
    p = _one(padding, "max_pool1d", "padding")
    d = _one(dilation, "max_pool1d", "dilation")
    return _on_rows(max_pool2d_with_indices, input, (1,) + k, (1,) + s, (0,) + p, (1,) + d,
                    ceil_mode, indexed=True)


def _check_max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's checks of max_pool1d without indices (its own kernel, its own words)."""
    if x.ndim not in (2, 3) or 0 in x._a.shape[-1:] or (x.ndim == 3 and x._a.shape[1] == 0):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{_sizes(x)}")
    for what, value, accepted in (("kernel_size", kernel_size, "an int, list of ints or tuple of "
                                   "ints"), ("stride", stride, "None, an int, list of ints, or "
                                   "tuple of ints"), ("padding", padding, "an int, list of "
                                   "ints, or tuple of ints"), ("dilation", dilation, "an int, "
                                   "list of ints or tuple of ints")):
        if not isinstance(value, numbers.Integral) and value is not None and len(value) != 1 \
                and not (what == "stride" and len(value) == 0):
            raise RuntimeError(f"max_pool1d() {what} must be {accepted} of size 1 but got size "
                               f"{len(value)}")
    k, p, d = (int(v if isinstance(v, numbers.Integral) else v[0])
               for v in (kernel_size, padding, dilation))
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and not stride) else \
        int(stride if isinstance(stride, numbers.Integral) else stride[0])
    for what, value, ok, rule in (("kernel_size", k, k > 0, "greater than zero"),
                                  ("stride", s, s > 0, "greater than zero"),
                                  ("padding", p, p >= 0, "non-negative")):
        if not ok:
            raise RuntimeError(f"max_pool1d() {what} must be {rule}, but got {value}")
    if p > k // 2:
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _output_size(x._a.shape[-1], k, p, s, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    if not x.dtype.is_floating_point:  # its kernel takes floats only (with indices: ints too)
        raise NotImplementedError(f'"max_pool1d_impl" not implemented for '
                                  f"'{_TYPE_NAMES[x.dtype]}'")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    check_tensor(input, "max_pool1d")
    graph = (input._requires_grad and grad_state.enabled) or grad_state.fw_level is not None
    if not return_indices and not graph:
        _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    out = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    _check_1d("avg_pool1d", input)
    k = _one(kernel_size, "avg_pool1d", "kernel_size")
    s = _one(stride, "avg_pool1d", "stride", default=k)
    p = _one(padding, "avg_pool1d", "padding")
    return _on_rows(avg_pool2d, input, (1,) + k, (1,) + s, (0,) + p, ceil_mode,
                    count_include_pad)


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    _check_1d("adaptive_avg_pool1d", input)
    size = _one(output_size, "adaptive_avg_pool1d", "output_size")
    return _on_rows(adaptive_avg_pool2d, input, (1,) + size)


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    _check_1d("adaptive_max_pool1d", input)
    size = _one(output_size, "adaptive_max_pool1d", "output_size")
    out = _on_rows(adaptive_max_pool2d_with_indices, input, (1,) + size, indexed=True)
    return out if return_indices else out[0]


# ---- max unpooling: the values put back at max pooling's flat indices, zeros elsewhere -----------
def _flat_planes(t):
    """t (N, C, H, W) as a contiguous (N, C, H * W) tensor."""
    t = K.dense(t)
    return Tensor(t._a.reshape(t._a.shape[:2] + (-1,)), t.dtype)


def _unpool_forward(x, indices, size):
    n, c = x._a.shape[:2]
    out = zeros((n, c, size[0] * size[1]), x.dtype)
    K.scatter(C.FG_SCATTER_ASSIGN, out, 2, _flat_planes(indices), _flat_planes(x),
              lambda i: RuntimeError(f"Found an invalid max index: {i} (output volumes are of "
                                     f"size {size[0]}x{size[1]})"))
    return Tensor(out._a.reshape((n, c) + size), x.dtype)


def _unpool_backward(g, out, x, indices, size):
    """g taken back at the indices (the indices themselves get no gradient)."""
    n, c = g.shape[:2]
    flat = reshape(g, (n, c, size[0] * size[1]))
    return reshape(gather(flat, 2, reshape(indices, (n, c, -1))), indices.shape)


MAX_UNPOOL = Op("MaxUnpool2DBackward0", _unpool_forward, _unpool_backward, None,
                needs=((1,), ()),
                jvp=lambda op, tangents, out, x, indices, size: apply(op, tangents[0], indices,
                                                                      size=size))


def _unpool_size(x, kernel, stride, padding, output_size):
    """torch.nn.functional's _unpool_output_size."""
    default = [(x.shape[x.ndim - len(kernel) + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(len(kernel))]
    if output_size is None:
        size = default
    else:
        size = list(output_size)
        if len(size) == len(kernel) + 2:
            size = size[2:]
        if len(size) != len(kernel):
            raise ValueError(f"output_size should be a sequence containing {len(kernel)} or "
                             f"{len(kernel) + 2} elements, but it has a length of '{len(size)}'")
        for d in range(len(kernel)):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{low} and {high})")
    for d, s in enumerate(size):
        if s < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={s}")
    return [int(s) for s in size]


def _max_unpool(x, indices, size):
    """torch's max_unpool2d of (N, C, H, W) or (C, H, W) x at indices into planes of size."""
    check_tensor(x, "max_unpool2d")
    if indices.dtype is not int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{indices.dtype._torch_name}")
    if x.ndim not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {x.ndim} dimensions.")
    if tuple(x.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({_sizes(x)}) but got indices tensor with shape: {_sizes(indices)}")
    for d in range(1, x.ndim):
        if x.shape[d] == 0:
            raise RuntimeError("max_unpooling2d_forward_out_cpu(): Expected input to have "
                               f"non-zero size for non-batch dimensions, but got {_sizes(x)} "
                               f"with dimension {d} being empty.")
    if x.ndim == 3:
        return squeeze(_max_unpool(unsqueeze(x, 0), unsqueeze(indices, 0), size), 0)
    return apply(MAX_UNPOOL, x, indices, size=tuple(size))


def _tuple_of(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    k = _tuple_of(kernel_size, 2)
    s = k if stride is None else _tuple_of(stride, 2)
    size = _unpool_size(input, k, s, _tuple_of(padding, 2), output_size)
    return _max_unpool(input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    k = _tuple_of(kernel_size, 1)
    s = k if stride is None else _tuple_of(stride, 1)
    size = _unpool_size(input, k, s, _tuple_of(padding, 1), output_size)
    return squeeze(_max_unpool(unsqueeze(input, -1), unsqueeze(indices, -1), size + [1]), -1)
