"""The save side: pickles an object as torch.save does, so torch reads it. Tensors become
torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())
(nn.Parameters wrap that in _rebuild_parameter), each storage a persistent id ('storage',
torch.<Type>Storage, key, 'cpu', numel) whose bytes go to the record data/<key>. Tensors that show
one memory share one storage, so views stay views of one storage after loading."""
import collections
import pickle

import numpy as np

from .._device import device
from .._dtype import dtype
from .._fastgrad_c import ffi
from .._shape import Size
from .._tensor import Tensor
from ..nn.parameter import Parameter


class TorchGlobal:
    """A name in torch's namespace (torch._utils._rebuild_tensor_v2, torch.FloatStorage...), which
    the pickler writes as a GLOBAL without importing torch."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # the pickler asks reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} exists only in files torch reads")


_GLOBALS = {}


def torch_global(module, name):
    """One object per name, so the pickle memoizes it as torch's does."""
    return _GLOBALS.setdefault((module, name), TorchGlobal(module, name))


class Storage:
    """The bytes [lo, hi) of memory that one or more tensors of one dtype show."""

    def __init__(self, owner, lo, hi, dtype_):
        self.owner, self.lo, self.nbytes, self.dtype = owner, lo, hi - lo, dtype_

    def bytes(self):
        """The storage's memory as bytes (no copy; owner keeps it alive)."""
        if not self.nbytes:
            return b""
        return memoryview(ffi.buffer(ffi.cast("char *", self.lo), self.nbytes))


def _root(a):
    """The array that owns the memory numpy view a shows (the last ndarray of its base chain)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _extent(a):
    """The bytes [lo, hi) array a's elements span."""
    start = a.__array_interface__["data"][0]
    if a.size == 0:
        return start, start
    low = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0)
    high = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s > 0)
    return start + low, start + high + a.itemsize


class TorchPickler(pickle._Pickler):
    """The pure-Python pickler (its dispatch table can write torch's names without torch), with
    tensors, dtypes, Sizes and devices written as torch writes them."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, legacy):
        super().__init__(file, protocol)
        self.pid_tail = (None,) if legacy else ()  # the legacy format's (empty) view metadata
        self.storages = {}   # id(root array) -> (Storage, root), the memories seen so far
        self.keys = {}       # id(Storage) -> its key, in the order the pickle meets them
        self.records = {}    # key -> Storage

    def save_torch_global(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + obj.module.encode("utf-8") + b"\n" +
                       obj.name.encode("utf-8") + b"\n")
        self.memoize(obj)

    dispatch[TorchGlobal] = save_torch_global

    def save_dtype(self, obj):  # memoized through its name, as torch's pickler does
        self.save(torch_global("torch", obj.name))

    dispatch[dtype] = save_dtype

    def persistent_id(self, obj):
        if type(obj) is not Storage:
            return None
        key = self.keys.get(id(obj))
        if key is None:
            key = self.keys[id(obj)] = str(len(self.keys))
            self.records[key] = obj
        d = obj.dtype
        return ("storage", torch_global("torch", d._torch_name + "Storage"), key, "cpu",
                obj.nbytes // d.itemsize) + self.pid_tail

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if isinstance(obj, Parameter):
                return (torch_global("torch._utils", "_rebuild_parameter"),
                        (obj.detach(), obj.requires_grad, collections.OrderedDict()))
            return self._reduce_tensor(obj)
        if isinstance(obj, Size):
            return torch_global("torch", "Size"), (tuple(obj),)
        if isinstance(obj, device):  # a new string, as torch's (memoized by identity)
            return torch_global("torch", "device"), ("".join(str(obj)),)
        return NotImplemented

    def _reduce_tensor(self, t):
        a, d = t._a, t.dtype
        storage, offset, strides = self._storage_of(a, d)
        if storage is None:  # a layout torch cannot show (negative strides): its own copy
            a = np.ascontiguousarray(a)
            storage, offset, strides = self._storage_of(a, d)
        return (torch_global("torch._utils", "_rebuild_tensor_v2"),
                (storage, offset, tuple(a.shape), strides, t.requires_grad,
                 collections.OrderedDict()))

    def _storage_of(self, a, d):
        """The Storage array a shows, a's offset in it and its strides, in elements; None if a
        cannot be written as a view of it."""
        size = d.itemsize
        if a.size == 0:  # no memory to keep: an empty storage, torch's contiguous strides
            strides, step = [], 1
            for n in reversed(a.shape):
                strides.insert(0, step)
                step *= max(n, 1)
            return Storage(a, 0, 0, d), 0, tuple(strides)
        root = _root(a)
        start = a.__array_interface__["data"][0]
        known = self.storages.get(id(root))
        if known is None:
            lo, hi = _extent(root)
            storage = Storage(root, lo, hi, d)
            self.storages[id(root)] = (storage, root)
        else:
            storage = known[0]
            if storage.dtype is not d:
                raise RuntimeError("Cannot save multiple tensors or storages that view the "
                                   "same data as different types")
        if (any(s < 0 or s % size for s in a.strides) or (start - storage.lo) % size or
                storage.nbytes % size):
            return None, 0, ()
        return storage, (start - storage.lo) // size, tuple(s // size for s in a.strides)


def pickle_object(obj, file, protocol, legacy=False):
    """Pickles obj into file; returns the storages by key, in the order the pickle met them."""
    pickler = TorchPickler(file, protocol, legacy)
    pickler.dump(obj)
    return pickler.records
