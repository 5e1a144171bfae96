"""Decompositions: torch.linalg.qr on csrc/linalg.c's Householder QR (LAPACK's conventions, so
Q and R are torch's to rounding), and its gradient in ops (so it is differentiable again)."""
from .. import _dtype
from .. import _kernels_linalg as K
from .. import return_types
from .._tensor import Tensor, empty_like_shape
from ._core import Op, apply
from .copying import tril
from .elementwise import _cast_forward
from .joining import cat, stack
from .linalg import matmul
from .views import transpose, unsqueeze

_MODES = ("reduced", "r", "complete")


def _mh(x):
    return transpose(x, -1, -2)


def _solve_transposed(b, r):
    """Z with Z R^T = b for the upper-triangular R (..., n, n), by back substitution, column by
    column, in ops."""
    n = r.shape[-1]
    cols = [None] * n
    for j in reversed(range(n)):
        acc = b[..., j]
        if j + 1 < n:
            later = stack(cols[j + 1:], -1)  # (..., m, n - j - 1)
            acc = acc - matmul(later, unsqueeze(r[..., j, j + 1:], -1))[..., 0]
        cols[j] = acc / unsqueeze(r[..., j, j], -1)
    return stack(cols, -1)


def _square_backward(gq, gr, q, r):
    """A's gradient when A = QR with Q as wide as A (Liao et al. 2019): (gq + Q copyltu(M))
    R^-T, M = R gr^T - gq^T Q, copyltu(M) the symmetric matrix of M's lower triangle."""
    m = matmul(r, _mh(gr)) - matmul(_mh(gq), q)
    copyltu = tril(m) + _mh(tril(m, -1))
    return _solve_transposed(gq + matmul(q, copyltu), r)


def _qr_vjp(g, out, a, value, mode, part):
    m, n = a.shape[-2:]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    # Q and R again, from the graph of a: differentiable when the gradient is taken again. The
    # rule is linear in (gQ, gR): each node gives its own part, the other taken as 0.
    q, r = qr(a, mode)
    gq, gr = (g, r * 0) if part == 0 else (q * 0, g)
    if m >= n:
        return _square_backward(gq, gr, q, r)
    # A = [X | Y], X = Q U square, Y = Q V: X's gradient with V's part of gR reaching Q through
    # Y, and Y's, Q gV.
    gu, gv = gr[..., :m], gr[..., m:]
    gx = _square_backward(gq + matmul(a[..., m:], _mh(gv)), gu, q, r[..., :m])
    return cat([gx, matmul(q, gv)], -1)


# Q and R come from one kernel call; each row hands its part on, so that both are outputs of a
# LinalgQrBackward0 node.
QR = Op("LinalgQrBackward0", lambda a, value, **unused: value, _qr_vjp)


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
    rows = m if mode == "complete" else min(m, n)
    q, r = K.qr(_cast_forward(A, A.dtype), None if mode == "r" else rows, rows)
    if q is None:  # torch's Q of mode 'r': empty
        q = empty_like_shape((0,), A.dtype)
    return return_types.linalg_qr(apply(QR, A, value=q, mode=mode, part=0),
                                  apply(QR, A, value=r, mode=mode, part=1))
