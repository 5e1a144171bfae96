"""The Optimizer base, as torch.optim.Optimizer: parameter groups (each a dict of options with
its "params" list, the defaults filled in), per-parameter state, zero_grad, state_dict and
load_state_dict in torch's format, and torch's repr. Subclasses update each parameter with one
fused C kernel (csrc/optim.c) that follows torch's single-tensor CPU code."""
import copy
import functools
import itertools
import warnings
from collections import defaultdict

from .._autograd import enable_grad, no_grad
from .._creation import tensor
from .._dtype import float64, get_default_dtype
from .._tensor import Tensor

__all__ = ["Optimizer"]


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


def check(ok, what, value):
    """torch's argument check: ValueError("Invalid learning rate: -1")."""
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")


def typename(x):
    """torch.typename: 'torch.FloatTensor' for a tensor, the class name otherwise."""
    if isinstance(x, Tensor):
        return x.type()
    return type(x).__name__


def step_count():
    """A fresh state['step']: a 0-d tensor of the scalar dtype torch uses (float32, or float64
    when that is the default dtype)."""
    return tensor(0.0, dtype=float64 if get_default_dtype() is float64 else None)


def contiguous_state(state, keys):
    """The state tensors the kernels write, made contiguous where a loaded state was not."""
    for key in keys:
        value = state.get(key)
        if value is not None and not value.is_contiguous():
            state[key] = value.contiguous()
    return [state.get(key) for key in keys]


def _mark_called(step):
    """Optimizer.step wrapped so that it notes it ran (the schedulers' order warning)."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        return step(self, *args, **kwargs)
    wrapper._wrapped_by_lr_sched = True
    return wrapper


class Optimizer:
    """Holds the parameters in groups and the per-parameter state; subclasses define
    `_update(p, grad, state, group)`, the update of one parameter that has a gradient."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _mark_called(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + typename(params))
        self.state = defaultdict(dict)  # torch's: self.state[p] is {} until p has state
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = [params] if isinstance(params, Tensor) else list(params)
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for key, value in self.defaults.items():
            param_group.setdefault(key, value)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def _prepare(self, state, p, group):
        """Called before each update: makes the parameter's state on its first step."""

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
                        self._step_one(p, group)
        return loss

    def _step_one(self, p, group):
        """Runs the kernel on contiguous memory: a parameter (or gradient) that is not is
        updated through a contiguous copy."""
        grad = p.grad.contiguous()
        state = self.state[p]
        self._prepare(state, p, group)
        if p.is_contiguous():
            self._update(p, grad, state, group)
        else:
            flat = p.contiguous()
            self._update(flat, grad, state, group)
            p.copy_(flat)

    def state_dict(self):
        """{'state': {index: state}, 'param_groups': [options with 'params': [indices]]}, the
        parameters numbered in the groups' order; the state tensors are the optimizer's own."""
        index = {}
        for p in itertools.chain.from_iterable(g["params"] for g in self.param_groups):
            index.setdefault(id(p), len(index))
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)] if isinstance(p, Tensor) else p: s for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """The groups' options and the state of a state_dict(), its parameters matched to this
        optimizer's by order; state tensors are cast to their parameter's dtype (the step count
        kept as it is), as torch does."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"])
               for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(itertools.chain.from_iterable(g["params"] for g in saved_groups),
                          itertools.chain.from_iterable(g["params"] for g in self.param_groups)))
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = {k: _cast(param, k, v) for k, v in value.items()}
            else:
                state[key] = value
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
        self.state, self.param_groups = state, saved_groups
        self._fill_defaults()

    def _fill_defaults(self):
        """Options a loaded state dict lacks take the defaults; a step count saved as a number
        becomes a tensor (torch's __setstate__)."""
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
            for p in group["params"]:
                s = self.state.get(p)
                if s and "step" in s and not isinstance(s["step"], Tensor):
                    s["step"] = step_count().fill_(float(s["step"]))

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


def _cast(param, key, value):
    """A loaded state value: tensors in the parameter's dtype (floating parameters), the step
    count as saved."""
    if not isinstance(value, Tensor) or key == "step" or not param.is_floating_point():
        return value
    return value.to(param.dtype)


Optimizer.step = _mark_called(Optimizer.step)
