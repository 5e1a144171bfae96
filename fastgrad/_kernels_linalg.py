"""The bridge to csrc/linalg.c (QR), as fastgrad._kernels is to the other kernels."""
import math

from ._fastgrad_c import lib
from ._kernels import _call, _check
from ._tensor import empty_like_shape


def qr(a, q_cols, r_rows):
    """Q (batch..., m, q_cols; None when q_cols is None) and R (batch..., r_rows, n) of the
    contiguous float32/float64 a (batch..., m, n), LAPACK's."""
    *batch, m, n = a._a.shape
    q = empty_like_shape((0,) if q_cols is None else (*batch, m, q_cols), a.dtype)
    r = empty_like_shape((*batch, r_rows, n), a.dtype)
    _check(_call(lib.FG_CALL_QR, (a.dtype.code, math.prod(batch), m, n, q_cols or 0, r_rows,
                                  q._ptr, r._ptr, a._ptr), q, r, a), "linalg_qr", a.dtype)
    return (None if q_cols is None else q), r
