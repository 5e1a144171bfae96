"""Adamax, NAdam and RAdam, as torch.optim: Adam's moment estimates with an infinity norm
(Adamax), Nesterov momentum with its decay schedule (NAdam) or a rectified variance (RAdam), L2
or decoupled weight decay, maximize; one kernel per parameter that also counts the step. As for
Adam, `capturable` and `differentiable` are accepted and give torch's capturable=False numbers."""
from .. import _kernels_optim as K
from .._creation import zeros_like
from .._fastgrad_c import lib
from .adam import check_adam
from .optimizer import Optimizer, check, contiguous_state, step_count
from .sgd import maximize_flag

__all__ = ["Adamax", "NAdam", "RAdam"]


def _flags(group):
    decoupled = group.get("decoupled_weight_decay")
    return maximize_flag(group) | (lib.FG_OPTIM_DECOUPLED if decoupled else 0)


class _Moments(Optimizer):
    """State step, then the two moment buffers KEYS; the kernel KIND reads hp lr, beta1, beta2,
    eps, weight_decay (then EXTRA options)."""
    KEYS = ("exp_avg", "exp_avg_sq")
    EXTRA = ()

    @classmethod
    def _hyper(cls, group):
        return [group["lr"], *group["betas"], group["eps"], group["weight_decay"],
                *(group[key] for key in cls.EXTRA)]

    def _prepare(self, state, p, group):
        if not state:
            state["step"] = step_count()
            state.update((key, zeros_like(p)) for key in self.KEYS)

    def _update(self, p, grad, state, group, hyper):
        K.optimizer_step(self.KIND, _flags(group), hyper, p, grad,
                         contiguous_state(state, self.KEYS), state["step"])


class Adamax(_Moments):
    KIND = lib.FG_CALL_ADAMAX_STEP
    KEYS = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_adam(lr, eps, betas, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))


class NAdam(_Moments):
    """state['mu_product'], the product of the momentum coefficients so far, is a 0-d tensor
    the kernel multiplies (as torch's)."""
    KIND = lib.FG_CALL_NADAM_STEP
    EXTRA = ("momentum_decay",)
    _SCALARS = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_adam(lr, eps, betas, weight_decay)
        check(0.0 <= momentum_decay, "momentum_decay value", momentum_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _prepare(self, state, p, group):
        if not state:
            state.update(step=step_count(), mu_product=step_count(1.0))
            state.update((key, zeros_like(p)) for key in self.KEYS)

    def _update(self, p, grad, state, group, hyper):
        K.optimizer_step(self.KIND, _flags(group), hyper, p, grad,
                         contiguous_state(state, self.KEYS), state["step"],
                         [state["mu_product"]])


class RAdam(_Moments):
    KIND = lib.FG_CALL_RADAM_STEP

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_adam(lr, eps, betas, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))
