"""Forward-mode automatic differentiation, as torch.autograd.forward_ad: inside
`with dual_level():`, `make_dual(primal, tangent)` gives a tensor that carries a tangent, and every
op applied to such tensors computes, next to its value, the output's tangent (a Jacobian-vector
product) with the op's `jvp` rule from the op table. One level at a time, as in PyTorch."""
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
    dual._tangent = (level, _ops.cast(tangent, tensor.dtype))
    return dual


def unpack_dual(tensor):
    """(primal, tangent): a view of tensor without its tangent, and the tangent (or None)."""
    return UnpackedDualTensor(_alias(tensor), tangent_of(tensor))


def _alias(tensor):
    """A view of the whole tensor (differentiable in reverse mode), carrying no tangent."""
    level, grad_state.fw_level = grad_state.fw_level, None
    try:
        shape = tensor._a.shape
        return _ops.apply(_ops.VIEW, tensor, shape=shape, in_shape=shape)
    finally:
        grad_state.fw_level = level


def propagate(op, inputs, out, params):
    """Gives `out` the tangent op's jvp rule computes from the inputs' tangents, if any has one."""
    level = grad_state.fw_level
    tangents = [tangent_of(t) for t in inputs]
    if not out.dtype.is_floating_point or all(t is None for t in tangents):
        return
    if op.jvp is None:
        raise NotImplementedError(f"forward-mode AD is not implemented for {op.grad_fn_name}")
    grad_state.fw_level = None  # the rule's own ops carry no tangents
    try:
        tangent = op.jvp(op, tangents, out, *inputs, **params)
        if tangent._a.shape != out._a.shape:
            tangent = _ops.expand(tangent, out._a.shape)
        tangent = _ops.cast(tangent, out.dtype)
    finally:
        grad_state.fw_level = level
    out._tangent = (level, tangent)
    node = out._node
    if node is not None and node.out is not None:  # the output the node saved carries it too
        node.out._tangent = out._tangent


# ---- rules derived from the op table ----------------------------------------------------------
def ELEMENTWISE_JVP(op, tangents, out, *inputs, **params):
    """An elementwise op's Jacobian is diagonal, so J t is its backward rule applied to t."""
    total = None
    saved = inputs if op.save_inputs else ()  # what the backward rules take, as in Node.apply
    for rule, t in zip(op.grads, tangents):
        if rule is not None and t is not None:
            part = rule(t, out, *saved, **params)
            total = part if total is None else total + part
    return total


def LINEAR_JVP(op, tangents, out, *inputs, **params):
    """An op linear in its floating inputs maps tangents as it maps values."""
    return _ops.apply(op, *_or_zeros(tangents, inputs), **params)


def BILINEAR_JVP(op, tangents, out, a, b, **params):
    """op(a + ta, b + tb) to first order: op(ta, b) + op(a, tb)."""
    ta, tb = tangents
    if ta is None or tb is None:
        return _ops.apply(op, a, tb, **params) if ta is None else _ops.apply(op, ta, b, **params)
    return _ops.apply(op, ta, b, **params) + _ops.apply(op, a, tb, **params)


def _or_zeros(tangents, inputs):
    """Each floating input's tangent, zeros where it has none; non-floating inputs as they are."""
    return [t if t is not None else _creation.zeros_like(x) if x.dtype.is_floating_point else x
            for t, x in zip(tangents, inputs)]


from . import _creation, _ops  # noqa: E402  (the op table imports this module)
