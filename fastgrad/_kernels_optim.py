"""The bridge to csrc/optim.c, the optimizers' fused updates, as fastgrad._kernels is to the
other kernels."""
from ._fastgrad_c import ffi, lib
from ._kernels import NULL, _call, _check

_OPTIM_NAMES = {lib.FG_CALL_SGD_STEP: "sgd", lib.FG_CALL_ADAM_STEP: "adam",
                lib.FG_CALL_RMSPROP_STEP: "rmsprop", lib.FG_CALL_ADAGRAD_STEP: "adagrad"}


def optimizer_step(kind, flags, hp, param, grad, buffers, step=None):
    """One fused update of `param` in place (fastgrad.h: fg_*_step): param, grad and the state
    `buffers` (None where an option is off) contiguous, of param's dtype; `step` the 0-d step
    count the kernel increments (not for SGD); hp the group's numbers in the kernel's order."""
    n, name = param._a.size, _OPTIM_NAMES[kind]
    for t in (param, grad, *buffers):  # the kernel reads and writes n elements of each
        if t is not None and (t._a.size != n or t.dtype is not param.dtype
                              or not t._a.flags.c_contiguous):
            raise RuntimeError(f"{name}: a gradient or state tensor of shape {tuple(t.shape)} "
                               f"and dtype {t.dtype} does not match its parameter's shape "
                               f"{tuple(param.shape)} and dtype {param.dtype}")
    if step is not None and step._a.size != 1:
        raise RuntimeError(f"{name}: the step count must have one element, not {step._a.size}")
    args = [param.dtype.code, n, flags, ffi.new("double[]", [float(x) for x in hp])]
    if step is not None:
        args += [step.dtype.code, step._ptr]
    args += [param._ptr, grad._ptr] + [NULL if b is None else b._ptr for b in buffers]
    operands = [t for t in (step, param, grad, *buffers) if t is not None]
    _check(_call(kind, args, *operands), name, param.dtype)
