"""Adadelta and ASGD, as torch.optim: Adadelta's running averages of squared gradients and
updates; ASGD's decaying step size and averaged parameters (state eta, mu and ax). Weight decay
and maximize; one kernel per parameter that also counts the step (and, for ASGD, sets eta and
mu for the next one, as torch does after its update)."""
from .. import _kernels_optim as K
from .._creation import zeros_like
from .._fastgrad_c import lib
from .optimizer import Optimizer, check, check_lr, contiguous_state, step_count
from .sgd import maximize_flag

__all__ = ["ASGD", "Adadelta"]


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_lr(lr)
        check(0.0 <= rho <= 1.0, "rho value", rho)
        check(0.0 <= eps, "epsilon value", eps)
        check(0.0 <= weight_decay, "weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable,
                                      foreach=foreach, differentiable=differentiable))

    @staticmethod
    def _hyper(group):
        return [group["lr"], group["rho"], group["eps"], group["weight_decay"]]

    def _prepare(self, state, p, group):
        if not state:
            state.update(step=step_count(), square_avg=zeros_like(p), acc_delta=zeros_like(p))

    def _update(self, p, grad, state, group, hyper):
        K.optimizer_step(lib.FG_CALL_ADADELTA_STEP, maximize_flag(group), hyper, p, grad,
                         contiguous_state(state, ("square_avg", "acc_delta")), state["step"])


class ASGD(Optimizer):
    _SCALARS = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check(0.0 <= weight_decay, "weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    @staticmethod
    def _hyper(group):
        return [group["lr"], group["lambd"], group["alpha"], group["t0"], group["weight_decay"]]

    def _prepare(self, state, p, group):
        if not state:
            state.update(step=step_count(), eta=step_count(group["lr"]), mu=step_count(1.0),
                         ax=zeros_like(p))

    def _update(self, p, grad, state, group, hyper):
        K.optimizer_step(lib.FG_CALL_ASGD_STEP, maximize_flag(group), hyper, p, grad,
                         contiguous_state(state, ("ax",)), state["step"],
                         [state["eta"], state["mu"]])
