"""The load side: a pickle interpreter that can only rebuild tensors, storages, numbers, strings,
bytes and the containers around them, as torch's weights_only unpickler: the few globals it knows
are fastgrad's own rebuild functions under torch's names, and every other one (os.system, eval, a
class of the user's program...) is refused before anything runs. Each opcode is interpreted here;
nothing is handed to pickle's own loader."""
import _compat_pickle
import collections
import contextlib
import math
import pickle
import struct

import numpy as np

from .. import _dtype
from .._device import device
from .._shape import Size
from .._tensor import Tensor
from ..nn.parameter import Parameter

UnpicklingError = pickle.UnpicklingError
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_REFUSED = ("Weights only load failed. fastgrad.load rebuilds only tensors, numbers, strings and "
            "containers, and never runs code from a file (with weights_only=False too).\n\n")


class LoadedStorage:
    """A storage read from a checkpoint: its bytes (a writable uint8 array; every tensor on it is a
    numpy view of that array, so tensors that shared memory when saved share it again) and the
    dtype the file names."""

    def __init__(self, data, dtype):
        self.data, self.dtype = data, dtype

    def nbytes(self):
        return self.data.size

    def cpu(self):  # map_location callables return storage.cpu() or the storage itself
        return self

    def __len__(self):
        return self.data.size // self.dtype.itemsize


class StorageType:
    """torch.FloatStorage and friends as the unpickler meets them: the dtype of a storage."""

    def __init__(self, dtype):
        self.dtype = dtype


def _ints(values, what):
    if not isinstance(values, (tuple, list)) or not all(
            type(v) is int and v >= 0 for v in values):
        raise UnpicklingError(f"_rebuild_tensor: {what} must be a tuple of non-negative ints, got "
                              f"{values!r:.200}")
    return tuple(values)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks=None,
                      metadata=None):
    """torch._utils._rebuild_tensor_v2: a tensor over storage, bounds-checked (the file's numbers
    are not trusted)."""
    if type(storage) is not LoadedStorage:
        raise UnpicklingError(f"_rebuild_tensor: expected a storage, got {type(storage).__name__}")
    if type(storage_offset) is not int or storage_offset < 0:
        raise UnpicklingError(f"_rebuild_tensor: bad storage offset {storage_offset!r:.100}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if len(size) != len(stride) or type(requires_grad) is not bool or metadata:
        raise UnpicklingError(f"_rebuild_tensor: bad arguments (size {size}, stride {stride}, "
                              f"requires_grad {requires_grad!r:.100}, metadata {metadata!r:.100})")
    d, have = storage.dtype, storage.data.size
    item = d.itemsize
    if math.prod(size) == 0:
        array = np.empty(size, d.np)
    else:
        need = (storage_offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))) * item
        if need > have:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                               f"offset {storage_offset}, and itemsize {item} requiring a storage "
                               f"size of {need} are out of bounds for storage of size {have}")
        array = np.ndarray(size, d.np, buffer=storage.data, offset=storage_offset * item,
                           strides=tuple(s * item for s in stride))
    tensor = Tensor(array, d)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def rebuild_tensor(storage, storage_offset, size, stride):
    return rebuild_tensor_v2(storage, storage_offset, size, stride, False)


def rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    """torch._utils._rebuild_parameter(_with_state): an nn.Parameter over a rebuilt tensor."""
    if not isinstance(data, Tensor) or type(requires_grad) is not bool or state:
        raise UnpicklingError("_rebuild_parameter: expected (tensor, requires_grad) and no "
                              "Python attributes")
    return Parameter(data, requires_grad)


def rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: what torch writes for a tensor with Python attributes
    or of a subclass; fastgrad tensors have neither, so only the plain cases load."""
    if func not in _REBUILDERS or new_type not in (Tensor, Parameter) or state or \
            not isinstance(args, tuple):
        raise UnpicklingError(f"fastgrad.load: a tensor of type {new_type!r:.100} with Python "
                              f"attributes {state!r:.200} cannot be rebuilt")
    out = func(*args)
    return Parameter(out, out.requires_grad) if new_type is Parameter and \
        type(out) is not Parameter else out


def _encode(obj, encoding="utf-8"):
    """_codecs.encode, as protocol 2 pickles bytes: (text, 'latin1') only."""
    if type(obj) is not str or encoding not in ("latin1", "latin-1"):
        raise UnpicklingError("_codecs.encode: only (str, 'latin1') is accepted")
    return obj.encode("latin1")


def _bytearray(data=b"", encoding=None):
    """builtins.bytearray, as protocol 2 pickles it: from bytes (never from a count)."""
    data = data if encoding is None else _encode(data, encoding)
    if type(data) is not bytes:
        raise UnpicklingError("bytearray: only bytes are accepted")
    return bytearray(data)


_REBUILDERS = {rebuild_tensor_v2, rebuild_tensor, rebuild_parameter}
_CALLABLES = {  # what REDUCE may call, under the names torch writes
    "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
    "torch._utils._rebuild_tensor": rebuild_tensor,
    "torch._utils._rebuild_parameter": rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": rebuild_parameter,
    "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "torch.Size": Size,
    "torch.device": device,
    "_codecs.encode": _encode,
    "builtins.bytearray": _bytearray,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
}
_CLASSES = {"torch.Tensor": Tensor, "torch.nn.parameter.Parameter": Parameter}
_STORAGES = {f"torch.{d._torch_name}Storage": d for d in _dtype.ALL}
_STORAGES["torch.UntypedStorage"] = _dtype.uint8
_ALLOWED = dict(_CALLABLES, **_CLASSES, **{name: StorageType(d) for name, d in _STORAGES.items()},
                **{f"torch.{d.name}": d for d in _dtype.ALL})
_MISSING_DTYPES = {"BFloat16": "bfloat16", "ComplexFloat": "complex64",
                   "ComplexDouble": "complex128", "ComplexHalf": "complex32"}


_trusted = {}  # "module.name" -> (what add_safe_globals was given, the object)


def add_safe_globals(safe_globals):
    """torch.serialization.add_safe_globals: globals (or (global, "module.name") pairs) that load
    may also rebuild, calling or building them as pickle would: the user vouches for them."""
    for item in safe_globals:
        if isinstance(item, tuple):
            if len(item) != 2 or type(item[1]) is not str:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got {item!r:.100}")
            obj, name = item
        else:
            obj, name = item, f"{item.__module__}.{item.__qualname__}"
        _trusted[name] = (item, obj)


@contextlib.contextmanager
def safe_globals(globals_):
    """torch.serialization.safe_globals: add_safe_globals for the duration of a with block."""
    before = dict(_trusted)
    add_safe_globals(globals_)
    try:
        yield
    finally:
        _trusted.clear()
        _trusted.update(before)


def get_safe_globals():
    return [item for item, _ in _trusted.values()]


def clear_safe_globals():
    _trusted.clear()


def _is_trusted(obj):
    return any(obj is trusted for _, trusted in _trusted.values())


def _refuse_global(module, name):
    full = f"{module}.{name}"
    dtype_name = name[:-len("Storage")] if name.endswith("Storage") else name
    if module == "torch" and (name.endswith("Storage") or dtype_name in _MISSING_DTYPES.values()
                              or dtype_name.startswith(("uint", "int", "float", "complex", "q"))):
        dtype_name = _MISSING_DTYPES.get(dtype_name, dtype_name)
        return UnpicklingError(
            f"fastgrad.load: the file holds {full}, of a dtype fastgrad does not have "
            f"(torch.{dtype_name}); fastgrad has {', '.join(d.name for d in _dtype.ALL)}")
    if module in _BLOCKED_MODULES:
        return UnpicklingError(f"{_REFUSED}Trying to load unsupported GLOBAL {full} whose module "
                               f"{module} is blocked.")
    return UnpicklingError(f"{_REFUSED}Unsupported global: GLOBAL {full} was not an allowed "
                           f"global by default. Please use `torch.serialization.add_safe_globals"
                           f"([{name}])` or the `torch.serialization.safe_globals([{name}])` "
                           f"context manager to allowlist this global if you trust this "
                           f"class/function.")


def find_class(module, name):
    """The object a GLOBAL names, from the short list above; anything else is refused."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    module = "torch._tensor" if module == "torch.tensor" else module
    found = _ALLOWED.get(f"{module}.{name}")
    if found is None and module not in _BLOCKED_MODULES:
        found = _trusted.get(f"{module}.{name}", (None, None))[1]
    if found is None:
        raise _refuse_global(module, name)
    return found


class Unpickler:
    """Interprets the opcodes of a protocol 2 pickle (as torch writes them, plus the few protocol
    3-4 ones that the same objects need), building only allowed objects."""

    def __init__(self, file, persistent_load=None, encoding="utf-8"):
        self.file = file
        at = file.tell()
        self.end = file.seek(0, 2)  # no read may ask for more than the file holds
        file.seek(at)
        self.persistent_load = persistent_load
        self.encoding = encoding

    def load(self):
        try:
            return self._run()
        except (UnpicklingError, RuntimeError, MemoryError):
            raise
        except Exception as error:  # a malformed pickle: stack, memo, length or type errors
            raise UnpicklingError(f"fastgrad.load: the pickle is corrupted near byte "
                                  f"{self.file.tell()}: {type(error).__name__}: {error}"[:500]) \
                from None

    def _read(self, n):
        data = self.file.read(n) if self.file.tell() + n <= self.end else b""
        if len(data) != n:
            raise UnpicklingError(f"fastgrad.load: the pickle is truncated (wanted {n} bytes at "
                                  f"byte {self.file.tell()})")
        return data

    def _unpack(self, fmt):
        return struct.unpack(fmt, self._read(struct.calcsize(fmt)))[0]

    def _run(self):
        self.stack, self.marks, self.memo = [], [], {}
        ops = _OPS
        while True:
            code = self._read(1)[0]
            op = ops.get(code)
            if op is None:
                raise UnpicklingError(f"Unsupported operand {code} (opcode {bytes([code])!r}) "
                                      f"at byte {self.file.tell() - 1}")
            if op(self):
                return self.stack.pop()

    def _pop_mark(self):
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def _push_after_mark(self, make):
        items = self._pop_mark()
        self.stack.append(make(items))

    def _global(self, module, name):
        self.stack.append(find_class(module, name))

    def _reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not any(func is f for f in _CALLABLES.values()) and not _is_trusted(func):
            raise UnpicklingError(f"{_REFUSED}Trying to call reduce for unrecognized function "
                                  f"{func!r:.200}")
        if type(args) is not tuple:
            raise UnpicklingError("REDUCE arguments must be a tuple")
        self.stack[-1] = func(*args)

    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if cls is Parameter:
            self.stack.append(rebuild_parameter(*args))
        elif cls in (collections.OrderedDict, collections.Counter) and args == ():
            self.stack.append(cls())
        elif _is_trusted(cls) and isinstance(cls, type) and type(args) is tuple:
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise UnpicklingError(f"{_REFUSED}Can only create new object for nn.Parameter or "
                                  f"OrderedDict, but got {cls!r:.200}")

    def _build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) in (collections.OrderedDict, collections.Counter) and type(state) is dict \
                and all(type(k) is str for k in state):
            inst.__dict__.update(state)  # a torch state_dict's _metadata
        elif _is_trusted(type(inst)):
            _set_state(inst, state)
        elif not (isinstance(inst, Tensor) and not state):
            raise UnpicklingError(f"{_REFUSED}Can only build Tensor, Parameter or OrderedDict, "
                                  f"but got {type(inst)}")

    def _setitems(self, items):
        target = self.stack[-1]
        if type(target) not in (dict, collections.OrderedDict, collections.Counter):
            raise UnpicklingError(f"Can only SETITEMS for dict, collections.OrderedDict, "
                                  f"collections.Counter, but got {type(target)}")
        if len(items) % 2:
            raise UnpicklingError("SETITEMS: odd number of items")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def _extend(self, items):
        target = self.stack[-1]
        if type(target) is not list:
            raise UnpicklingError(f"Can only append to lists, but got {type(target)}")
        target.extend(items)

    def _additems(self):
        items = self._pop_mark()
        if type(self.stack[-1]) is not set:
            raise UnpicklingError("ADDITEMS: not a set")
        self.stack[-1].update(items)

    def _persid(self):
        pid = self.stack.pop()
        if self.persistent_load is None or type(pid) is not tuple or not pid or \
                pid[0] not in ("storage", b"storage"):
            raise UnpicklingError(f"Only persistent_load of storage is allowed, but got "
                                  f"{pid!r:.200}")
        self.stack.append(self.persistent_load(pid))

    def _put(self, index):
        self.memo[index] = self.stack[-1]

    def _text(self, n):
        return str(self._read(n), "utf-8", "surrogatepass")


def _set_state(inst, state):
    """BUILD on an instance of a class the user trusts, as pickle does it."""
    if hasattr(inst, "__setstate__"):
        inst.__setstate__(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        inst.__dict__.update(state)
    for key, value in (slots or {}).items():
        setattr(inst, key, value)


def _readline_global(u):
    module = u.file.readline()[:-1].decode("utf-8")
    name = u.file.readline()[:-1].decode("utf-8")
    u._global(module, name)


def _stack_global(u):
    name, module = u.stack.pop(), u.stack.pop()
    if type(module) is not str or type(name) is not str:
        raise UnpicklingError("STACK_GLOBAL requires str")
    u._global(module, name)


def _tuple(u, n):
    if len(u.stack) < n:
        raise UnpicklingError("the pickle's stack is shorter than a TUPLE opcode needs")
    u.stack[-n:] = [tuple(u.stack[-n:])]


def _push(value):
    return lambda u: u.stack.append(value() if callable(value) else value)


_P = pickle
_OPS = {op[0]: f for op, f in {
    _P.PROTO: lambda u: u._read(1) and None,
    _P.FRAME: lambda u: u._read(8) and None,
    _P.STOP: lambda u: True,
    _P.MARK: lambda u: (u.marks.append(u.stack), setattr(u, "stack", [])) and None,
    _P.EMPTY_DICT: _push(dict), _P.EMPTY_LIST: _push(list), _P.EMPTY_SET: _push(set),
    _P.EMPTY_TUPLE: _push(()), _P.NONE: _push(None), _P.NEWTRUE: _push(True),
    _P.NEWFALSE: _push(False),
    _P.TUPLE: lambda u: u._push_after_mark(tuple),
    _P.TUPLE1: lambda u: _tuple(u, 1),
    _P.TUPLE2: lambda u: _tuple(u, 2),
    _P.TUPLE3: lambda u: _tuple(u, 3),
    _P.BININT: lambda u: u.stack.append(u._unpack("<i")),
    _P.BININT1: lambda u: u.stack.append(u._read(1)[0]),
    _P.BININT2: lambda u: u.stack.append(u._unpack("<H")),
    _P.LONG1: lambda u: u.stack.append(_P.decode_long(u._read(u._read(1)[0]))),
    _P.BINFLOAT: lambda u: u.stack.append(u._unpack(">d")),
    _P.BINUNICODE: lambda u: u.stack.append(u._text(u._unpack("<I"))),
    _P.SHORT_BINUNICODE: lambda u: u.stack.append(u._text(u._read(1)[0])),
    _P.SHORT_BINSTRING: lambda u: u.stack.append(u._read(u._read(1)[0]).decode(u.encoding)),
    _P.BINBYTES: lambda u: u.stack.append(u._read(u._unpack("<I"))),
    _P.SHORT_BINBYTES: lambda u: u.stack.append(u._read(u._read(1)[0])),
    _P.BYTEARRAY8: lambda u: u.stack.append(bytearray(u._read(u._unpack("<Q")))),
    _P.BINPUT: lambda u: u._put(u._read(1)[0]),
    _P.LONG_BINPUT: lambda u: u._put(u._unpack("<I")),
    _P.MEMOIZE: lambda u: u._put(len(u.memo)),
    _P.BINGET: lambda u: u.stack.append(u.memo[u._read(1)[0]]),
    _P.LONG_BINGET: lambda u: u.stack.append(u.memo[u._unpack("<I")]),
    _P.GLOBAL: _readline_global,
    _P.STACK_GLOBAL: _stack_global,
    _P.REDUCE: lambda u: u._reduce(),
    _P.NEWOBJ: lambda u: u._newobj(),
    _P.BUILD: lambda u: u._build(),
    _P.APPEND: lambda u: u._extend([u.stack.pop()]),
    _P.APPENDS: lambda u: u._extend(u._pop_mark()),
    _P.SETITEM: lambda u: u._setitems([u.stack.pop(-2), u.stack.pop()]),
    _P.SETITEMS: lambda u: u._setitems(u._pop_mark()),
    _P.ADDITEMS: lambda u: u._additems(),
    _P.BINPERSID: lambda u: u._persid(),
}.items()}
