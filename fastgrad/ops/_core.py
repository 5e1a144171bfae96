"""What every op table is made of: the Op row, `apply` (run the kernel, record a graph node,
carry forward-mode tangents with `propagate`), the forward-mode rules derived from a row's own
backward rules or forward, and the operand helpers the tables share (filled tensors, cached
Python-number scalars, argument checks). The tables themselves are the other modules of this
package."""
import math
import numbers

import numpy as np

from .. import _dtype
from .. import _kernels as K
from .._autograd import Node, grad_state
from .._forward_ad import tangent_of
from .._tensor import Tensor, empty_like_shape


class Op:
    """One row of an op table: the forward (which runs the kernel), one backward rule per input
    `rule(g, out, *saved_inputs, **params)` giving that input's gradient (in fastgrad ops, so
    that it is differentiable in turn; None where an input never has one, or, returned, where it
    gets none), what the rules read, and the forward-mode rule."""

    __slots__ = ("grad_fn_name", "forward", "grads", "save_inputs", "save_output", "joint",
                 "needs", "jvp")

    def __init__(self, grad_fn_name, forward, *grads, save_inputs=True, save_output=False,
                 joint=False, needs=None, jvp=None):
        self.grad_fn_name = grad_fn_name
        self.forward = forward
        self.grads = grads  # one rule per input; if joint, one rule giving all (stack, cat)
        self.save_inputs = save_inputs
        self.save_output = save_output
        self.joint = joint
        # needs[i]: the inputs that input i's rule reads; only those of inputs that require
        # grad are saved. None: every rule reads every input.
        self.needs = needs
        # The forward-mode rule: jvp(op, tangents, out, *inputs, **params) returns the output's
        # tangent; tangents[i] is input i's tangent, None when it has none (at least one has).
        # ELEMENTWISE_JVP, LINEAR_JVP and BILINEAR_JVP below derive it from the row itself.
        self.jvp = jvp

    def renamed(self, grad_fn_name, **changes):
        """The same row under the grad_fn name PyTorch prints for another spelling of the op
        (x ** 2 and x ** y, 1 - x and x - 1), with any field changed."""
        fields = {name: getattr(self, name) for name in Op.__slots__[3:]}
        fields.update(changes)
        return Op(grad_fn_name, self.forward, *self.grads, **fields)


OTHER = ((1,), (0,))  # `needs` of the binary ops whose gradient for one input reads the other


def apply(op, *inputs, **params):
    """Runs op's kernel and, when a floating input requires grad, records a graph node."""
    out = op.forward(*inputs, **params)
    if op.grads and grad_state.enabled and out.dtype.is_floating_point:
        for t in inputs:
            if t._requires_grad:
                record(op, inputs, out, params)
                break
    if grad_state.fw_level is not None:  # after recording: a rule reading out reaches its node
        propagate(op, inputs, out, params)
    return out


def record(op, inputs, out, params):
    """Makes `out` the output of a new node of `op` (whose values are already in `out`)."""
    out._node = Node(op, inputs, out, params)
    out._requires_grad = True


# ---- forward mode ------------------------------------------------------------------------------
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
            tangent = tangent.expand(out._a.shape)
        if tangent.dtype is not out.dtype:  # .to() parses torch's signatures: not every op
            tangent = tangent.to(out.dtype)
    finally:
        grad_state.fw_level = level
    out._tangent = (level, tangent)
    node = out._node
    if node is not None and node.out is not None:  # the output the node saved carries it too
        node.out._tangent = out._tangent


def ELEMENTWISE_JVP(op, tangents, out, *inputs, **params):
    """An elementwise op's Jacobian is diagonal, so J t is its backward rule applied to t."""
    saved = inputs if op.save_inputs else ()  # what the backward rules take, as in Node.apply
    result = None
    for rule, t in zip(op.grads, tangents):  # a loop, not total(): every op runs it
        part = rule(t, out, *saved, **params) if rule is not None and t is not None else None
        if part is not None:
            result = part if result is None else result + part
    return result if result is not None else zeros(out._a.shape, out.dtype)


def total(*parts):
    """The sum of the parts that are not None (a tangent's contributions from each input)."""
    parts = [p for p in parts if p is not None]
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


def LINEAR_JVP(op, tangents, out, *inputs, **params):
    """An op linear in its floating inputs maps tangents as it maps values."""
    return apply(op, *_or_zeros(tangents, inputs), **params)


def BILINEAR_JVP(op, tangents, out, a, b, **params):
    """op(a + ta, b + tb) to first order: op(ta, b) + op(a, tb)."""
    ta, tb = tangents
    if ta is None or tb is None:
        return apply(op, a, tb, **params) if ta is None else apply(op, ta, b, **params)
    return apply(op, ta, b, **params) + apply(op, a, tb, **params)


def _or_zeros(tangents, inputs):
    """Each floating input's tangent, zeros where it has none; non-floating inputs as they are."""
    return [t if t is not None else zeros(x._a.shape, x.dtype) if x.dtype.is_floating_point else x
            for t, x in zip(tangents, inputs)]


# ---- operands --------------------------------------------------------------------------------
def full(shape, dtype, value):
    """A new tensor of `shape` filled with `value`, outside any graph."""
    return K.fill(empty_like_shape(shape, dtype), value)


def zeros(shape, dtype):
    return full(shape, dtype, 0)


def positions_along(shape, axis):
    """0, 1, ..., shape[axis] - 1 along `axis`, broadcastable against a tensor of `shape` (size 1
    on the axes after it): compared with indices, it marks where each index points."""
    n = shape[axis]
    return Tensor(K.arange(n, 0, 1, _dtype.int64)._a.reshape((n,) + (1,) * (len(shape) - axis - 1)),
                  _dtype.int64)


def check_tensor(x, name, what="input", position=""):
    """PyTorch's TypeError for an argument that must be a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{what}'{position} must be Tensor, not "
                        f"{type(x).__name__}")


_SCALARS = {}


def scalar_tensor(value, dtype):
    """A 0-d tensor holding a Python number. Ops read these and never write them, so each
    (value, dtype) is made once; the sign is part of the key because 0.0 == -0.0."""
    key = (value, dtype, type(value), value == 0 and math.copysign(1, value))
    t = _SCALARS.get(key)
    if t is None:
        if len(_SCALARS) > 1024:
            _SCALARS.clear()
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf, silently, as in torch
            t = _SCALARS[key] = Tensor(np.array(value, dtype.np), dtype)
        t._a.flags.writeable = False  # shared: in-place ops on it must fail
    return t


def check_number(x, name):
    if not isinstance(x, (Tensor, numbers.Number, np.bool_)):
        raise TypeError(f"{name}(): expected a Tensor or a number, got {type(x).__name__}")
