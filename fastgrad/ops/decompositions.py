"""Decompositions: torch.linalg.qr on csrc/linalg.c's Householder QR (LAPACK's conventions, so
Q and R are torch's to rounding). Its gradient is not written yet: backward through it raises."""
from .. import _dtype
from .. import _kernels as K
from .. import return_types
from .._tensor import Tensor, empty_like_shape
from ._core import Op, apply
from .elementwise import _cast_forward

_MODES = ("reduced", "r", "complete")


def _no_gradient(g, out, a, value, mode, m, n):
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    raise NotImplementedError("fastgrad computes no derivative of linalg.qr yet")


# Q and R come from one kernel call; each row hands its part on, so that both are outputs of a
# LinalgQrBackward0 node.
QR = Op("LinalgQrBackward0", lambda a, value, **unused: value, _no_gradient)


def qr(A, mode="reduced"):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_qr(): argument 'A' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.dim() < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in _MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           f"(default), 'r', or 'complete'")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"linalg.qr: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype._torch_name}")
    if A.dtype not in (_dtype.float32, _dtype.float64):
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{A.dtype._torch_name}'")
    m, n = A.shape[-2:]
    k = min(m, n)
    rows = m if mode == "complete" else k
    q, r = K.qr(_cast_forward(A, A.dtype), None if mode == "r" else rows, rows)
    if q is None:  # torch's Q of mode 'r': empty
        q = empty_like_shape((0,), A.dtype)
    params = dict(mode=mode, m=m, n=n)
    return return_types.linalg_qr(apply(QR, A, value=q, **params),
                                  apply(QR, A, value=r, **params))
