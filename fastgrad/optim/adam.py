"""Adam and AdamW, as torch.optim: bias-corrected moment estimates, amsgrad, maximize, L2 or
decoupled (AdamW) weight decay, in one kernel per parameter that also counts the step in
state['step'] (so a compiled training step replays: nothing changes between calls but tensors)."""
from .. import _kernels_optim as K
from .._creation import zeros_like
from .._fastgrad_c import lib
from .optimizer import Optimizer, check, check_lr, contiguous_state, step_count
from .sgd import maximize_flag

__all__ = ["Adam", "AdamW"]


def check_adam(lr, eps, betas, weight_decay):
    """The argument checks of Adam and its variants (Adamax, NAdam, RAdam), in torch's order."""
    check_lr(lr)
    check(0.0 <= eps, "epsilon value", eps)
    check(0.0 <= betas[0] < 1.0, "beta parameter at index 0", betas[0])
    check(0.0 <= betas[1] < 1.0, "beta parameter at index 1", betas[1])
    check(0.0 <= weight_decay, "weight_decay value", weight_decay)


class Adam(Optimizer):
    """`capturable` is accepted and changes nothing: the step count is always a tensor the
    kernel reads, and the numbers are those of torch's capturable=False path."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_adam(lr, eps, betas, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _prepare(self, state, p, group):
        if not state:
            state.update(step=step_count(), exp_avg=zeros_like(p), exp_avg_sq=zeros_like(p))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(p)

    @staticmethod
    def _hyper(group):
        return [group["lr"], *group["betas"], group["eps"], group["weight_decay"]]

    def _update(self, p, grad, state, group, hyper):
        flags = maximize_flag(group)
        if group["decoupled_weight_decay"]:
            flags |= lib.FG_OPTIM_DECOUPLED
        buffers = contiguous_state(state, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"))
        if not group["amsgrad"]:
            buffers[2] = None
        K.optimizer_step(lib.FG_CALL_ADAM_STEP, flags, hyper, p, grad, buffers, state["step"])


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
