"""SGD, as torch.optim.SGD: momentum (the first buffer is the gradient itself), dampening,
Nesterov momentum, weight decay and maximize, in one kernel per parameter."""
from .. import _kernels_optim as K
from .. import _recording
from .._fastgrad_c import lib
from .optimizer import Optimizer, check, check_lr, contiguous_state

__all__ = ["SGD"]


def maximize_flag(group):
    return lib.FG_OPTIM_MAXIMIZE if group["maximize"] else 0


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        check_lr(lr)
        check(0.0 <= momentum, "momentum value", momentum)
        check(0.0 <= weight_decay, "weight_decay value", weight_decay)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    @staticmethod
    def _hyper(group):
        return [group["lr"], group["weight_decay"], group["momentum"], group["dampening"]]

    def _update_group(self, params, group, hyper):
        """Without momentum there is no state: one kernel call updates the whole group, unless
        a compiled step is being recorded or a tensor is not contiguous or of another dtype."""
        dtype = params[0].dtype
        if group["momentum"] == 0 and _recording.recorder is None and all(
                p.dtype is dtype and p._a.flags.c_contiguous and p._grad._a.flags.c_contiguous
                for p in params):
            K.sgd_steps(self._flags(group), hyper, params)
        else:
            super()._update_group(params, group, hyper)

    @staticmethod
    def _flags(group):
        return maximize_flag(group) | (lib.FG_OPTIM_NESTEROV if group["nesterov"] else 0)

    def _update(self, p, grad, state, group, hyper):
        flags = self._flags(group)
        buf = None
        if group["momentum"] != 0:
            if state.get("momentum_buffer") is None:  # torch's first buffer: the (decayed)
                state["momentum_buffer"] = grad.new_empty(grad.shape)  # gradient, kernel-written
                flags |= lib.FG_OPTIM_FIRST
            buf, = contiguous_state(state, ("momentum_buffer",))
        K.optimizer_step(lib.FG_CALL_SGD_STEP, flags, hyper, p, grad, [buf])
