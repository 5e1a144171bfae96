"""User-defined ops, as torch.autograd.Function: a subclass gives a static `forward(ctx, *args)`
and `backward(ctx, *grad_outputs)` (and, for forward mode, `jvp(ctx, *tangents)`), and
`MyFn.apply(*args)` runs it. Each subclass gets an op row of its own (an `Op`) whose joint
gradient rule calls its backward, so the engine treats it like any built-in op: apply runs the
forward and records a node per output, and under create_graph the backward's own fastgrad ops
record a graph, so a differentiable backward gives second derivatives."""
import weakref

from . import _creation
from ._autograd import FREED_GRAPH, attached, check_versions, grad_state, no_grad
from ._forward_ad import tangent_of
from .ops._core import Op, propagate, record
from ._shape import broadcasts_to
from ._tensor import Tensor

class FunctionCtx:
    """The `ctx` that forward fills and backward reads; forward may also set attributes of its
    own on it (`ctx.scale = 2`)."""

    def __init__(self, name, args):
        self._name = name
        self._args = args  # until forward has run
        self._shapes = tuple(a._a.shape if isinstance(a, Tensor) else None for a in args)
        self.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        self._saved = ()
        self._versions = ()
        self._outputs_saved = {}  # position in _saved of an output -> weak reference to its node
        self._non_differentiable = ()
        self._nodes = ()  # weak references to the outputs' nodes, once recorded
        self._outputs = ()  # (shape, dtype) of each output, for the zeros of unused ones

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors, but argument {i} is "
                                f"of type {type(t).__name__}")
        self._saved = tensors
        self._versions = tuple(t._version[0] if t is not None else 0 for t in tensors)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def _recorded(self, outs):
        """The outputs now have their nodes. A saved output would hold its node, which holds
        this ctx: a reference cycle. It is kept as a detached alias instead, re-attached to its
        node by saved_tensors while a backward records a graph (as Node.apply does)."""
        nodes = {id(out): weakref.ref(out._node) for out in outs if out._node is not None}
        self._nodes = tuple(nodes.values())
        self._outputs_saved = {i: nodes[id(t)] for i, t in enumerate(self._saved)
                               if t is not None and id(t) in nodes}
        self._saved = tuple(t.detach() if i in self._outputs_saved else t
                            for i, t in enumerate(self._saved))

    @property
    def saved_tensors(self):
        # freed once every output's node has run its backward without retain_graph
        if self._nodes and all(ref() is None or ref().freed for ref in self._nodes):
            raise RuntimeError(FREED_GRAPH)
        check_versions(self._saved, self._versions, self._name)
        if not (self._outputs_saved and grad_state.enabled):
            return self._saved
        return tuple(attached(t, self._outputs_saved[i]()) if i in self._outputs_saved else t
                     for i, t in enumerate(self._saved))


class Function:
    """Base class of user-defined differentiable ops (see the module docstring). New-style
    subclasses may instead define `forward(*args)` and `setup_context(ctx, inputs, output)`."""

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args):
        """Runs forward; records one graph node per differentiable output, each of whose
        backward calls cls.backward with zeros for the other outputs' gradients (backward is
        linear in them, so the engine's sum over the nodes is the gradient)."""
        op = cls.__dict__.get("_op") or _make_op(cls)
        ctx = FunctionCtx(op.grad_fn_name, args)
        tensors = tuple(a for a in args if isinstance(a, Tensor))
        result = op.forward(*tensors, ctx=ctx)
        outs = result if isinstance(result, tuple) else (result,)
        ctx._outputs = tuple((out._a.shape, out.dtype) for out in outs)
        if grad_state.enabled and any(t.requires_grad for t in tensors):
            for i, out in enumerate(outs):
                if out.dtype.is_floating_point and not any(out is t for t in ctx._non_differentiable):
                    record(op, tensors, out, {"ctx": ctx, "output": i})
            ctx._recorded(outs)
        if grad_state.fw_level is not None:
            if len(outs) > 1 and any(tangent_of(t) is not None for t in tensors):
                raise NotImplementedError(f"{op.grad_fn_name}: forward mode through a Function "
                                          f"with several outputs is not supported yet")
            propagate(op, tensors, outs[0], {"ctx": ctx, "output": 0})
        return result


def _make_op(cls):
    """cls's row of the op table, made on its first apply."""
    name = cls.__name__ + "Backward"

    def forward(*tensors, ctx):
        args, ctx._args = ctx._args, None
        level, grad_state.fw_level = grad_state.fw_level, None  # jvp gives the tangent
        try:
            with no_grad():
                if cls.setup_context is Function.setup_context:
                    out = cls.forward(ctx, *args)
                else:
                    out = cls.forward(*args)
                    cls.setup_context(ctx, args, out)
        finally:
            grad_state.fw_level = level
        return _checked_output(name, out, tensors)

    def backward(grad, out, *, ctx, output):
        grads = [grad if i == output else _creation.zeros(shape, dtype=dtype)
                 for i, (shape, dtype) in enumerate(ctx._outputs)]
        return _checked_grads(name, cls.backward(ctx, *grads), ctx._shapes)

    def jvp(op, tangents, out, *tensors, ctx, output):
        if getattr(cls, "jvp", None) is None:
            raise NotImplementedError("You must implement the jvp function for custom "
                                      "autograd.Function to use it with forward mode AD.")
        # As PyTorch: a tensor argument without a tangent gets zeros.
        pairs = iter(zip(tensors, tangents))
        full = [None if shape is None else _zeros_if_none(*next(pairs)) for shape in ctx._shapes]
        return cls.jvp(ctx, *full)

    cls._op = Op(name, forward, backward, save_inputs=False, joint=True, jvp=jvp)
    return cls._op


def _zeros_if_none(x, tangent):
    if tangent is None and x.dtype.is_floating_point:
        return _creation.zeros_like(x)
    return tangent


def _checked_output(name, out, inputs):
    """forward's output: a tensor or a tuple of tensors. An input returned as it is becomes a
    new tensor over the same memory, so that the output's node does not replace the input's."""
    if isinstance(out, (tuple, list)):
        return tuple(_checked_output(name, o, inputs) for o in out)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: forward must return a Tensor, got {type(out).__name__}")
    return out.detach() if any(out is t for t in inputs) else out


def _checked_grads(name, grads, shapes):
    """backward's gradients for the tensor arguments, checked as PyTorch checks them."""
    grads = grads if isinstance(grads, tuple) else (grads,)
    n = len(shapes)
    if len(grads) > n and all(g is None for g in grads[n:]):
        grads = grads[:n]
    if len(grads) != n:
        raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(grads)})")
    result = []
    for i, (g, shape) in enumerate(zip(grads, shapes)):
        if shape is None:
            if g is not None:
                raise RuntimeError(f"function {name} returned a gradient different than None at "
                                   f"position {i + 1}, but the corresponding forward input was "
                                   f"not a Variable")
            continue
        if g is not None and not (isinstance(g, Tensor) and broadcasts_to(shape, g._a.shape)):
            got = list(g.shape) if isinstance(g, Tensor) else type(g).__name__
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} - "
                               f"got {got} but expected shape compatible with {list(shape)}")
        result.append(g)
    return result
