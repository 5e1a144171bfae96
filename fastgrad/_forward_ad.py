"""Forward-mode automatic differentiation, as torch.autograd.forward_ad: inside
`with dual_level():`, `make_dual(primal, tangent)` gives a tensor that carries a tangent, and every
op applied to such tensors computes, next to its value, the output's tangent (a Jacobian-vector
product) with the op's `jvp` rule from the op table (fastgrad.ops._core.propagate). One level
at a time, as in PyTorch. This module holds the levels and the public functions; it sits below
the op tables and reaches ops only through the Tensor's methods."""
import collections
import itertools

from ._autograd import grad_state

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])
_levels = itertools.count()


class dual_level:
    """The scope of forward-mode tangents: they vanish from every tensor on leaving it."""

    def __enter__(self):
        if grad_state.fw_level is not None:
            raise RuntimeError("Nested forward mode AD is not supported: dual_level() is already "
                               "active")
        grad_state.fw_level = next(_levels)
        return grad_state.fw_level

    def __exit__(self, *exc):
        grad_state.fw_level = None


def tangent_of(t):
    """t's tangent at the current level, or None."""
    level = grad_state.fw_level
    dual = t._tangent
    return dual[1] if dual is not None and level is not None and dual[0] == level else None


def make_dual(tensor, tangent):
    """A view of `tensor` whose tangent is `tangent` (same shape; cast to tensor's dtype)."""
    level = grad_state.fw_level
    if level is None:
        raise RuntimeError("make_dual(): forward AD must be enabled: call it inside a "
                           "`with fastgrad.autograd.forward_ad.dual_level():` block")
    if not tensor.dtype.is_floating_point:
        raise ValueError(f"make_dual(): expected a floating point primal, got {tensor.dtype!r}")
    if tangent._a.shape != tensor._a.shape:
        raise ValueError(f"make_dual(): the tangent's shape {tuple(tangent.shape)} must match the "
                         f"primal's shape {tuple(tensor.shape)}")
    dual = _alias(tensor)
    dual._tangent = (level, tangent if tangent.dtype is tensor.dtype else tangent.to(tensor.dtype))
    return dual


def unpack_dual(tensor):
    """(primal, tangent): a view of tensor without its tangent, and the tangent (or None)."""
    return UnpackedDualTensor(_alias(tensor), tangent_of(tensor))


def _alias(tensor):
    """A view of the whole tensor (differentiable in reverse mode), carrying no tangent."""
    level, grad_state.fw_level = grad_state.fw_level, None
    try:
        return tensor.view(tensor._a.shape)
    finally:
        grad_state.fw_level = level
