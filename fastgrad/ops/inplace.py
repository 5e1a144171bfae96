"""In-place ops. Each computes its result out of place, then writes it into x's memory and
bumps the version counter, which catches any saved tensor the write changed. While a graph is
recorded, x takes over the result's node; if x is a view, its base does, through a CopySlices
node (the table's rows: CopySlices, the view's AsStrided, and fill's)."""
import numpy as np

from .. import _dtype
from .. import _kernels as K
from .._autograd import check_writable, grad_state, is_grad_enabled, rules_are_recorded
from .._fastgrad_c import lib as C
from .._shape import broadcasts_to
from .._forward_ad import tangent_of
from .._tensor import Tensor
from ._core import Op, apply, check_number, full, record, scalar_tensor, zeros
from .elementwise import (_cast_forward, add, cast, clamp, clone, div, exp, masked_fill, mul, relu,
                          sigmoid, sub, tanh)
from .views import expand


def _region(t, base):
    """Where view t lies in its base's memory: (element offset, shape, element strides)."""
    size = t.dtype.itemsize
    offset = t._a.__array_interface__["data"][0] - base._a.__array_interface__["data"][0]
    return offset // size, t._a.shape, tuple(s // size for s in t._a.strides)


def _region_view(t, region):
    """The view of contiguous t at `region` (as found by _region on a tensor of t's shape)."""
    offset, shape, strides = region
    flat = t._a.reshape(-1)[offset:]
    size = t.dtype.itemsize
    return Tensor(np.lib.stride_tricks.as_strided(flat, shape, tuple(s * size for s in strides)),
                  t.dtype)


def _no_create_graph(name):
    if rules_are_recorded():
        raise NotImplementedError(f"create_graph=True or forward mode through {name} (an in-place "
                                  f"write into a view) is not supported yet")


def _copy_slices_base_grad(g, out, region):
    _no_create_graph("CopySlices")
    grad = _cast_forward(g, g.dtype)
    K.fill(_region_view(grad, region), 0)
    return grad


def _region_grad(g, out, region, base_shape):
    _no_create_graph("AsStridedBackward0")
    grad = zeros(base_shape, g.dtype)
    K.copy_into(_region_view(grad, region), g)
    return grad


# ---- the table ---------------------------------------------------------------------------------
COPY_SLICES = Op("CopySlices", None, _copy_slices_base_grad,
                 lambda g, out, region: _region_view(clone(g) if not g.is_contiguous() else g, region),
                 save_inputs=False)
AS_STRIDED = Op("AsStridedBackward0", None, _region_grad, save_inputs=False)
FILL = Op("FillBackward0", lambda x, value: full(x._a.shape, x.dtype, value),
          lambda g, out, value: zeros(g._a.shape, g.dtype), save_inputs=False,
          jvp=lambda op, tangents, out, x, value: zeros(x._a.shape, x.dtype))


# ---- the functions -----------------------------------------------------------------------------
def recording_into(x, other):
    """Whether writing `other` into x records a graph."""
    return is_grad_enabled() and x.dtype.is_floating_point and (
        x.requires_grad or getattr(other, "requires_grad", False))


def apply_in_place(name, out_of_place, x, other):
    """x <- out_of_place(x, other), written into x's memory."""
    check_number(other, name)
    check_writable(x, name)
    result = out_of_place(x, other)
    # a result that is not floating (logical_not_, ...) has no graph: x keeps its own, as torch
    recording = recording_into(x, other) and result.dtype.is_floating_point
    if result._a.shape != x._a.shape:
        raise RuntimeError(f"{name}(): output with shape {list(x.shape)} doesn't match the "
                           f"broadcast shape {list(result.shape)}")
    if _dtype.category(result.dtype) > _dtype.category(x.dtype):
        raise RuntimeError(f"{name}(): result type {result.dtype!r} can't be cast to the desired "
                           f"output type {x.dtype!r}")
    if x._base is not None and (tangent_of(result) is not None or
                                tangent_of(x._base) is not None):
        raise NotImplementedError(f"{name}(): forward mode through an in-place write into a view "
                                  f"is not supported yet (the base's tangent would go stale)")
    if recording and result._node is not None:
        result._node.snapshot(x)  # the write below must not change what the node saved of x
    K.copy_into(x, result)
    x._version[0] += 1
    x._tangent = result._tangent  # forward mode: x now holds the result, tangent included
    if recording:
        if x._base is None:
            x._node = result._node
            x._requires_grad = True
        else:
            _rebase_view(x, result)
    return x


def _rebase_view(view, result):
    """After `result` was written through `view`, records that the base now holds it (a
    CopySlices node) and that the view shows that part of the new base."""
    base = view._base
    if not base._a.flags.c_contiguous:
        raise NotImplementedError("an in-place change through a view of a non-contiguous tensor "
                                  "is not supported while recording a graph")
    region = _region(view, base)
    record(COPY_SLICES, (base, result), base, {"region": region})
    record(AS_STRIDED, (base,), view, {"region": region, "base_shape": base._a.shape})


def _arithmetic_in_place(name, code, out_of_place, x, other):
    """x <- x op other. An operand that shares only part of x's memory is refused, as torch.
    Outside any graph, with other of x's dtype (or a number and x floating) broadcasting to x's
    shape, the kernel writes straight into x's memory (an optimizer's p -= lr * g: one kernel,
    not a result and a copy)."""
    if type(other) is Tensor:
        check_no_overlap(x, other, name)
    if (type(other) is Tensor and other.dtype is x.dtype or type(other) in (int, float) and
            x.dtype.is_floating_point) and not recording_into(x, other) and \
            grad_state.fw_level is None and x.dtype is not _dtype.bool_:
        other = scalar_tensor(other, x.dtype) if type(other) is not Tensor else other
        if broadcasts_to(other._a.shape, x._a.shape):
            check_writable(x, name)
            K.elementwise(code, x.dtype, x.dtype, (x, other), out=x)
            x._version[0] += 1
            return x
    return apply_in_place(name, out_of_place, x, other)


def _unary_in_place(fn):
    name = fn.__name__ + "_"

    def in_place(x):
        return apply_in_place(name, lambda x, unused: fn(x), x, 0)
    in_place.__name__ = in_place.__qualname__ = name
    return in_place


exp_, relu_, sigmoid_, tanh_ = (_unary_in_place(fn) for fn in (exp, relu, sigmoid, tanh))


def clamp_(x, min=None, max=None):  # noqa: A002  (torch's names)
    return apply_in_place("clamp_", lambda x, unused: clamp(x, min, max), x, 0)


clip_ = clamp_


def masked_fill_(x, mask, value):
    return apply_in_place("masked_fill_", lambda x, v: masked_fill(x, mask, v), x, value)


def add_(x, other): return _arithmetic_in_place("add_", C.FG_ADD, add, x, other)
def sub_(x, other): return _arithmetic_in_place("sub_", C.FG_SUB, sub, x, other)
def mul_(x, other): return _arithmetic_in_place("mul_", C.FG_MUL, mul, x, other)
def div_(x, other): return _arithmetic_in_place("div_", C.FG_DIV, div, x, other)


def copy_(x, src):
    if not isinstance(src, Tensor):
        return fill_(x, src)
    if not recording_into(x, src) and grad_state.fw_level is None:  # the fast path: one strided copy
        check_writable(x, "copy_")
        check_no_overlap(x, src, "copy_")
        K.copy_into(x, src)
        x._version[0] += 1
        return x
    return apply_in_place("copy_", lambda x, s: clone(expand(cast(s, x.dtype), x._a.shape)), x, src)


def check_no_overlap(dst, src, name):
    same = dst._a.__array_interface__ == src._a.__array_interface__
    if not same and np.may_share_memory(dst._a, src._a):
        raise RuntimeError(f"{name}(): unsupported operation: some elements of the input tensor "
                           f"and the written-to tensor refer to a single memory location. Please "
                           f"clone() the tensor before performing the operation.")


def fill_(x, value):
    if isinstance(value, Tensor):
        value = value.item()
    if recording_into(x, None) or grad_state.fw_level is not None:  # a graph or tangents to update
        return apply_in_place("fill_", lambda x, v: apply(FILL, x, value=v), x, value)
    check_writable(x, "fill_")
    K.fill(x, value)
    x._version[0] += 1
    return x

