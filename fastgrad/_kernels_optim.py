"""The bridge to csrc/optim.c, the optimizers' fused updates, as fastgrad._kernels is to the
other kernels."""
from . import _recording
from ._fastgrad_c import ffi, lib
from ._kernels import NULL, _call, _check

_OPTIM_NAMES = {lib.FG_CALL_SGD_STEP: "sgd", lib.FG_CALL_ADAM_STEP: "adam",
                lib.FG_CALL_RMSPROP_STEP: "rmsprop", lib.FG_CALL_ADAGRAD_STEP: "adagrad",
                lib.FG_CALL_ADADELTA_STEP: "adadelta", lib.FG_CALL_ADAMAX_STEP: "adamax",
                lib.FG_CALL_NADAM_STEP: "nadam", lib.FG_CALL_RADAM_STEP: "radam",
                lib.FG_CALL_ASGD_STEP: "asgd"}


class Hyper:
    """A group's numbers in its kernel's order, read once per step into the one C array that
    every parameter's update in the group reads. `read()` gives them as they are now: a compiled
    step calls it again before each replay, so that a learning rate a scheduler changes later is
    the one used."""

    __slots__ = ("read", "values", "array")

    def __init__(self, numbers):
        self.read = lambda: [float(x) for x in numbers()]
        self.values = self.read()
        self.array = ffi.new("double[]", self.values)


def optimizer_step(kind, flags, hyper, param, grad, buffers, step=None, scalars=()):
    """One fused update of `param` in place (fastgrad.h: fg_*_step): param, grad and the state
    `buffers` (None where an option is off) contiguous, of param's dtype; `step` the 0-d step
    count the kernel increments (not for SGD); `scalars` the other 0-d state tensors it reads
    and writes (NAdam's mu_product, ASGD's eta and mu), of one float dtype; `hyper` the group's
    numbers (a Hyper)."""
    n, name = param._a.size, _OPTIM_NAMES[kind]
    for t in (param, grad, *buffers):  # the kernel reads and writes n elements of each
        if t is not None and (t._a.size != n or t.dtype is not param.dtype
                              or not t._a.flags.c_contiguous):
            raise RuntimeError(f"{name}: a gradient or state tensor of shape {tuple(t.shape)} "
                               f"and dtype {t.dtype} does not match its parameter's shape "
                               f"{tuple(param.shape)} and dtype {param.dtype}")
    if step is not None and step._a.size != 1:
        raise RuntimeError(f"{name}: the step count must have one element, not {step._a.size}")
    for s in scalars:
        if s._a.size != 1:
            raise RuntimeError(f"{name}: a state scalar must have one element, not {s._a.size}")
        if s.dtype is not scalars[0].dtype:
            raise RuntimeError(f"{name}: the state scalars have different dtypes")
    if _recording.recorder is not None:
        _recording.recorder.live(hyper.array, hyper.values, hyper.read)
    args = [param.dtype.code, n, flags, hyper.array]
    if step is not None:
        args += [step.dtype.code, step._ptr]
    if scalars:
        args += [scalars[0].dtype.code] + [s._ptr for s in scalars]
    args += [param._ptr, grad._ptr] + [NULL if b is None else b._ptr for b in buffers]
    operands = [t for t in (step, *scalars, param, grad, *buffers) if t is not None]
    _check(_call(kind, args, *operands), name, param.dtype)


def sgd_steps(flags, hyper, params):
    """Momentum-free SGD of `params` (contiguous, of one float dtype, their .grad contiguous)
    in one call: the per-parameter Python of optimizer_step costs more than these updates. Not
    for a step fastgrad.compile records (the plan replays one call per parameter)."""
    grads = [p._grad for p in params]
    sizes = ffi.new("int64_t[]", [p._a.size for p in params])
    pointers = ffi.new("void *[]", [p._ptr for p in params])
    grad_pointers = ffi.new("void *[]", [g._ptr for g in grads])
    _check(lib.fg_sgd_steps(params[0].dtype.code, len(params), sizes, flags, hyper.array,
                            pointers, grad_pointers), "sgd", params[0].dtype)
