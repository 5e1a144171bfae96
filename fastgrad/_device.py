"""Devices as PyTorch's CPU-only build has them: `device` objects name any of torch's device
types, but tensors live on the CPU alone; asking for another device raises what torch raises."""

# torch's device types, in the order its error message lists them.
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")

NO_ACCELERATOR = "Cannot access accelerator device when none is available."
NO_CUDA = "Torch not compiled with CUDA enabled"


class device:
    """torch.device: a type ('cpu', 'cuda', ...) and an optional index, from 'cuda:1',
    ('cuda', 1) or another device. Only the CPU holds tensors here. As a context manager it
    checks the device (the CPU is already every tensor's device)."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002  (torch's parameter name)
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                            f"{index.__class__.__name__}")
        if isinstance(type, device) and index is None:
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool) and index is None:
            _check_index(type)
            raise RuntimeError(NO_ACCELERATOR)  # a bare index means the accelerator's
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({type.__class__.__name__}"
                            f"{'' if index is None else ', int'})")
        elif index is None:
            type, index = _parse(type)
        elif ":" in type:
            raise RuntimeError(f"type (string) must not include an index because index was "
                               f"passed explicitly: {type}")
        elif type not in _TYPES:
            raise RuntimeError(_unknown(type))
        if index is not None:
            _check_index(index)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

    def __enter__(self):
        check(self)
        return self

    def __exit__(self, *exc_info):
        return False

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _unknown(text):
    return (f"Expected one of {', '.join(_TYPES)} device type at start of device string: {text}")


def _check_index(index):
    if index < 0:
        raise RuntimeError("Device index must not be negative")


def _parse(text):
    """'cuda:1' -> ('cuda', 1); errors as torch's."""
    if not text:
        raise RuntimeError("Device string must not be empty")
    type, colon, index = text.partition(":")
    if text != text.strip():
        raise RuntimeError(f"Invalid device string: '{text}'")
    if type not in _TYPES:
        raise RuntimeError(_unknown(text))
    if not colon:
        return type, None
    if not index.isdigit() or (len(index) > 1 and index[0] == "0"):
        raise RuntimeError(f"Invalid device string: '{text}'")
    if int(index) > 2 ** 31 - 1:
        raise RuntimeError(f"Could not parse device index '{index}' in device string '{text}'")
    return type, int(index)


cpu = device("cpu")


_default = [cpu]  # torch.set_default_device's choice: creation without device= uses it


def check(dev):
    """The device a tensor may be made on or moved to: the CPU passes (None means the default
    device); CUDA raises what a CPU-only torch raises; other known types are not available."""
    dev = _default[0] if dev is None else device(dev)
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        raise AssertionError(NO_CUDA)
    raise RuntimeError(f"fastgrad computes on the CPU only: device '{dev}' is not available")


def check_cuda(dev):
    """The argument of .cuda(): a CUDA device (by default the current one), never available."""
    dev = device("cuda" if dev is None else dev)
    if dev.type != "cuda":
        raise RuntimeError("Invalid device, must be cuda device")
    check(dev)


def get_default_device():
    return _default[0]


def set_default_device(dev):
    """torch.set_default_device: as in a CPU-only torch, any device can be set, and making a
    tensor on it afterwards raises unless it is the CPU."""
    _default[0] = cpu if dev is None else device(dev)
