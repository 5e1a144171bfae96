"""fastgrad.optim: SGD and Adam, as torch.optim. Each step updates the parameters in place with
fastgrad's in-place ops under no_grad, following torch's formulas operation for operation, so the
same model trained with either library ends with the same parameters (up to float rounding)."""
import math

from ._autograd import enable_grad, no_grad
from ._creation import tensor, zeros_like
from ._tensor import Tensor

__all__ = ["Adam", "Optimizer", "SGD"]


def zero_grads(params, set_to_none=True):
    """Clears each parameter's .grad: drops it (set_to_none) or zeroes it in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.detach_()
            p.grad.zero_()


def _check(ok, what, value):
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")


class Optimizer:
    """Holds the parameters in groups (each a dict of options with its "params" list) and the
    per-parameter state; subclasses define `_update(p, grad, state, group)`."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError("some parameters appear more than once in the optimizer's groups")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; `closure` (re)computes the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad, self.state.setdefault(p, {}), group)
        return loss

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (torch's buffer: the first step's
    buffer is the gradient itself), dampening, Nesterov momentum and weight decay."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        _check(lr >= 0, "learning rate", lr)
        _check(momentum >= 0, "momentum value", momentum)
        _check(weight_decay >= 0, "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p, grad, state, group):
        momentum = group["momentum"]
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        p.add_(grad, alpha=-group["lr"])


class Adam(Optimizer):
    """Adam with torch's bias correction:
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    With capturable=True the step count is a tensor and the bias corrections are computed by
    kernels (in float64, as Python computes them: the same numbers), so that fastgrad.compile
    can replay a step; otherwise they are Python numbers, which change every step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 capturable=False):
        _check(lr >= 0, "learning rate", lr)
        _check(eps >= 0, "epsilon value", eps)
        for i, beta in enumerate(betas):
            _check(0 <= beta < 1, f"beta parameter at index {i}", beta)
        _check(weight_decay >= 0, "weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, capturable=capturable))

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        if not state:
            step = tensor(0.0) if group["capturable"] else 0
            state.update(step=step, exp_avg=zeros_like(p), exp_avg_sq=zeros_like(p))
        state["step"] += 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        if group["capturable"]:
            step = state["step"].double()
            neg_step_size = -(group["lr"] / (1 - beta1 ** step))
            bias_correction2_sqrt = (1 - beta2 ** step).sqrt()
        else:
            step = state["step"]
            neg_step_size = -(group["lr"] / (1 - beta1 ** step))
            bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
        p.add_(exp_avg * neg_step_size / denom)  # addcdiv_(exp_avg, denom, value=-step_size)
