"""The containers of torch.nn: Sequential, ModuleList, ModuleDict, ParameterList and
ParameterDict, with torch's indexing, numbering and printing."""
import collections
import collections.abc
import operator

from .._tensor import Tensor
from .module import Module, _indent
from .parameter import Parameter


class _Indexed(Module):
    """What the list-like containers share: entries registered under "0", "1", ... of
    `_registry`, read back by position."""

    _registry = "_modules"

    def _entries(self):
        return getattr(self, self._registry)

    def _key(self, index):
        """The name of the entry at a position (negative from the end), as torch checks it."""
        index, size = operator.index(index), len(self)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range")
        return list(self._entries())[index % size]

    def __len__(self):
        return len(self._entries())

    def __iter__(self):
        return iter(list(self._entries().values()))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(self._slice(index))
        return self._entries()[self._key(index)]

    def __setitem__(self, index, value):
        setattr(self, self._key(index), value)

    def __delitem__(self, index):
        keys = list(self._entries())
        for key in keys[index] if isinstance(index, slice) else [self._key(index)]:
            delattr(self, key)
        self._renumber()

    def _renumber(self):
        entries = list(self._entries().values())
        self._entries().clear()
        self._entries().update((str(i), value) for i, value in enumerate(entries))

    def _slice(self, index):
        return list(self._entries().values())[index]

    def append(self, value):
        setattr(self, str(len(self)), value)
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self

    def insert(self, index, value):
        entries = list(self._entries().values())
        entries.insert(index, value)
        self._entries().clear()
        for value in entries:
            self.append(value)

    def pop(self, index=-1):
        value = self[index]
        del self[index]
        return value


class Sequential(_Indexed):
    """Modules applied one after another: Sequential(m0, m1, ...) or Sequential(OrderedDict)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def _slice(self, index):
        return collections.OrderedDict(list(self._modules.items())[index])

    def forward(self, input):
        for module in self:
            input = module(input)
        return input

    def __add__(self, other):
        return Sequential(*self, *other)


class ModuleList(_Indexed):
    """A list of modules whose parameters the owner registers (not called itself)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def __repr__(self):
        """Runs of identical modules printed once, as torch: (0-2): 3 x Linear(...)."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return "ModuleList()"
        runs = []  # [first, last, repr]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [_indent(f"({a}): {text}" if a == b else f"({a}-{b}): {b - a + 1} x {text}", 2)
                 for a, b, text in runs]
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ParameterList(_Indexed):
    """A list of Parameters the owner registers; tensors appended become Parameters."""

    _registry = "_parameters"

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __setattr__(self, name, value):
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        super().__setattr__(name, value)

    def extra_repr(self):
        return "\n".join(
            f"  ({i}): {'Parameter' if isinstance(p, Parameter) else 'Tensor'} containing: "
            f"[{p.dtype!r} of size {'x'.join(str(n) for n in p.shape)}]" for i, p in enumerate(self))


class _Keyed(Module):
    """What the dict-like containers share: entries by name in `_registry`, in insertion
    order."""

    _registry = "_modules"

    def _entries(self):
        return getattr(self, self._registry)

    def __getitem__(self, key):
        return self._entries()[key]

    def __delitem__(self, key):
        del self._entries()[key]

    def __len__(self):
        return len(self._entries())

    def __iter__(self):
        return iter(self._entries())

    def __contains__(self, key):
        return key in self._entries()

    def keys(self):
        return self._entries().keys()

    def items(self):
        return self._entries().items()

    def values(self):
        return self._entries().values()

    def update(self, values):
        pairs = values.items() if isinstance(values, collections.abc.Mapping) else values
        for key, value in pairs:
            self[key] = value

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def clear(self):
        self._entries().clear()


class ModuleDict(_Keyed):
    """Modules by name, registered in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)


class ParameterDict(_Keyed):
    """Parameters by name; tensors stored become Parameters. A plain dict's entries go in
    sorted by name, an OrderedDict's (or ParameterDict's) in order, as torch's."""

    _registry = "_parameters"

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key, value):
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        self.register_parameter(key, value)

    def update(self, values):
        if isinstance(values, collections.abc.Mapping) and not isinstance(
                values, (collections.OrderedDict, ParameterDict)):
            values = sorted(values.items())
        super().update(values)

    def extra_repr(self):
        return "\n".join(f"  ({k}): Parameter containing: [{p.type()} of size "
                         f"{'x'.join(str(n) for n in p.shape)}]" for k, p in self.items())
