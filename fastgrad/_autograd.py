"""Reverse-mode autograd: the graph node each op leaves behind, the grad mode switch (and the
forward-mode level), and the engine that walks the graph backwards. It sits below the op
tables (fastgrad.ops): the gradient arithmetic it does itself (sums of gradients, casts,
clones) goes through the Tensor's methods, and accumulation into .grad through one kernel."""
import functools
import threading
import weakref

import numpy as np

from . import _kernels as K
from . import _post_accumulate as post
from ._accumulate import accumulator
from ._fastgrad_c import lib as C
from ._shape import sum_to_axes
from ._tensor import Tensor, empty_like_shape


class _GradState(threading.local):
    enabled = True    # each thread starts recording; the class attribute makes reads cheap
    fw_level = None   # the forward-mode level tangents belong to, inside `dual_level()`


grad_state = _GradState()


def is_grad_enabled():
    return grad_state.enabled


def rules_are_recorded():
    """Whether the backward rules running now are themselves recorded: while a backward builds
    its own graph (create_graph), or while forward-mode tangents flow through it (forward over
    reverse). A rule that takes a shortcut outside the graph (sum's broadcast view of g) must
    not take it then."""
    return grad_state.enabled or grad_state.fw_level is not None


def _set_grad_enabled(mode):
    grad_state.enabled = bool(mode)


class _GradMode:
    """Sets gradient recording on or off (mode None: as it is) inside a `with` block or a
    decorated function."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set_grad_enabled(self.prev if self.mode is None else self.mode)
        return self

    def __exit__(self, *exc):
        _set_grad_enabled(self.prev)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradMode(self.mode):
                return fn(*args, **kwargs)
        return wrapper


class _BareDecorator(_GradMode):
    """A mode that also decorates without parentheses, as torch's: @no_grad."""

    def __new__(cls, *args):
        if len(args) == 1 and callable(args[0]):
            return cls()(args[0])
        return super().__new__(cls)


class no_grad(_BareDecorator):
    """Operations inside record no graph: `with no_grad():`, `@no_grad()` or `@no_grad`.
    Thread-local."""

    def __init__(self):
        super().__init__(False)


class inference_mode(_BareDecorator):
    """torch.inference_mode(mode=True): no graph is recorded inside (mode False changes
    nothing); also a decorator, with or without parentheses."""

    def __init__(self, mode=True):
        super().__init__(False if mode else None)


class enable_grad(_BareDecorator):
    def __init__(self):
        super().__init__(True)


class set_grad_enabled(_GradMode):
    """Sets the mode at once when called, and restores it on leaving a `with` block or, used
    as a decorator, at once (the decorated function sets it on each call)."""

    def __init__(self, mode=True):
        super().__init__(bool(mode))
        self.prev = is_grad_enabled()
        _set_grad_enabled(self.mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set_grad_enabled(self.prev)
        return super().__call__(fn)


class Node:
    """One op's record in the graph: its row of the op table, where each input's gradient goes
    (a Node, a leaf Tensor that requires grad, or None), and what its backward rule needs."""

    __slots__ = ("op", "parents", "inputs", "out", "params", "input_meta", "versions", "freed",
                 "retained", "hooks", "__weakref__")

    def __init__(self, op, inputs, out, params):
        self.op = op
        self.parents = parents = []
        self.input_meta = meta = []
        for t in inputs:  # one loop, not two comprehensions: each is a function call in 3.11
            parents.append(t._node if t._node is not None else t if t._requires_grad else None)
            meta.append((t._a.shape, t.dtype))
        self.params = params
        saved = ()
        if op.save_inputs:
            saved = self.inputs = inputs if op.needs is None else _needed(op.needs, parents,
                                                                           inputs)
        else:
            self.inputs = None
        # The output is saved as a detached alias (the output holding its own node would be a
        # reference cycle), with its forward-mode tangent if it has one.
        if op.save_output:
            self.out = _alias(out, out._tangent)
            saved += (self.out,)
        else:
            self.out = None
        self.versions = versions = []
        for t in saved:
            versions.append(t._version[0] if t is not None else 0)
        self.freed = False
        self.retained = None  # a weak reference to the output, after its retain_grad()
        self.hooks = None  # the output's register_hook functions, {handle id: fn}

    def _saved_tensors(self):
        saved = self.inputs or ()
        return saved if self.out is None else saved + (self.out,)

    def snapshot(self, x):
        """Saves a copy of x in place of x itself, before x is overwritten in place. The copy
        keeps x's graph so far and its tangent, so that second derivatives through the rule
        (reverse or forward over reverse) reach them."""
        if self.inputs is not None and any(t is x for t in self.inputs):
            copy = x.detach().clone()
            copy._node, copy._requires_grad, copy._tangent = x._node, x._requires_grad, x._tangent
            self.inputs = tuple(copy if t is x else t for t in self.inputs)
            self.versions = [0 if t is copy else v
                             for t, v in zip(self._saved_tensors(), self.versions)]

    def name(self):
        return self.op.grad_fn_name

    def __repr__(self):
        return f"<{self.op.grad_fn_name} object at {id(self):#x}>"

    @property
    def next_functions(self):  # a leaf's entry: its AccumulateGrad
        return tuple((p if isinstance(p, Node) else None if p is None else accumulator(p), 0)
                     for p in self.parents)

    def _check_saved(self):
        if self.freed and (self.op.save_inputs or self.op.save_output):
            raise RuntimeError(FREED_GRAPH)
        check_versions(self._saved_tensors(), self.versions, self.op.grad_fn_name)

    def apply(self, grad):
        """The gradient for each input (None where no gradient is needed)."""
        if self.freed:
            self._check_saved()
        elif self.versions:  # _check_saved's version check, inline: once per node
            for t, v in zip(self._saved_tensors(), self.versions):
                if t is not None and t._version[0] != v:
                    self._check_saved()
        inputs = self.inputs or ()
        out = self.out
        if out is not None and grad_state.enabled:
            out = attached(out, self)
        rules, params = self.op.grads, self.params
        if self.op.joint:
            return rules[0](grad, out, *inputs, **params)
        grads = []
        for rule, parent in zip(rules, self.parents):
            grads.append(rule(grad, out, *inputs, **params) if parent is not None else None)
        return grads


def _needed(needs, parents, inputs):
    """The inputs that the rules of the inputs that require grad read (needs[i]: those input
    i's rule reads); None for the others."""
    keep = ()
    for parent, read in zip(parents, needs):
        if parent is not None:
            keep += read
    return tuple([t if i in keep else None for i, t in enumerate(inputs)])


FREED_GRAPH = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time.")


def check_versions(saved, versions, name):
    """Raises if a saved tensor was changed in place since it was saved (its version moved)."""
    for t, v in zip(saved, versions):
        if t is not None and t._version[0] != v:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t.dtype!r} {list(t.shape)}] is at version {t._version[0]}; "
                f"expected version {v} instead ({name}).")


def attached(out, node):
    """A saved output, re-attached to the node that made it, for a rule that records a graph
    (create_graph): the rule's use of the output must lead back to the node. Outputs are saved
    without their node (that would be a cycle); this alias lives only as long as the rule's graph
    needs it."""
    alias = _alias(out, out._tangent)
    alias._node, alias._requires_grad = node, True
    return alias


def _alias(t, tangent):
    """t's memory and version counter outside any graph, keeping a forward-mode tangent."""
    alias = Tensor(t._a, t.dtype, t._version)
    alias._tangent = tangent
    return alias


def _graph_order(roots, check_grads):
    """Consumer counts of every node reachable from the roots, found without recursion. With
    check_grads, also checks that each leaf's .grad can take an in-place addition: before any
    node runs, so that a refusal frees nothing and writes no gradient."""
    consumers = dict.fromkeys(roots, 0)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if type(parent) is Node:
                if parent in consumers:
                    consumers[parent] += 1
                else:
                    consumers[parent] = 1
                    stack.append(parent)
            elif check_grads and parent is not None and parent._grad is not None:
                a = parent._grad._a  # the common case, a plain writable .grad, checked inline
                if 0 in a.strides or not a.flags.writeable:
                    _check_grad_writable(parent)
    return consumers


def _check_grad_writable(leaf):
    if leaf._grad is not None:
        try:
            check_writable(leaf._grad, "add_")
        except RuntimeError as e:
            raise RuntimeError(f"backward(): cannot accumulate into the .grad of a leaf of shape "
                               f"{tuple(leaf._a.shape)}: {e}") from None


def _sum_to(grad, shape):
    """Undoes broadcasting: sums grad over the axes along which `shape` was broadcast. This is
    the only place in fastgrad that does so."""
    axes = sum_to_axes(grad._a.shape, shape)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)


def _root_gradient(tensor, gradient):
    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor._a.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs (backward() on a tensor "
                f"of shape {tuple(tensor.shape)} needs a `gradient` of that shape)")
        return K.fill(empty_like_shape(tensor._a.shape, tensor.dtype), 1)
    if not isinstance(gradient, Tensor):
        raise TypeError(f"backward(): gradients can be either Tensors or None, but got "
                        f"{type(gradient).__name__}")
    if gradient._a.shape != tensor._a.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {gradient.shape} and "
            f"output[0] has a shape of {tensor.shape}.")
    return gradient if gradient.dtype is tensor.dtype else gradient.to(tensor.dtype)


def backward(tensors, gradients=None, retain_graph=None, create_graph=False):
    """Accumulates d(tensors)/d(leaf), contracted with `gradients`, into every leaf's .grad,
    and into the .grad of the non-leaves that called retain_grad(). One pass over the graph,
    however many tensors are given."""
    if isinstance(tensors, Tensor):
        tensors, gradients = (tensors,), (gradients,)
    roots = _roots(tensors, gradients)
    try:
        leaf_grads, node_grads = _propagate(roots, retain_graph, create_graph, None,
                                            not create_graph)
        for node, g in node_grads.items():
            _retain(node, g, create_graph)
        _accumulate(leaf_grads, {id(g) for _, g in roots}, create_graph)
    finally:  # a backward that fails drops the callbacks it queued
        callbacks = post.take_callbacks()
    for fn in callbacks:
        fn()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of `outputs` (contracted with `grad_outputs`) with respect to each of
    `inputs`, returned as a tuple instead of accumulated into .grad, as torch.autograd.grad.
    Inputs may be leaves or intermediate tensors of the graph."""
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _roots(outputs, grad_outputs)
    wanted = frozenset(t._node for t in inputs if t._node is not None)
    leaf_grads, node_grads = _propagate(roots, retain_graph, create_graph, wanted, False)
    result = []
    for t in inputs:
        g = node_grads.get(t._node) if t._node is not None else leaf_grads.get(id(t), (t, None))[1]
        if g is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                               "in the graph. Set allow_unused=True if this is the desired behavior.")
        if g is not None and not create_graph and g._node is not None:
            g = _alias(g, g._tangent)
        result.append(g)
    return tuple(result)


def _roots(tensors, gradients):
    gradients = gradients if gradients is not None else (None,) * len(tensors)
    if len(gradients) != len(tensors):
        raise RuntimeError(f"grad_outputs: got {len(gradients)} gradients for {len(tensors)} "
                           f"outputs")
    return [(t, _root_gradient(t, g)) for t, g in zip(tensors, gradients)]


def _propagate(roots, retain_graph, create_graph, wanted, check_grads):
    """Runs the graph backwards from `roots` ((tensor, gradient) pairs). Returns the leaves'
    gradients ({id: (leaf, grad)}) and the total gradients of the `wanted` nodes' outputs
    (None: of those whose output called retain_grad()).
    check_grads: the leaves' .grad will be added into in place (see _graph_order)."""
    retain_graph = create_graph if retain_graph is None else retain_graph
    recording = grad_state.enabled
    grad_state.enabled = create_graph  # the rules record a graph only for create_graph
    try:
        grads, leaf_grads, node_grads = {}, {}, {}
        for t, g in roots:
            if t._node is None:  # backward() on a leaf
                if check_grads:
                    _check_grad_writable(t)
                _add_leaf_grad(leaf_grads, t, g)
            else:
                grads[t._node] = grads[t._node] + g if t._node in grads else g
        if grads:
            _run(grads, leaf_grads, retain_graph, wanted, node_grads, check_grads)
        return (_leaf_hooks_applied(leaf_grads) if _hooked_leaves else leaf_grads), node_grads
    finally:
        grad_state.enabled = recording


def retain_grad(t):
    """Makes backward() keep t's gradient in t.grad (a leaf that requires grad does already)."""
    if not t.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t._node is not None:
        t._node.retained = weakref.ref(t)


def _retain(node, g, create_graph):
    """Adds g, the gradient of node's output, into the .grad of that output if it still is
    the tensor that asked (an in-place op may have made it another node's output since)."""
    t = node.retained()
    if t is None or t._node is not node:
        return
    g = g if create_graph else g.detach().clone()
    t._grad = g if t._grad is None else t._grad + g


def _add_leaf_grad(leaf_grads, leaf, g):
    previous = leaf_grads.get(id(leaf))
    leaf_grads[id(leaf)] = (leaf, g if previous is None else previous[1] + g)


# ---- tensor hooks --------------------------------------------------------------------------
class RemovableHandle:
    """What register_hook returns: remove() takes the hook away."""

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_hook(t, fn):
    """fn(grad) runs when t's gradient is computed, in the order hooks were registered; a
    result that is not None replaces the gradient (for a leaf, before it reaches .grad)."""
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._node is not None:
        if t._node.hooks is None:
            t._node.hooks = {}
        hooks = t._node.hooks
    else:
        global _hooked_leaves
        _hooked_leaves = True
        if getattr(t, "_hooks", None) is None:
            t._hooks = {}
        hooks = t._hooks
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


def register_post_accumulate_grad_hook(t, fn):
    if t._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    handle = RemovableHandle(post.hooks_of(t))
    handle._hooks[handle.id] = fn
    return handle


_hooked_leaves = False  # whether any leaf ever had a hook: backward() looks for them only then


def _run_hooks(hooks, grad):
    for fn in list(hooks.values()):
        result = fn(grad)
        if result is not None:
            grad = result
    return grad


def _leaf_hooks_applied(leaf_grads):
    """The leaves' gradients after their hooks (run once per backward, on the total)."""
    for key, (leaf, g) in leaf_grads.items():
        hooks = getattr(leaf, "_hooks", None)
        if hooks and g is not None:  # None: accumulated already (_accumulate_early)
            leaf_grads[key] = (leaf, _run_hooks(hooks, g))
    return leaf_grads


def _run(grads, leaf_grads, retain_graph, wanted, node_grads, check_grads):
    """Propagates `grads` (gradients of root nodes) through the graph, in an order where each
    node comes after every node that consumes its output."""
    consumers = _graph_order(grads, check_grads)
    early = post.EarlyLeaves(consumers, grads, leaf_grads) if post.hooks and check_grads else None
    ready = [node for node in grads if consumers[node] == 0]
    while ready:
        node = ready.pop()
        grad = grads.pop(node)
        if node.hooks:
            grad = _run_hooks(node.hooks, grad)
        if node.retained is not None if wanted is None else node in wanted:
            node_grads[node] = grad
        input_grads = node.apply(grad)
        if not retain_graph:
            node.inputs = node.out = None  # what it saved goes; a second backward raises
            node.freed = True
        for parent, g, (shape, dtype) in zip(node.parents, input_grads, node.input_meta):
            if parent is None or g is None:
                continue
            if g._a.shape != shape:
                g = _sum_to(g, shape)
            if g.dtype is not dtype:
                g = g.to(dtype)
            if type(parent) is Node:
                previous = grads.get(parent)
                grads[parent] = g if previous is None else previous + g
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)
            else:
                _add_leaf_grad(leaf_grads, parent, g)
                if early is not None and early.complete(parent):
                    _accumulate_early(parent, leaf_grads, early.stored)


def _accumulate_early(leaf, leaf_grads, stored):
    """Accumulates, during the pass, a leaf's gradient that is complete, for its
    post-accumulate hooks to run at once (DistributedDataParallel starts averaging then)."""
    g = leaf_grads[id(leaf)][1]
    hooks = getattr(leaf, "_hooks", None)
    _accumulate_leaf(leaf, _run_hooks(hooks, g) if hooks else g, stored, False)
    leaf_grads[id(leaf)] = (leaf, None)


def _accumulate(leaf_grads, root_gradients, create_graph):
    """Adds each leaf's gradient into its .grad. A gradient that may share memory with another
    tensor (a caller's `gradient`, one passed through to two leaves, a view) is copied, so
    that `x.grad.zero_()` never touches anything else."""
    stored = set(root_gradients)
    stored.update(id(leaf._grad) for leaf, g in leaf_grads.values() if g is None)
    for leaf, g in leaf_grads.values():
        if g is not None:  # None: accumulated already (_accumulate_early)
            _accumulate_leaf(leaf, g, stored, create_graph)


def _accumulate_leaf(leaf, g, stored, create_graph):
    if leaf.grad is None:
        if not create_graph and (id(g) in stored or g._a.base is not None or g._node is not None):
            g = K.copy_into(empty_like_shape(g._a.shape, g.dtype), g)  # a clone outside the graph
        stored.add(id(g))
        leaf.grad = g
    elif create_graph:
        leaf.grad = leaf.grad + g
    else:
        _accumulate_into(leaf.grad, g)
    if post.hooks and id(leaf) in post.hooks:
        post.run_hooks(leaf)



def _accumulate_into(grad, g):
    """grad += g for a .grad outside any graph: one kernel call when nothing overlaps."""
    a = grad._a
    if (a.flags.writeable and g.dtype is grad.dtype and g._a.shape == a.shape and all(a.strides)
            and not np.may_share_memory(a, g._a)):
        K.elementwise(C.FG_ADD, grad.dtype, grad.dtype, (grad, g), out=grad)
        grad._version[0] += 1
    else:
        grad.add_(g)


# ---- rules on leaves and in-place writes, which the engine checks too -------------------------
def set_requires_grad(x, flag):
    if not isinstance(flag, bool):
        raise TypeError(f"requires_grad_(): argument 'requires_grad' must be bool, not "
                        f"{type(flag).__name__}")
    if flag and not x.dtype.is_floating_point:
        raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                           f"(got {x.dtype!r})")
    if not flag and x._node is not None:
        raise RuntimeError("you can only change requires_grad flags of leaf variables.")
    if flag and x._base is not None and not x._base.requires_grad:
        x._base = None  # the view becomes the base its own views are views of, as in torch
    x._requires_grad = flag


def check_writable(x, name):
    """Refuses in-place writes into overlapping or read-only memory, and, in grad mode, into a
    leaf that requires grad or a view of one (made with or without grad mode)."""
    a = x._a
    if a.size and 0 in a.strides and any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape)):
        raise RuntimeError(f"{name}(): unsupported operation: more than one element of the "
                           f"written-to tensor refers to a single memory location. Please clone() "
                           f"the tensor before performing the operation.")
    if not a.flags.writeable:
        raise RuntimeError(f"{name}(): the tensor's memory is read-only (a read-only numpy array)")
    root = x._base if x._base is not None else x
    if is_grad_enabled() and root.requires_grad and root._node is None:
        what = "a view of a leaf Variable" if root is not x else "a leaf Variable"
        raise RuntimeError(f"{name}(): {what} that requires grad is being used in an in-place "
                           f"operation.")
