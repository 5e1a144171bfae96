"""fastgrad.compile: record the kernel calls a function makes, then replay them in one C call.

A compiled function's first call with new inputs runs eagerly (the warm-up: optimizers make
their state then). The next two calls run eagerly too while a Recorder notes every kernel call
(_kernels._call reports them) and their operands; when the two recordings agree, call for call
and operand for operand (the buffers allocated inside the function are matched by the order in
which they appear, all others by identity), the second becomes the plan: later calls copy their
inputs into the plan's input buffers and run fg_plan_run (csrc/plan.c) over the plan's words,
with no Python between kernels. The plan owns its buffers, so memory does not grow with calls.

What a replay could not reproduce is refused, and the function then runs eagerly for those
inputs (their signature), with one warning (an error with fullgraph=True): reading tensor
values into Python (.item(), print, bool(t), ...), shapes made from data (nonzero, boolean
masks), random draws, recordings that disagree (tensors made from Python data that changes,
Python numbers that change), inputs that require grad, outputs that still need backward, more
than PLANS input signatures, an optimizer's hyper-parameters changed inside the function. The
optimizers' hyper-parameters (lr, betas, ...) are read again before each replay, so schedulers
stepping between calls are followed. Tensors made from Python data (torch.tensor(...)) inside are
constants of the plan, matched by value."""
import gc
import operator
import sys
import threading
import warnings

import numpy as np

from . import _recording
from . import _kernels as K
from ._autograd import grad_state
from ._fastgrad_c import ffi, lib
from ._tensor import Tensor, empty_like_shape

_GRAD = operator.attrgetter("_grad")
# Each kernel's parameters (fastgrad.h), a letter each: i an int, a an int64 array, w a buffer
# it writes, r one it reads, u one it reads and writes, v a scalar it reads, s a scalar it writes.
ROLES = {
    lib.FG_CALL_ELEMENTWISE: ("elementwise", "iiiaawrrr"),
    lib.FG_CALL_ELEMENTWISE_FLAT: ("elementwise", "iiiwririri"),
    lib.FG_CALL_COPY: ("copy", "iiiaawr"),
    lib.FG_CALL_FILL: ("fill", "iiaawv"),
    lib.FG_CALL_ARANGE: ("arange", "iiwvv"),
    lib.FG_CALL_REDUCE: ("reduce", "iiiaaiwr"),
    lib.FG_CALL_ALONG_AXIS: ("along_axis", "iiiaaiwr"),
    lib.FG_CALL_MATMUL: ("matmul", "iiiiiawrrr"),
    lib.FG_CALL_SOFTMAX: ("softmax", "iiiaaiwr"),
    lib.FG_CALL_SOFTMAX_BACKWARD: ("softmax_backward", "iiiaaiwrr"),
    lib.FG_CALL_CROSS_ENTROPY: ("cross_entropy", "iiaaiiiwwrrs"),
    lib.FG_CALL_CROSS_ENTROPY_BACKWARD: ("cross_entropy_backward", "iiaaiiiwrrr"),
    lib.FG_CALL_GATHER: ("gather", "iiaaiiwrrs"),
    lib.FG_CALL_SCATTER: ("scatter", "iiiaaiiurrs"),
    lib.FG_CALL_INDEX_FOLD: ("index_fold", "iaaiurs"),
    lib.FG_CALL_SORT: ("sort", "iiiaaiwwr"),
    lib.FG_CALL_LINSPACE: ("linspace", "iiiwvvv"),
    # optim: the fused optimizer updates
    lib.FG_CALL_SGD_STEP: ("sgd_step", "iiivuru"),
    lib.FG_CALL_ADAM_STEP: ("adam_step", "iiiviuuruuu"),
    lib.FG_CALL_RMSPROP_STEP: ("rmsprop_step", "iiiviuuruuu"),
    lib.FG_CALL_ADAGRAD_STEP: ("adagrad_step", "iiiviuuru"),
    lib.FG_CALL_CONV2D: ("conv2d", "iiawrrr"),  # conv
    lib.FG_CALL_QR: ("qr", "iiiiiiwwr"),  # rnn
    # normalisation (csrc/norm.c)
    lib.FG_CALL_LAYER_NORM: ("layer_norm", "iiivwwwrrr"),
    lib.FG_CALL_LAYER_NORM_BACKWARD: ("layer_norm_backward", "iiiwwwrrrrr"),
    lib.FG_CALL_BATCH_NORM: ("batch_norm", "iiiiivwwwrrruu"),
    lib.FG_CALL_BATCH_NORM_BACKWARD: ("batch_norm_backward", "iiiiiwwwrrrrr"),
    # pooling
    lib.FG_CALL_POOL2D: ("pool2d", "iiaawwr"),
    lib.FG_CALL_POOL2D_BACKWARD: ("pool2d_backward", "iiaawrrs"),
    lib.FG_CALL_ADADELTA_STEP: ("adadelta_step", "iiiviuuruu"),
    lib.FG_CALL_ADAMAX_STEP: ("adamax_step", "iiiviuuruu"),
    lib.FG_CALL_NADAM_STEP: ("nadam_step", "iiiviuiuuruu"),
    lib.FG_CALL_RADAM_STEP: ("radam_step", "iiiviuuruu"),
    lib.FG_CALL_ASGD_STEP: ("asgd_step", "iiiviuiuuuru"),
}


def _root(array):
    """The array that owns the memory a view shows."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _address(array):
    return array.__array_interface__["data"][0]


def _address_of(cdata):
    return int(ffi.cast("intptr_t", cdata))


def _zeros(values):
    return [v == 0 for v in values]


class Recorder:
    """The kernel calls of one run of a function, as words for fg_plan_run and as a canonical
    form that says whether two runs made the same calls on the same operands."""

    def __init__(self):
        self.thread = threading.get_ident()
        self.words = []       # ints, ("array", values) to be placed, addresses
        self.canonical = []
        self.lines = []
        self.keep = []        # everything a word points to
        self.allocated_roots = {}  # id(root) -> order of appearance, for buffers made inside
        self.external_writes = []  # numbers of the calls that write a buffer made outside
        self.grads = {}       # leaves read or given a .grad: a replay needs the same .grad
        self.outside = {}     # the tensors from outside whose memory the calls use
        self.written = []     # the order of each buffer written (None: made outside)
        self.refused = None
        self.lives = {}       # optimizer hyper-parameters: address -> (array, values, refresh)

    def refuse(self, why):
        if self.refused is None and threading.get_ident() == self.thread:
            self.refused = why

    def allocated(self, array):
        if threading.get_ident() == self.thread:
            self.allocated_roots.setdefault(id(array), len(self.allocated_roots))
            self.keep.append(array)

    def constant(self, array):
        if threading.get_ident() == self.thread:
            self.allocated_roots[id(_root(array))] = ("constant", array.dtype.str, array.shape,
                                                      array.tobytes())
            self.keep.append(array)

    def live(self, array, values, refresh):
        """A kernel's scalar array that a replay refills from refresh() (an optimizer group's
        current lr, betas, ...: schedulers change them between calls)."""
        if threading.get_ident() == self.thread:
            self.lives[_address_of(array)] = (array, values, refresh)

    def changed_live(self, before):
        """Whether a hyper-parameter changed inside the function (a scheduler stepped in it: a
        replay would not run it): after the kernel read it, or before, from the values `before`
        the call of the previous recording's hyper-parameters."""
        lives = list(self.lives.values())
        return any(refresh() != values for _, values, refresh in lives) or \
            len(before) == len(lives) and any(b != v for b, (_, v, _) in zip(before, lives))

    def assigned_grad(self, tensor):
        if threading.get_ident() == self.thread:
            self.keep.append(tensor)
            self.grads[id(tensor)] = tensor

    def locate(self, t):
        """Where a tensor's memory is, as the canonical form says it."""
        root = _root(t._a)
        order = self.allocated_roots.get(id(root))
        where = order if order is not None else id(root)
        return where, _address(t._a) - _address(root), t._a.shape, t._a.strides, t.dtype

    def add(self, kind, args, tensors):
        if threading.get_ident() != self.thread:
            return
        name, roles = ROLES[kind]
        number = len(self.lines)
        words, canonical = [kind], [kind]
        tensors, written = iter(tensors), None
        for role, arg in zip(roles, args):
            if role == "i":
                words.append(int(arg))
                canonical.append(int(arg))
            elif role == "a":
                values = tuple(int(v) for v in arg)
                words.append(("array", values))
                canonical.append(values)
            elif role in "wru":
                if arg == ffi.NULL:
                    words.append(0)
                    canonical.append(None)
                    continue
                t = next(tensors)
                if role != "r" and written is None:
                    written = t
                if t._requires_grad and t._node is None:  # a parameter: its .grad is checked
                    self.grads[id(t)] = t
                root = _root(t._a)
                self.keep.append(root)
                offset = int(ffi.cast("intptr_t", arg)) - _address(root)
                order = self.allocated_roots.get(id(root))
                canonical.append(("inside", order, offset) if order is not None else
                                 ("outside", id(root), offset))
                if order is None:  # a tensor from outside: a parameter, a captured constant
                    owner = t._base if t._base is not None else t
                    self.outside[id(owner)] = owner
                if role != "r":
                    self.written.append(order)
                    if order is None:
                        self.external_writes.append(number)
                words.append(int(ffi.cast("intptr_t", arg)))
            else:  # a scalar the kernel reads (v) or writes (s), in memory cffi owns
                self.keep.append(arg)
                words.append(_address_of(arg))
                live = self.lives.get(_address_of(arg))
                canonical.append("live" if live is not None and live[0] is arg else
                                 bytes(ffi.buffer(arg)) if role == "v" else "scratch")
        self.words.extend(words)
        self.canonical.append(tuple(canonical))
        self.lines.append(f"{number:4d}  {_label(kind, name, args):<26} {written.dtype!r:<16} "
                          f"{tuple(written._a.shape)}")


_OP_NAMES = {lib.FG_CALL_ELEMENTWISE: K._NAMES, lib.FG_CALL_ELEMENTWISE_FLAT: K._NAMES,
             lib.FG_CALL_REDUCE: K._REDUCE_NAMES, lib.FG_CALL_ALONG_AXIS: K._AXIS_NAMES,
             lib.FG_CALL_SOFTMAX: K._SOFTMAX_NAMES, lib.FG_CALL_SOFTMAX_BACKWARD: K._SOFTMAX_NAMES}


def _label(kind, name, args):
    """The kernel and, for the families that take an op code first, the op: `elementwise mul`."""
    names = _OP_NAMES.get(kind)
    return f"{name} {names[args[0]]}" if names else name


class Plan:
    """A recording's calls as one int64 array of words (fastgrad.h, fg_plan_run), the arrays of
    shapes and strides they point to, and everything else they point to, kept alive."""

    def __init__(self, recorder, arguments, inputs, outputs, structure):
        arrays = [w[1] for w in recorder.words if type(w) is tuple]
        self.arena = np.array([v for values in arrays for v in values] or [0], np.int64)
        base, at, words = _address(self.arena), 0, []
        for w in recorder.words:
            if type(w) is tuple:
                words.append(base + 8 * at)
                at += len(w[1])
            else:
                words.append(w)
        self.words = np.array(words, np.int64)
        self.nwords = len(words)
        self.ncalls = len(recorder.lines)
        self.lines = recorder.lines
        self.keep = recorder.keep
        self.live = [(array, refresh, _zeros(values))
                     for array, values, refresh in recorder.lives.values()]
        self.inputs, self.outputs, self.structure = inputs, outputs, structure
        # each tensor argument's position and the fg_copy arguments that copy it into its input
        # buffer, but for its own pointer
        self.input_copies = [
            (position, (slot.dtype.code, slot.dtype.code, slot._a.ndim, slot._a.shape,
                        list(slot._a.strides) + list(a._a.strides), slot._ptr))
            for (position, a), slot in zip(arguments, inputs)]
        self.leaves = list(recorder.grads.values())  # and the .grad each must still hold
        self.leaf_grads = [t._grad for t in self.leaves]
        self.outside = list(recorder.outside.values())
        self.references = None  # how many references each of them has between calls
        self.safe_until = min(recorder.external_writes, default=self.ncalls)
        self._words = ffi.from_buffer("int64_t[]", self.words)
        self._failed = ffi.new("int64_t *")

    def fits(self):
        """Whether the state outside is still the recorded one: the leaves hold the .grad
        tensors the plan writes, and the tensors from outside it uses are still referenced as
        often as at its first replay (a parameter replaced in a model drops a reference to the
        old one, whose memory the plan would go on reading). The optimizers' hyper-parameters
        are read into the plan here."""
        if not all(map(operator.is_, map(_GRAD, self.leaves), self.leaf_grads)):
            return False
        if not self._read_live():
            return False
        if self.references is None:  # counted once, without the recordings' (young) garbage
            gc.collect(1)
            self.references = self._reference_counts()
            return True
        return all(map(operator.ge, self._reference_counts(), self.references))

    def _read_live(self):
        """The optimizers' current hyper-parameters into the kernels' arrays; False when one
        turned an option on or off (a momentum that was 0 when recorded: no buffer for it)."""
        for array, refresh, zeros in self.live:
            values = refresh()
            if _zeros(values) != zeros:
                return False
            array[0:len(values)] = values
        return True

    def _reference_counts(self):
        return list(map(sys.getrefcount, self.outside))  # (one way, so counts compare)

    def adopt_grads(self):
        """After an eager run: the new .grad values moved into the plan's .grad tensors, which
        the leaves hold again, so that the plan still fits."""
        for t, g in zip(self.leaves, self.leaf_grads):
            new = t._grad
            if new is not g and new is not None and g is not None and \
                    new._a.shape == g._a.shape and new.dtype is g.dtype:
                K.copy_into(g, new)
                t._grad = g

    def __str__(self):
        return "\n".join(self.lines) if self.lines else "(no kernel calls)"


WARM_UP = 1  # eager calls before the first recording: optimizers make their state in the first
PLANS = 8    # input signatures with a plan of their own, at most (torch's cache_size_limit)


class _Unreplayable(Exception):
    pass


def _flatten(result, out):
    """The tensors of a function's result, in order, and its structure to rebuild it from them."""
    if result is None:
        return None
    if isinstance(result, Tensor):
        out.append(result)
        return Tensor
    if type(result) in (tuple, list):
        return type(result), [_flatten(r, out) for r in result]
    raise _Unreplayable(f"it returns a {type(result).__name__} (a replay returns tensors)")


def _rebuild(structure, tensors):
    if structure is None:
        return None
    if structure is Tensor:
        return next(tensors)
    kind, parts = structure
    return kind(_rebuild(p, tensors) for p in parts)


def _fresh(t):
    """A copy the caller owns of a plan's output (the next replay overwrites the plan's)."""
    return Tensor(t._a.copy(), t.dtype)


def _key(args, kwargs):
    """What a plan is recorded for: grad mode, each tensor argument's shape, strides, dtype and
    requires_grad, the other arguments' values. TypeError if one cannot be a key."""
    key = [grad_state.enabled]
    for a in args:
        key.append((a._a.shape, a._a.strides, a.dtype, a._requires_grad) if type(a) is Tensor
                   else a)
    if kwargs:
        if any(type(v) is Tensor for v in kwargs.values()):
            raise TypeError("tensors passed by keyword are not copied in: run eagerly")
        key += sorted(kwargs.items())
    key = tuple(key)
    hash(key)
    return key


class _Entry:
    def __init__(self):
        self.calls = 0
        self.previous = None  # the canonical form of the last recording
        self.plan = None
        self.refused = None   # why these inputs cannot be replayed
        self.live = []        # the last recording's optimizer hyper-parameters (their refresh)


class Compiled:
    """fastgrad.compile(fn): calls fn, replaying its kernel calls once they are known."""

    def __init__(self, fn, fullgraph):
        self.fn, self.fullgraph = fn, fullgraph
        self._entries = {}
        self._warned = False
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        self.__doc__ = getattr(fn, "__doc__", None)

    def __getattr__(self, name):  # a compiled module still has its parameters()
        return getattr(self.fn, name)

    @property
    def plan(self):
        """The most recent plan (printable: one line per kernel call), or None."""
        plans = [e.plan for e in self._entries.values() if e.plan is not None]
        return plans[-1] if plans else None

    def __call__(self, *args, **kwargs):
        if grad_state.fw_level is None and _recording.recorder is None:
            try:
                key = _key(args, kwargs)
            except TypeError:  # an argument that cannot be a key: run eagerly
                key = None
            if key is not None:
                entry = self._entries.get(key)
                if entry is None and len(self._entries) >= PLANS:
                    self._refuse(None, f"more than {PLANS} different input signatures (shapes, "
                                       f"dtypes, strides, grad mode, other arguments)")
                elif entry is None:
                    entry = self._entries[key] = _Entry()
                elif entry.plan is not None:
                    if entry.plan.fits():
                        return self._replay(entry.plan, args, kwargs)
                    entry.plan = entry.previous = None  # a .grad or an option changed outside:
                    entry.calls = 0  # warm up (a new optimizer buffer) and record again
                if entry is not None and entry.refused is None:
                    entry.calls += 1
                    if entry.calls > WARM_UP:
                        return self._record(entry, args, kwargs)
        return self.fn(*args, **kwargs)

    def _refuse(self, entry, why):
        """These inputs run eagerly from now on; the first refusal warns (or raises under
        fullgraph=True)."""
        if entry is not None:
            entry.refused = why
        message = f"fastgrad.compile: {self.__name__} cannot be replayed: {why}"
        if self.fullgraph:
            raise RuntimeError(message)
        if not self._warned:
            self._warned = True
            warnings.warn(message + "; it runs eagerly", UserWarning, stacklevel=3)

    def _record(self, entry, args, kwargs):
        if any(isinstance(a, Tensor) and a.requires_grad for a in args):
            self._refuse(entry, "an input requires grad (its gradient would be left in a copy)")
            return self.fn(*args, **kwargs)
        inputs = [K.copy_into(empty_like_shape(a._a.shape, a.dtype), a)
                  for a in args if isinstance(a, Tensor)]
        slots = iter(inputs)
        call_args = [next(slots) if isinstance(a, Tensor) else a for a in args]
        recorder = Recorder()
        before = [refresh() for refresh in entry.live]
        for k, t in enumerate(inputs):  # matched by position, not identity
            recorder.allocated_roots[id(_root(t._a))] = ("input", k)
            recorder.keep.append(t)
        _recording.recorder = recorder
        try:
            result = self.fn(*call_args, **kwargs)
        finally:
            _recording.recorder = None
        outputs = []
        try:
            if recorder.refused:
                raise _Unreplayable(recorder.refused)
            structure = _flatten(result, outputs)
            if grad_state.enabled and any(t.requires_grad for t in outputs):
                raise _Unreplayable("it returns a tensor that requires grad (a backward outside "
                                    "it cannot be replayed; return loss.detach())")
            if any(isinstance(o, tuple) and o[0] == "input" for o in recorder.written):
                raise _Unreplayable("it writes into its input")
            entry.live = [refresh for _, _, refresh in recorder.lives.values()]
            if recorder.changed_live(before):
                raise _Unreplayable("it changes an optimizer's hyper-parameters (a scheduler's "
                                    "step inside it would not be replayed)")
        except _Unreplayable as e:
            self._refuse(entry, str(e))
            return result
        canonical = (recorder.canonical, [recorder.locate(t) for t in outputs])
        if entry.previous is None:
            entry.previous = canonical
        elif entry.previous != canonical:
            self._refuse(entry, "its kernel calls or their operands change from call to call "
                                "(tensors made from Python data that changes, or Python numbers "
                                "that change)")
        else:
            entry.plan = Plan(recorder,
                              [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor)],
                              inputs, outputs, structure)
        return _rebuild(structure, iter([_fresh(t) for t in outputs]))

    def _replay(self, plan, args, kwargs):
        for (position, copy), slot in zip(plan.input_copies, plan.inputs):
            # shapes, strides and dtypes are the key's: the same arguments but for the pointer
            K._check(lib.fg_copy(*copy, args[position]._ptr), "copy", slot.dtype)
        status = lib.fg_plan_run(plan.ncalls, plan._words, plan.nwords, plan._failed)  # the step
        if status:
            failed = plan._failed[0]
            if failed < plan.safe_until:  # nothing made outside was written: run it eagerly
                result = self.fn(*args, **kwargs)
                plan.adopt_grads()
                return result
            raise RuntimeError(f"fastgrad.compile: {self.__name__}: kernel call {failed} of its "
                               f"plan failed (status {status}) after tensors made outside it "
                               f"were written:\n{plan.lines[failed]}")
        if plan.structure is None:
            return None
        return _rebuild(plan.structure, iter([_fresh(t) for t in plan.outputs]))


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, disable=False):
    """torch.compile's signature: fastgrad records the kernel calls of `model` (a function or a
    module) and replays them in C. Also a decorator, with or without arguments. dynamic,
    backend, mode and options are accepted and have no effect."""
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, disable=disable)
    if disable:
        return model
    return Compiled(model, fullgraph)
