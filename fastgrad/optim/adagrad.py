"""Adagrad, as torch.optim.Adagrad: learning-rate decay, weight decay, an initial accumulator
value and maximize, in one kernel per parameter. As torch, the state is made at construction."""
from .. import _kernels_optim as K
from .._creation import full_like
from .._fastgrad_c import lib
from .optimizer import Optimizer, check, check_lr, contiguous_state, step_count
from .sgd import maximize_flag

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check(0.0 <= lr_decay, "lr_decay value", lr_decay)
        check(0.0 <= weight_decay, "weight_decay value", weight_decay)
        check(0.0 <= initial_accumulator_value, "initial_accumulator_value value",
              initial_accumulator_value)
        check(0.0 <= eps, "epsilon value", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self._prepare(self.state[p], p, group)

    def _prepare(self, state, p, group):
        if not state:
            state.update(step=step_count(),
                         sum=full_like(p, group["initial_accumulator_value"]))

    @staticmethod
    def _hyper(group):
        return [group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]]

    def _update(self, p, grad, state, group, hyper):
        K.optimizer_step(lib.FG_CALL_ADAGRAD_STEP, maximize_flag(group), hyper, p,
                         grad, contiguous_state(state, ("sum",)), state["step"])
