"""Products: dot, mv, mm, bmm and matmul on csrc/matmul.c and the BLIS-style gemm (operands
of any strides; the transposes a gradient needs are views, never copies)."""
import math

from .. import _dtype
from .. import _kernels as K
from .._autograd import rules_are_recorded
from .._shape import broadcast_shape
from .._tensor import Tensor
from ._core import BILINEAR_JVP, OTHER, Op, apply, check_tensor
from .elementwise import _cast_forward
from .views import UNSAFE_VIEW, expand, reshape, squeeze, t, transpose, unsqueeze


def _aligned(t):
    """t, or a contiguous copy when its data is not aligned or its strides are not whole
    elements (numpy record fields): the product kernels address typed elements."""
    a = t._a
    flags = a.flags
    if flags.aligned and (flags.c_contiguous or flags.f_contiguous or
                          all(s % t.dtype.itemsize == 0 for s in a.strides)):
        return t
    return _cast_forward(t, t.dtype)


def _dot_forward(a, b):
    a, b = _aligned(a), _aligned(b)
    s = a._a.strides[0], b._a.strides[0]
    return K.matmul(a, b, 1, 1, 1, a._a.shape[0], (), (0, 0, s[0]), (0, s[1], 0))


def _mv_forward(a, x):
    a, x = _aligned(a), _aligned(x)
    (m, k), sa = a._a.shape, a._a.strides
    return K.matmul(a, x, 1, m, 1, k, (m,), (0,) + sa, (0, x._a.strides[0], 0))


def _bmm_forward(a, b):
    """(batch, m, k) @ (batch, k, n), a batch of 1 broadcasting against the other's."""
    a, b = _aligned(a), _aligned(b)
    (ba, m, k), (bb, _, n) = a._a.shape, b._a.shape
    batch = max(ba, bb)
    sa = (0 if ba == 1 else a._a.strides[0],) + a._a.strides[1:]
    sb = (0 if bb == 1 else b._a.strides[0],) + b._a.strides[1:]
    return K.matmul(a, b, batch, m, n, k, (batch, m, n), sa, sb)


def _mm_forward(a, b, bias=None):
    """a @ b, plus a row `bias` of n elements (addmm's, added by the same kernel call)."""
    a, b = _aligned(a), _aligned(b)
    (m, k), (_, n) = a._a.shape, b._a.shape
    bias = None if bias is None else _aligned(bias)
    return K.matmul(a, b, 1, m, n, k, (m, n), (0,) + a._a.strides, (0,) + b._a.strides, bias,
                    () if bias is None else (0, 0, bias._a.strides[0]))


def mm_in_rule(a, b, transpose_a=False, transpose_b=False, transposed=False):
    """a @ b, either 2-d operand read transposed, inside a gradient rule (the forward checked
    the operands): the kernel on their own strides, without view tensors, unless the rule is
    itself recorded (create_graph, forward over reverse); then mm of t() views, differentiable
    in turn. `transposed`: the product made as (b^T a^T) and returned as its transpose, the
    layout of an operand that is a t() view (F.linear's weight.t(), whose gradient TBackward0
    then turns into a contiguous one, not a transposing copy at the weight's .grad)."""
    if rules_are_recorded():
        return mm(t(a) if transpose_a else a, t(b) if transpose_b else b)
    if transposed:
        return Tensor(mm_in_rule(b, a, not transpose_b, not transpose_a)._a.T, a.dtype)
    a, b = _aligned(a), _aligned(b)
    sa, sb = a._a.strides, b._a.strides
    (m, k), (_, n) = a._a.shape[::-1] if transpose_a else a._a.shape, \
        b._a.shape[::-1] if transpose_b else b._a.shape
    return K.matmul(a, b, 1, m, n, k, (m, n), (0,) + (sa[::-1] if transpose_a else sa),
                    (0,) + (sb[::-1] if transpose_b else sb))


# ---- the table ---------------------------------------------------------------------------------
DOT = Op("DotBackward0", _dot_forward, lambda g, out, a, b: g * b, lambda g, out, a, b: g * a,
         needs=OTHER, jvp=BILINEAR_JVP)
MV = Op("MvBackward0", _mv_forward, lambda g, out, a, x: unsqueeze(g, 1) * x,
        lambda g, out, a, x: mv(t(a), g), needs=OTHER, jvp=BILINEAR_JVP)
MM = Op("MmBackward0", _mm_forward, lambda g, out, a, b: mm_in_rule(g, b, transpose_b=True),
        lambda g, out, a, b: mm_in_rule(a, g, transpose_a=True), needs=OTHER, jvp=BILINEAR_JVP)
BMM = Op("BmmBackward0", _bmm_forward, lambda g, out, a, b: bmm(g, transpose(b, 1, 2)),
         lambda g, out, a, b: bmm(transpose(a, 1, 2), g), needs=OTHER, jvp=BILINEAR_JVP)


# ---- the functions -----------------------------------------------------------------------------
def _products_check(name, a, b, a_ndim, b_ndim):
    for x, n, what in ((a, a_ndim, "first"), (b, b_ndim, "second")):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument {what} must be Tensor, not {type(x).__name__}")
        if n is not None and x.ndim not in n:
            raise RuntimeError(f"{name}(): the {what} argument must be {'/'.join(map(str, n))}D, "
                               f"but got a tensor of shape {tuple(x.shape)}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{name}(): expected both arguments to have the same dtype, but got "
                           f"{a.dtype!r} and {b.dtype!r}")
    if not a.dtype.is_floating_point or a.dtype is _dtype.float16:
        raise TypeError(f"{name}(): is not implemented for dtype {a.dtype!r}")


def dot(a, b):
    _products_check("dot", a, b, (1,), (1,))
    if a._a.shape != b._a.shape:
        raise RuntimeError(f"dot(): inconsistent tensor size, expected tensors of the same "
                           f"number of elements, but got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return apply(DOT, a, b)


def mv(a, x):
    _products_check("mv", a, x, (2,), (1,))
    if a._a.shape[1] != x._a.shape[0]:
        raise RuntimeError(f"mv(): size mismatch, got matrix of shape {tuple(a.shape)} and "
                           f"vector of shape {tuple(x.shape)}")
    return apply(MV, a, x)


def mm(a, b):
    _products_check("mm", a, b, (2,), (2,))
    if a._a.shape[1] != b._a.shape[0]:
        raise RuntimeError(f"mm(): mat1 and mat2 shapes cannot be multiplied "
                           f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return apply(MM, a, b)


def _outer(name, input, vec2):  # noqa: A002
    """input[:, None] * vec2, as torch computes it (so its gradient is MulBackward0's)."""
    check_tensor(input, name, "input", " (position 1)")
    check_tensor(vec2, name, "vec2", " (position 2)")
    for x, what in ((input, "self"), (vec2, "vec2")):
        if x.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {what}, but got {x.ndim}-D")
    return unsqueeze(input, 1) * vec2


def outer(input, vec2):  # noqa: A002
    return _outer("outer", input, vec2)


def ger(input, vec2):  # noqa: A002
    return _outer("ger", input, vec2)


def bmm(a, b):
    _products_check("bmm", a, b, (3,), (3,))
    (ba, _, k), (bb, k2, _) = a._a.shape, b._a.shape
    if k != k2 or (ba != bb and 1 not in (ba, bb)):
        raise RuntimeError(f"bmm(): shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied")
    return apply(BMM, a, b)


def matmul(a, b):
    """torch.matmul: dot, mv, mm, or a batched product with broadcast batch dimensions."""
    _products_check("matmul", a, b, None, None)
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError("matmul(): both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    if na == 1 and nb == 1:
        return dot(a, b)
    if na == 2 and nb == 1:
        return mv(a, b)
    if na == 2 and nb == 2:
        return mm(a, b)
    if na == 1 and nb == 2:
        return squeeze(mm(unsqueeze(a, 0), b), 0)
    # Batched: vectors become 1-row / 1-column matrices, batch dimensions broadcast and fold
    # into one, and the result is viewed back to torch.matmul's shape.
    a2 = a if na > 1 else unsqueeze(a, 0)
    b2 = b if nb > 1 else unsqueeze(b, 1)
    (m, k), (k2, n) = a2._a.shape[-2:], b2._a.shape[-2:]
    if k != k2:
        raise RuntimeError(f"matmul(): shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({m}x{k} and {k2}x{n})")
    try:
        batch = broadcast_shape("matmul", a2._a.shape[:-2], b2._a.shape[:-2])
    except RuntimeError as e:
        raise RuntimeError(f"matmul(): the batch dimensions of shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)} do not broadcast ({e})") from None
    out_shape = batch + ((m,) if na > 1 else ()) + ((n,) if nb > 1 else ())
    if len(batch) <= 1:
        a3 = a2 if a2.ndim == 3 else unsqueeze(a2, 0)
        b3 = b2 if b2.ndim == 3 else unsqueeze(b2, 0)
    else:
        n_batch = math.prod(batch)
        a3 = reshape(expand(a2, batch + (m, k)), (n_batch, m, k))
        b3 = reshape(expand(b2, batch + (k, n)), (n_batch, k, n))
    out = bmm(a3, b3)
    return apply(UNSAFE_VIEW, out, shape=out_shape, in_shape=out._a.shape)
