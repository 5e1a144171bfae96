"""torch.nn.functional's pooling, padding and dropout (the pooling and padding ops live in
fastgrad.ops.pooling and fastgrad.ops.padding)."""
import math
import warnings

from .. import ops
from .._creation import empty, zeros
from ..ops.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                           adaptive_max_pool2d, adaptive_max_pool2d_with_indices, avg_pool1d,
                           avg_pool2d, max_pool1d, max_pool1d_with_indices, max_pool2d,
                           max_pool2d_with_indices)
from ..ops.pooling import max_unpool1d, max_unpool2d
from ..ops.padding import pad

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
           "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool2d_with_indices", "pad", "dropout", "dropout1d",
           "dropout2d",
           "alpha_dropout", "dropout3d", "feature_alpha_dropout", "lp_pool1d", "lp_pool2d",
           "max_unpool1d", "max_unpool2d"]


# ---- dropout: torch's CPU dropout, input * empty_like(noise).bernoulli_(1 - p).div_(1 - p), the
# noise drawn from the default generator as torch draws it (Dropout.cpp's _dropout_impl) ------
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


_ALPHA = 1.7580993408473766  # SELU's -scale * alpha: where alpha dropout sends dropped values


def _dropout(input, p, training, inplace, noise_shape, alpha=False):  # noqa: A002
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        noise = zeros((), dtype=input.dtype)
        return input.mul_(noise) if inplace else input * noise
    noise = empty(noise_shape, dtype=input.dtype).bernoulli_(1 - p)
    if not alpha:
        noise.div_(1 - p)
        return input.mul_(noise) if inplace else input * noise
    # alpha dropout: kept values scaled by a, dropped ones set to -alpha a, shifted by
    # alpha a p, so that mean and variance are kept (Dropout.cpp's _dropout_impl)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
    noise.mul_(a)
    return input.mul_(noise).add_(shift) if inplace else input * noise + shift


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    _check_p(p)
    return _dropout(input, p, training, inplace, input.shape)


def _feature_dropout(input, p, training, inplace, batched=True, alpha=False):  # noqa: A002
    """Whole channels zeroed: the noise has one value per (batch, channel)."""
    lead = 2 if batched else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return _dropout(input, p, training, inplace, shape, alpha)


def dropout1d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _maybe_batched(input, p, training, inplace, batched=input.ndim == 3)


def _maybe_batched(input, p, training, inplace, batched):  # noqa: A002
    """Channel dropout of a batched input, or of an unbatched one as a batch of one."""
    if batched or inplace:  # in place, unbatched: the same draws, one per channel
        return _feature_dropout(input, p, training, inplace, batched=batched)
    return _feature_dropout(input.unsqueeze(0), p, training, inplace).squeeze(0)


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _maybe_batched(input, p, training, inplace, batched=input.ndim == 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """Dropout for SELU networks: dropped values go to SELU's negative saturation, and the
    result is scaled and shifted to keep the input's mean and variance."""
    _check_p(p)
    return _dropout(input, p, training, inplace, input.shape, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """alpha_dropout of whole channels (one draw per (batch, channel))."""
    _check_p(p)
    if training and 0 < p < 1 and input.numel() and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _feature_dropout(input, p, training, inplace, alpha=True)


# ---- LP pooling: avg_pool of x ** p, times the window's size, to the power 1 / p (as torch's
# composition; p = +-inf a max pool of |x|) ---------------------------------------------------
def _lp_pool(pool, max_pool, window, input, norm_type, kernel_size, stride,  # noqa: A002
             ceil_mode):
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (ops.sign(out) * ops.relu(ops.abs(out))).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    return _lp_pool(avg_pool1d, max_pool1d, kernel_size, input, norm_type, kernel_size, stride,
                    ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    kw, kh = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
    return _lp_pool(avg_pool2d, max_pool2d, kw * kh, input, norm_type, kernel_size, stride,
                    ceil_mode)
