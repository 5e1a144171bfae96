"""nn.Module as torch's: it registers the Parameters, buffers and sub-modules assigned to its
attributes, so that `parameters()`, `state_dict()` and `to()` find every tensor of a model;
forward hooks run around `forward`."""
import collections
import collections.abc

from .. import _device, _dtype
from .._autograd import RemovableHandle, no_grad
from .._conversion import to_arguments
from .._tensor import Tensor
from ..optim import zero_grads
from .parameter import Parameter


def _indent(text, spaces):
    return text.replace("\n", "\n" + " " * spaces)


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys",
                                               ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns, printed as torch prints it."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")

    __str__ = __repr__


class Module:
    """The base of every layer and model: assign Parameters, buffers and Modules to attributes
    in __init__, define forward(), call the module."""

    def __init__(self):
        for name in ("_parameters", "_buffers", "_modules", "_forward_pre_hooks",
                     "_forward_hooks"):
            object.__setattr__(self, name, {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        self.training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks):  # the common case, cheaply
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_pre_hook(self, hook):
        """hook(module, args) before forward; a result replaces the arguments."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook):
        """hook(module, args, output) after forward; a result replaces the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ---- registration ------------------------------------------------------------------------
    def _registries(self):
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if registries[0] is None:
            raise AttributeError("cannot assign parameters or modules before Module.__init__() "
                                 "call")
        return registries

    def __setattr__(self, name, value):
        if isinstance(value, (Parameter, Module)):
            params, modules = self._registries()
            registry = params if isinstance(value, Parameter) else modules
            self.__dict__.pop(name, None)
            for other in (params, modules, self._buffers):
                if other is not registry:
                    other.pop(name, None)
            registry[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                f"(torch.nn.Buffer, torch.Tensor or None expected)")
            buffers[name] = value
            return
        for key, what, expected in (("_parameters", "parameter", "torch.nn.Parameter"),
                                    ("_modules", "child module", "torch.nn.Module")):
            registry = self.__dict__.get(key)
            if registry is not None and name in registry:
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as {what} "
                                    f"'{name}' ({expected} or None expected)")
                registry[name] = None
                return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_new_name(self, name, what):
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{what} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{what} name can\'t be empty string ""')
        own = {"parameter": self._parameters, "buffer": self._buffers, "module": self._modules}
        if hasattr(self, name) and name not in own[what]:  # re-registering in its own kind only
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        self._check_new_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (torch.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor the module keeps and state_dict saves (unless not persistent), not trained:
        running statistics, masks."""
        self._check_new_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (torch Tensor or None required)")
        self._buffers[name] = tensor
        (self._non_persistent_buffers.discard if persistent else
         self._non_persistent_buffers.add)(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The module at a dotted path ('encoder.layers.0')."""
        module = self
        for item in target.split(".") if target else []:
            if item not in module._modules or module._modules[item] is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def _get_attribute(self, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return module, name

    def get_parameter(self, target):
        """The parameter at a dotted path ('encoder.0.weight')."""
        module, name = self._get_attribute(target)
        if not isinstance(getattr(module, name), Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return getattr(module, name)

    def get_buffer(self, target):
        """The buffer at a dotted path ('bn.running_mean')."""
        module, name = self._get_attribute(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    # ---- traversal ---------------------------------------------------------------------------
    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """This module and every module inside it, depth first, each once (unless
        remove_duplicate is False)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self):
        return (m for _, m in self.named_modules())

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_name, module in modules:
            for name, t in getattr(module, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{module_name}.{name}" if module_name else name), t

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, parameter) of each parameter once, even if shared by two modules."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        """fn(module) for every sub-module, then for this one (as nn.init loops do)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- state -------------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """The parameters and persistent buffers by dotted name, in registration order, each
        module's own first, then its children's: tensors sharing the module's memory
        (detached unless keep_vars)."""
        if args:  # torch's old positional (destination, prefix, keep_vars)
            destination, prefix, keep_vars = (list(args) + [None, "", False][len(args):])[:3]
        out = collections.OrderedDict() if destination is None else destination
        for name, t in self._parameters.items():
            if t is not None:
                out[prefix + name] = t if keep_vars else t.detach()
        for name, t in self._buffers.items():
            if t is not None and name not in self._non_persistent_buffers:
                out[prefix + name] = t if keep_vars else t.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=out, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies the tensors of state_dict into the parameters and buffers of the same names;
        missing and unexpected keys and shape mismatches are torch's errors (strict) or are
        returned (missing_keys, unexpected_keys)."""
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        for name, module in self.named_modules():  # lazy modules take the shapes they load
            if hasattr(module, "_lazy_load_hook"):
                module._lazy_load_hook(state_dict, name + "." if name else "")
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = []
        self._unexpected(state_dict, "", unexpected)
        errors = []
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    errors.extend(self._load_one(key, target, state_dict[key], assign))
        if strict and unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in unexpected)))
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def _unexpected(self, state_dict, prefix, out):
        """The keys of state_dict under this module's prefix that name none of its tensors or
        children, module by module as torch finds them."""
        local = {name for name, t in self._parameters.items() if t is not None}
        local |= {name for name, t in self._buffers.items()
                  if t is not None and name not in self._non_persistent_buffers}
        for key in state_dict:
            if key.startswith(prefix):
                first = key[len(prefix):].split(".", 1)[0]
                if first not in self._modules and first not in local:
                    out.append(key)
        for name, module in self._modules.items():
            if module is not None:
                module._unexpected(state_dict, f"{prefix}{name}.", out)

    def _load_one(self, key, target, value, assign):
        """Loads one entry (a list of error messages, empty when it loaded)."""
        if not isinstance(value, Tensor):
            return [f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f'Tensor-like object from checkpoint but received {type(value)}']
        if value.shape != target.shape:
            return [f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."]
        if assign:
            owner_path, _, name = key.rpartition(".")
            owner = self.get_submodule(owner_path)
            setattr(owner, name, Parameter(value, target.requires_grad)
                    if isinstance(target, Parameter) else value)
        else:
            target.copy_(value)
        return []

    # ---- modes, gradients, dtypes ------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    def to(self, *args, **kwargs):
        """model.to(device, dtype) as torch's: the floating parameters and buffers take the
        dtype, in place (the same Parameter objects); the CPU (or no device) is where they are,
        and other devices raise as on a CPU-only torch."""
        _, dtype, _ = to_arguments(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype!r}")
        return self if dtype is None else self._floats_to(dtype)

    def _floats_to(self, dtype):
        for module in self.modules():
            for t in list(module._parameters.values()) + list(module._buffers.values()):
                if t is not None and t.dtype.is_floating_point and t.dtype is not dtype:
                    with no_grad():
                        t.data = t.data.to(dtype)
                    if t.grad is not None:
                        t.grad = t.grad.to(dtype)
        return self

    def float(self):
        return self._floats_to(_dtype.float32)

    def double(self):
        return self._floats_to(_dtype.float64)

    def half(self):
        return self._floats_to(_dtype.float16)

    def cpu(self):
        return self

    def cuda(self, device=None):
        _device.check_cuda(device)

    # ---- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _child_lines(self):
        return [f"({name}): {_indent(repr(m), 2)}" for name, m in self._modules.items()]

    def __repr__(self):
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = self._child_lines()
        if not children and len(extra) <= 1:
            return f"{type(self).__name__}({''.join(extra)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"
