"""Modules as torch.nn's: a Module registers the Parameters and sub-modules assigned to its
attributes, so `parameters()` finds every trainable tensor of a model; layers, activations and
losses are small Modules over fastgrad's ops and fastgrad.nn.functional."""
import collections
import math

from .. import _device, ops
from .._creation import empty
from .._conversion import to_arguments
from .._tensor import Tensor
from ..optim import zero_grads
from . import functional as F
from . import init

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "Parameter", "ReLU", "Sequential",
           "Sigmoid", "Tanh"]


class Parameter(Tensor):
    """A tensor that a Module registers as a parameter: a leaf sharing `data`'s memory that
    requires grad (unless requires_grad=False)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        super().__init__(data._a, data.dtype, data._version)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        out = memo[id(self)] = Parameter(ops.clone(self.detach()), self.requires_grad)
        return out


def _indent(text, spaces):
    return text.replace("\n", "\n" + " " * spaces)


class Module:
    """The base of every layer and model: assign Parameters and Modules to attributes in
    __init__, define forward(), call the module."""

    def __init__(self):
        self._parameters = {}
        self._modules = {}
        self.training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- registration ------------------------------------------------------------------------
    def _registry(self, value):
        """The dict that registers `value`, a Parameter or a Module."""
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if registries[0] is None:
            raise AttributeError(f"cannot assign {type(value).__name__} before "
                                 f"Module.__init__() call")
        return registries[0] if isinstance(value, Parameter) else registries[1]

    def __setattr__(self, name, value):
        if isinstance(value, (Parameter, Module)):
            registry = self._registry(value)
            self.__dict__.pop(name, None)
            for other in (self._parameters, self._modules):
                if other is not registry:
                    other.pop(name, None)
            registry[name] = value
            return
        for key, what, expected in (("_parameters", "parameter", "nn.Parameter"),
                                    ("_modules", "child module", "nn.Module")):
            registry = self.__dict__.get(key)
            if registry is not None and name in registry:
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as {what} "
                                    f"'{name}' ({expected} or None expected)")
                registry[name] = None
                return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (nn.Parameter or None required)")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    # ---- traversal ---------------------------------------------------------------------------
    def named_children(self):
        return ((name, m) for name, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, prefix=""):
        """This module and every module inside it, each once, depth first."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module.named_children()]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, parameter) of each parameter once, even if shared by two modules."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    # ---- modes and gradients -----------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    # ---- devices -----------------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """model.to(device, dtype) as torch's: the parameters live on the CPU, so the CPU (or no
        device) returns the module itself and other devices raise as on a CPU-only torch.
        Changing the parameters' dtype is not supported yet."""
        _, dtype, _ = to_arguments(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype!r}")
        if dtype is not None and any(p.dtype is not dtype for p in self.parameters()):
            raise NotImplementedError("Module.to(): changing the parameters' dtype is not "
                                      "supported yet")
        return self

    def cpu(self):
        return self

    def cuda(self, device=None):
        _device.check_cuda(device)

    # ---- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({name}): {_indent(repr(m), 2)}" for name, m in self._modules.items()]
        if not children and len(extra) <= 1:
            return f"{type(self).__name__}({''.join(extra)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features). Initialised as torch's:
    kaiming_uniform_(a=sqrt(5)) for W, U(-1/sqrt(in), 1/sqrt(in)) for b, drawn in that order with
    torch's bounds to the last bit, so a seeded torch program gets torch's parameters."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0
            self.bias = Parameter(empty(out_features))
            init.uniform_(self.bias, -bound, bound)
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        y = ops.matmul(x, self.weight.t())
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    def forward(self, x):
        return ops.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return ops.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return ops.tanh(x)


class Sequential(Module):
    """Modules applied one after another: Sequential(m0, m1, ...) or Sequential(OrderedDict)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(collections.OrderedDict(items[index]))
        if not -len(items) <= index < len(items):
            raise IndexError(f"index {index} is out of range")
        return items[index][1]


class _Loss(Module):
    """A loss module: its constructor's options (torch's) are passed on to the function."""

    def __init__(self, **options):
        super().__init__()
        self.reduction = options.pop("reduction")
        self._options = options

    def forward(self, input, target):
        return self._function(input, target, reduction=self.reduction, **self._options)


class MSELoss(_Loss):
    """The mean (or sum, or none: reduction=) of the squared differences."""

    _function = staticmethod(F.mse_loss)

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average=size_average, reduce=reduce, reduction=reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C) against int64 class indices (N,)."""

    _function = staticmethod(F.cross_entropy)

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight=weight, size_average=size_average, ignore_index=ignore_index,
                         reduce=reduce, reduction=reduction, label_smoothing=label_smoothing)
