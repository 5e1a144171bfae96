"""Devices as PyTorch's CPU-only build has them: `device` objects name any of torch's device
types, but tensors live on the CPU alone; asking for another device raises what torch raises."""

# torch's device types, in the order its error message lists them.
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")

_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


class device:
    """torch.device: a type ('cpu', 'cuda', ...) and an optional index, from 'cuda:1',
    ('cuda', 1) or another device. Only the CPU holds tensors here."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002  (torch's parameter name)
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(_NO_ACCELERATOR)  # a bare index means the accelerator's
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({type.__class__.__name__})")
        elif index is None:
            type, index = _parse(type)
        elif type not in _TYPES:
            raise RuntimeError(_unknown(type))
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

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


def _parse(text):
    """'cuda:1' -> ('cuda', 1); errors as torch's."""
    type, _, index = text.partition(":")
    if type not in _TYPES:
        raise RuntimeError(_unknown(text))
    if not _:
        return type, None
    if not index.isdigit() or (len(index) > 1 and index[0] == "0"):
        raise RuntimeError(f"Invalid device string: '{text}'")
    return type, int(index)


cpu = device("cpu")


def check(dev):
    """The device a tensor may be made on or moved to: None or the CPU pass; CUDA raises what a
    CPU-only torch raises; other known types are not available here."""
    if dev is None:
        return cpu
    dev = device(dev)
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    raise RuntimeError(f"fastgrad computes on the CPU only: device '{dev}' is not available")
