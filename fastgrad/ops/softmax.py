"""softmax and log_softmax along one axis: fused, numerically stable C kernels (csrc/nn.c) both
ways. The backward kernels are rows of their own (as torch's _softmax_backward_data), with their
own gradients and forward-mode rules, so the same rule serves backward, create_graph and forward
mode. The backward kernels read g in the forward's dtype: an upstream gradient may come in
another (a cast's rule passes its g through unchanged), so the rules cast it first."""
from .. import _dtype
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._shape import normalize_dim
from ._core import Op, apply, check_tensor, total
from .elementwise import cast, exp
from .reductions import sum


def _through(backward_row):
    """The gradient rule of softmax or log_softmax: its backward row on g (cast to the output's
    dtype) and the saved output."""
    return lambda g, out, dim: apply(backward_row, cast(g, out.dtype), out, dim=dim)


# r = y (g - s), s = sum(g y): linear in g with a symmetric matrix, so its gradient for g is
# the row again; for y, gg (g - s) - g sum(gg y).
def _softmax_backward_y(gg, out, g, y, dim):
    return gg * (g - sum(g * y, dim, True)) - g * sum(gg * y, dim, True)


def _softmax_backward_jvp(op, tangents, out, g, y, dim):
    tg, ty = tangents
    dy = None if ty is None else ty * (g - sum(g * y, dim, True)) - y * sum(g * ty, dim, True)
    return total(None if tg is None else apply(op, tg, y, dim=dim), dy)


# r = g - exp(y) S, S = sum(g): for g, gg - sum(gg exp(y)); for y, -gg exp(y) S.
def _log_softmax_backward_jvp(op, tangents, out, g, y, dim):
    tg, ty = tangents
    return total(None if tg is None else apply(op, tg, y, dim=dim),
                 None if ty is None else -exp(y) * ty * sum(g, dim, True))


# ---- the table ---------------------------------------------------------------------------------
SOFTMAX_BACKWARD = Op("SoftmaxBackwardDataBackward0",
                      lambda g, y, dim: K.softmax_backward(C.FG_SOFTMAX, g, y, dim),
                      lambda gg, out, g, y, dim: apply(SOFTMAX_BACKWARD, gg, y, dim=dim),
                      _softmax_backward_y, jvp=_softmax_backward_jvp)
LOG_SOFTMAX_BACKWARD = Op("LogSoftmaxBackwardDataBackward0",
                          lambda g, y, dim: K.softmax_backward(C.FG_LOG_SOFTMAX, g, y, dim),
                          lambda gg, out, g, y, dim: gg - sum(gg * exp(y), dim, True),
                          lambda gg, out, g, y, dim: -gg * exp(y) * sum(g, dim, True),
                          jvp=_log_softmax_backward_jvp)
SOFTMAX = Op("SoftmaxBackward0", lambda x, dim: K.softmax(C.FG_SOFTMAX, x, dim),
             _through(SOFTMAX_BACKWARD), save_inputs=False, save_output=True,
             jvp=lambda op, tangents, out, x, dim: _through(SOFTMAX_BACKWARD)(tangents[0], out,
                                                                             dim))
LOG_SOFTMAX = Op("LogSoftmaxBackward0", lambda x, dim: K.softmax(C.FG_LOG_SOFTMAX, x, dim),
                 _through(LOG_SOFTMAX_BACKWARD), save_inputs=False, save_output=True,
                 jvp=lambda op, tangents, out, x, dim: tangents[0] - sum(exp(out) * tangents[0],
                                                                         dim, True))


# ---- the functions -----------------------------------------------------------------------------
def _softmax(op, name, x, dim, dtype):
    check_tensor(x, name)
    if dtype is not None:
        x = cast(x, _dtype.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"{name}(): not implemented for dtype {x.dtype!r}")
    return apply(op, x, dim=normalize_dim(dim, x.ndim, name))


def softmax(x, dim, dtype=None):
    return _softmax(SOFTMAX, "softmax", x, dim, dtype)


def log_softmax(x, dim, dtype=None):
    return _softmax(LOG_SOFTMAX, "log_softmax", x, dim, dtype)
