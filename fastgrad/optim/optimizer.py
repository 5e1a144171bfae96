"""The Optimizer base, as torch.optim.Optimizer: parameter groups (each a dict of options with
its "params" list, the defaults filled in), per-parameter state, zero_grad, state_dict and
load_state_dict in torch's format, and torch's repr. Subclasses update each parameter with one
fused C kernel (csrc/optim.c) that follows torch's single-tensor CPU code."""
import copy
import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict

from .. import _kernels_optim as K
from .. import _recording
from .._autograd import RemovableHandle, enable_grad, no_grad
from .._creation import tensor
from .._dtype import float64, get_default_dtype
from .._tensor import Tensor

__all__ = ["Optimizer", "register_optimizer_step_post_hook",
           "register_optimizer_step_pre_hook"]

_global_pre_hooks = OrderedDict()   # step hooks of every optimizer, before each one's own
_global_post_hooks = OrderedDict()  # and after


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """hook(optimizer, args, kwargs) before every optimizer's step (torch.optim.optimizer's)."""
    return _add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """hook(optimizer, args, kwargs) after every optimizer's step."""
    return _add_hook(_global_post_hooks, hook)


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


def check_lr(lr):
    """torch's checks of a learning rate: a tensor of one element, not negative."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    check(0.0 <= lr, "learning rate", lr)


def typename(x):
    """torch.typename: 'torch.FloatTensor' for a tensor, the class name otherwise."""
    if isinstance(x, Tensor):
        return x.type()
    return type(x).__name__


def step_count(value=0.0):
    """A fresh state['step'] (or other 0-d state scalar): a 0-d tensor of the scalar dtype torch
    uses (float32, or float64 when that is the default dtype)."""
    return tensor(float(value), dtype=float64 if get_default_dtype() is float64 else None)


def contiguous_state(state, keys):
    """The state tensors the kernels write, made contiguous where a loaded state was not."""
    for key in keys:
        value = state.get(key)
        if value is not None and not value.is_contiguous():
            state[key] = value.contiguous()
    return [state.get(key) for key in keys]


def _mark_called(step):
    """Optimizer.step wrapped so that it notes it ran (the schedulers' order warning) and runs
    the step hooks, as torch's: hook(optimizer, args, kwargs) with args starting with the
    optimizer; a pre hook may return new (args, kwargs). A step that calls its base class's
    step runs them once."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        self._opt_called = True
        if self.__dict__.get("_in_step"):
            return step(*args, **kwargs)
        pre, post = self._hooks("step_pre"), self._hooks("step_post")
        if pre or post or _global_pre_hooks or _global_post_hooks:
            _recording.refuse("an optimizer has step hooks (Python a replay would not run)")
        for hook in [*_global_pre_hooks.values(), *pre.values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
                args, kwargs = result
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        for hook in [*post.values(), *_global_post_hooks.values()]:
            hook(self, args, kwargs)
        return out
    wrapper._wrapped_by_lr_sched = True
    return wrapper


class Optimizer:
    """Holds the parameters in groups and the per-parameter state; subclasses define
    `_hyper(group)`, the group's numbers in their kernel's order, and
    `_update(p, grad, state, group, hyper)`, the update of one parameter that has a gradient,
    hyper holding those numbers (a _kernels_optim.Hyper, read again before each replay of a
    compiled step)."""

    _SCALARS = ("step",)  # the 0-d state tensors, made tensors again if saved as numbers

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

    # ---- hooks, as torch's (each register_* returns a handle whose remove() drops the hook) ----
    def _hooks(self, kind):
        return self.__dict__.setdefault("_optimizer_" + kind + "_hooks", OrderedDict())

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before step()."""
        return _add_hook(self._hooks("step_pre"), hook)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs), after step()."""
        return _add_hook(self._hooks("step_post"), hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """hook(optimizer), before state_dict() reads the state."""
        return _add_hook(self._hooks("state_dict_pre"), hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """hook(optimizer, state_dict) -> None or the state dict to return instead."""
        return _add_hook(self._hooks("state_dict_post"), hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """hook(optimizer, state_dict) -> None or the state dict to load instead."""
        return _add_hook(self._hooks("load_state_dict_pre"), hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """hook(optimizer), after load_state_dict()."""
        return _add_hook(self._hooks("load_state_dict_post"), hook, prepend)

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
            for index, group in enumerate(self.param_groups):
                params = [p for p in group["params"] if p._grad is not None]
                if params:
                    self._update_group(params, group,
                                       K.Hyper(functools.partial(self._hyper_of, index)))
        return loss

    def _update_group(self, params, group, hyper):
        """Updates a group's parameters that have a gradient, one kernel each (a subclass may
        update them all in one)."""
        for p in params:
            self._step_one(p, group, hyper)

    def _hyper_of(self, index):
        """The numbers of group `index` as they are now (load_state_dict replaces the dicts)."""
        return self._hyper(self.param_groups[index])

    def _step_one(self, p, group, hyper):
        """Runs the kernel on contiguous memory: a parameter (or gradient) that is not is
        updated through a contiguous copy."""
        grad = p._grad
        if not grad._a.flags.c_contiguous:
            grad = grad.contiguous()
        state = self.state[p]
        self._prepare(state, p, group)
        if p._a.flags.c_contiguous:
            self._update(p, grad, state, group, hyper)
        else:
            flat = p.contiguous()
            self._update(flat, grad, state, group, hyper)
            p.copy_(flat)

    def state_dict(self):
        """{'state': {index: state}, 'param_groups': [options with 'params': [indices]]}, the
        parameters numbered in the groups' order; the state tensors are the optimizer's own."""
        for hook in list(self._hooks("state_dict_pre").values()):
            hook(self)
        index = {}
        for p in itertools.chain.from_iterable(g["params"] for g in self.param_groups):
            index.setdefault(id(p), len(index))
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)] if isinstance(p, Tensor) else p: s for p, s in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in list(self._hooks("state_dict_post").values()):
            state_dict = _or(hook(self, state_dict), state_dict)
        return state_dict

    def load_state_dict(self, state_dict):
        """The groups' options and the state of a state_dict(), its parameters matched to this
        optimizer's by order; state tensors are cast to their parameter's dtype (the step count
        kept as it is), as torch does."""
        state_dict = state_dict.copy()
        for hook in list(self._hooks("load_state_dict_pre").values()):
            state_dict = _or(hook(self, state_dict), state_dict)
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
        for hook in list(self._hooks("load_state_dict_post").values()):
            hook(self)

    def _fill_defaults(self):
        """Options a loaded state dict lacks take the defaults; a step count (or other state
        scalar) saved as a number becomes a tensor (torch's __setstate__)."""
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
            for p in group["params"]:
                s = self.state.get(p) or {}
                for key in self._SCALARS:
                    if key in s and not isinstance(s[key], Tensor):
                        s[key] = step_count(s[key])

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines += [""] * (i > 0) + [f"Parameter Group {i}"]  # a blank line between groups
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


def _or(result, default):
    return default if result is None else result


def _cast(param, key, value):
    """A loaded state value: tensors in the parameter's dtype (floating parameters), the step
    count as saved."""
    if not isinstance(value, Tensor) or key == "step" or not param.is_floating_point():
        return value
    return value.to(param.dtype)


Optimizer.step = _mark_called(Optimizer.step)
