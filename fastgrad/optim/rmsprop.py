"""RMSprop, as torch.optim.RMSprop: smoothing constant alpha, centered variant, momentum,
weight decay and maximize, in one kernel per parameter."""
from .. import _kernels_optim as K
from .._creation import zeros_like
from .._fastgrad_c import lib
from .optimizer import Optimizer, check, check_lr, contiguous_state, step_count
from .sgd import maximize_flag

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_lr(lr)
        check(0.0 <= eps, "epsilon value", eps)
        check(0.0 <= momentum, "momentum value", momentum)
        check(0.0 <= weight_decay, "weight_decay value", weight_decay)
        check(0.0 <= alpha, "alpha value", alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def _prepare(self, state, p, group):
        if not state:
            state.update(step=step_count(), square_avg=zeros_like(p))
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = zeros_like(p)

    @staticmethod
    def _hyper(group):
        return [group["lr"], group["alpha"], group["eps"], group["weight_decay"],
                group["momentum"]]

    def _update(self, p, grad, state, group, hyper):
        square_avg, grad_avg, buf = contiguous_state(
            state, ("square_avg", "grad_avg", "momentum_buffer"))
        K.optimizer_step(lib.FG_CALL_RMSPROP_STEP, maximize_flag(group), hyper, p, grad,
                         [square_avg, grad_avg if group["centered"] else None,
                          buf if group["momentum"] > 0 else None], state["step"])
