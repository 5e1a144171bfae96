"""Norms and distances: torch.norm, torch.linalg.vector_norm / matrix_norm / norm, dist, cdist.
A vector p-norm is one row (LinalgVectorNormBackward0) whose forward and gradient follow p: 2
(the square root of a sum of squares), 1, inf and -inf (the largest or smallest magnitude, the
gradient shared among ties), 0 (the count of nonzeros, no gradient) and any other p."""
import math
import numbers

from .. import _dtype
from .. import _kernels as K
from .._fastgrad_c import lib as C
from .._shape import broadcast_shape, keepdim_shape, normalize_dims
from ._core import Op, apply, check_tensor, full, zeros
from .elementwise import abs, cast, eq, ne, pow, sign, sqrt, where
from .joining import cat
from .linalg import matmul
from .reductions import amax, amin, sum
from .views import expand, transpose, unsqueeze

INF = math.inf


def _kept(t, dims, keepdim, shape):
    return t if keepdim else t.reshape(keepdim_shape(shape, dims))


def _norm_forward(x, ord, dims, keepdim):
    x = x.detach()
    if ord == 2:
        return sqrt(sum(x * x, dims, keepdim))
    if math.isinf(ord):
        return K.reduce(C.FG_MAX if ord > 0 else C.FG_MIN, abs(x), dims, keepdim)
    if ord == 0:
        return cast(sum(ne(x, 0), dims, keepdim), x.dtype)
    if ord == 1:
        return sum(abs(x), dims, keepdim)
    return pow(sum(pow(abs(x), ord), dims, keepdim), 1.0 / ord)


def _scaled(x, out, ord, dims):
    """The gradient of the norm over dims for an upstream gradient of 1 (out kept): torch's
    rules, 0 where the norm is 0 (or, p < 1, where the element is)."""
    if ord == 0:
        return zeros(x._a.shape, x.dtype)
    if ord == 1:
        return sign(x)
    if math.isinf(ord):
        hit = eq(abs(x), out)
        return sign(x) * hit / sum(hit, dims, True)
    if ord == 2:
        return where(eq(out, 0), 0.0, x / out)
    grow = where(eq(x, 0), 0.0, sign(x) * pow(abs(x), ord - 1))
    return where(eq(out, 0), 0.0, grow / pow(out, ord - 1))


def _norm_backward(g, out, x, ord, dims, keepdim):
    if ord == 0:  # no gradient (torch leaves .grad None)
        return None
    shape = x._a.shape
    return _kept(g, dims, keepdim, shape) * _scaled(x, _kept(out, dims, keepdim, shape), ord, dims)


def _norm_jvp(op, tangents, out, x, ord, dims, keepdim):
    scaled = _scaled(x, _kept(out, dims, keepdim, x._a.shape), ord, dims)
    return sum(scaled * tangents[0], dims, keepdim)


NORM = Op("LinalgVectorNormBackward0", _norm_forward, _norm_backward, save_output=True,
          jvp=_norm_jvp)
DIST = NORM.renamed("DistBackward0")  # the norm of a difference, under torch's names
CDIST = Op("CdistBackward0", _norm_forward,  # zeros, not None, for p = 0: torch's cdist
           lambda g, out, x, **p: _norm_backward(g, out, x, **p) if p["ord"] else zeros(
               x._a.shape, x.dtype), save_output=True, jvp=_norm_jvp)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    return _vector_norm(NORM, x, ord, dim, keepdim, dtype)


def _vector_norm(row, x, ord, dim, keepdim, dtype):
    check_tensor(x, "linalg_vector_norm")
    if not isinstance(ord, numbers.Number) or isinstance(ord, bool):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    if dtype is not None:
        x = cast(x, _dtype.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_dtype_word(x.dtype)}")
    dims = normalize_dims(dim, x.ndim, "linalg.vector_norm")
    if x._a.size == 0 and ord < 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                           f"because the operation does not have an identity")
    return apply(row, x, ord=float(ord), dims=dims, keepdim=keepdim)


def _dtype_word(dtype):
    return {"torch.int64": "Long", "torch.bool": "Bool"}.get(repr(dtype), repr(dtype))


def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """'fro', and the largest (smallest) column (1, -1) or row (inf, -inf) sum of magnitudes;
    'nuc', 2 and -2 need singular values, which fastgrad does not compute."""
    check_tensor(x, "linalg_matrix_norm")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    rows, cols = normalize_dims(dim[0], x.ndim, "linalg.matrix_norm")[0], \
        normalize_dims(dim[1], x.ndim, "linalg.matrix_norm")[0]
    if ord == "fro":
        return vector_norm(x, 2, (rows, cols), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values, which "
                                  f"fastgrad does not compute")
    if ord not in (1, -1, INF, -INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    summed, kept = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = vector_norm(x, 1, summed, keepdim, dtype=dtype)
    kept -= summed < kept and not keepdim  # the summed axis is gone
    return (amax if ord > 0 else amin)(sums, kept, keepdim)


def linalg_norm(x, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a matrix norm when ord is given for a 2-D input (or dim is a pair), a
    vector norm otherwise; ord=None the 2-norm of all elements."""
    check_tensor(x, "linalg_norm")
    pair = isinstance(dim, (tuple, list)) and len(dim) == 2
    if isinstance(ord, str) or (ord is not None and (pair or (dim is None and x.ndim == 2))):
        return matrix_norm(x, "fro" if ord is None else ord, dim if pair else (-2, -1), keepdim,
                           dtype=dtype)
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    check_tensor(x, "norm")
    if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
        return vector_norm(x, 2, dim, keepdim, dtype=dtype)
    if isinstance(p, str):
        return matrix_norm(x, p, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(x, 2 if p is None else p, dim, keepdim, dtype=dtype)


def dist(x, other, p=2):
    check_tensor(x, "dist")
    check_tensor(other, "dist", "other")
    return _vector_norm(DIST, x - other, p, None, False, None)


def _euclidean_forward(x1, x2):
    """torch's matrix-product form of p=2 distances: |a|^2 + |b|^2 - 2 a.b, clamped at 0."""
    x1, x2 = x1.detach(), x2.detach()
    n1, n2 = sum(x1 * x1, -1, True), sum(x2 * x2, -1, True)
    left = cat([x1 * -2, n1, full(n1._a.shape, n1.dtype, 1)], -1)
    right = cat([x2, full(n2._a.shape, n2.dtype, 1), n2], -1)
    return sqrt(matmul(left, transpose(right, -1, -2)).clamp(min=0))


def _ratio(g, out):
    return where(eq(out, 0), 0.0, g / out)  # 0 at a zero distance, as torch


def _euclidean_jvp(op, tangents, out, x1, x2):
    """d|a - b| = (a - b).(da - db) / |a - b|, summed over the columns."""
    t1, t2 = tangents
    parts = []
    if t1 is not None:
        parts.append(sum(x1 * t1, -1, True) - matmul(t1, transpose(x2, -1, -2)))
    if t2 is not None:
        parts.append(transpose(sum(x2 * t2, -1, True), -1, -2) - matmul(x1, transpose(t2, -1, -2)))
    return _ratio(parts[0] + parts[1] if len(parts) == 2 else parts[0], out)


EUCLIDEAN = Op("EuclideanDistBackward0", _euclidean_forward,
               lambda g, out, x1, x2: x1 * sum(_ratio(g, out), -1, True)
               - matmul(_ratio(g, out), x2),
               lambda g, out, x1, x2: x2 * unsqueeze(sum(_ratio(g, out), -2), -1)
               - matmul(transpose(_ratio(g, out), -1, -2), x1),
               save_output=True, jvp=_euclidean_jvp)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    check_tensor(x1, "cdist")
    check_tensor(x2, "cdist", "x2")
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    if x1._a.shape[-1] != x2._a.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._a.shape[-1]} X2: {x2._a.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if not x1.dtype.is_floating_point or not x2.dtype.is_floating_point:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: "
                           f"{_dtype_word(x1.dtype)}")
    batch = broadcast_shape("cdist", x1._a.shape[:-2], x2._a.shape[:-2])
    x1, x2 = (expand(t, batch + t._a.shape[-2:]) for t in (x1, x2))  # as torch: one batch shape
    mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary"
        and (x1._a.shape[-2] > 25 or x2._a.shape[-2] > 25)))
    if mm:
        return apply(EUCLIDEAN, x1, x2)
    return _vector_norm(CDIST, unsqueeze(x1, -2) - unsqueeze(x2, -3), p, -1, False, None)
