"""Tensor.to's and Module.to's arguments, parsed as torch parses its three signatures."""
from . import _device, _dtype
from ._tensor import Tensor


def _is_device(v):
    return v is None or isinstance(v, (str, _device.device)) or (
        isinstance(v, int) and not isinstance(v, bool))


def _is_dtype(v):
    return isinstance(v, _dtype.dtype) or any(v is t for t in (float, int, bool))


# Tensor.to's (and Module.to's) three signatures, as torch lists them: (name, accepts) each.
_TO_SIGNATURES = (
    (("device", _is_device), ("dtype", lambda v: v is None or _is_dtype(v))),
    (("dtype", _is_dtype),),
    (("tensor", lambda v: isinstance(v, Tensor)),),
)
_TO_FLAGS = (("non_blocking", lambda v: isinstance(v, bool)),
             ("copy", lambda v: isinstance(v, bool)))
_TO_HELP = """ * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)
 * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)
 * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)"""


def _bind(signature, args, kwargs):
    """The arguments bound to one signature's names, or None if they do not fit it."""
    params = signature + _TO_FLAGS
    if len(args) > len(params):
        return None
    bound = {name: value for (name, _), value in zip(params, args)}
    for name, value in kwargs.items():
        if name in bound or (name not in dict(params) and name != "memory_format"):
            return None
        bound[name] = value
    accepts = dict(params)
    if not all(name == "memory_format" or accepts[name](v) for name, v in bound.items()):
        return None
    return bound if signature[0][0] in bound or signature[0][0] == "device" else None


def _type_name(v):
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, (_dtype.dtype, _device.device)):
        return f"torch.{type(v).__name__}"
    return type(v).__name__


def to_arguments(args, kwargs):
    """Tensor.to's and Module.to's arguments, parsed as torch parses them: (device, dtype,
    copy), the dtype a fastgrad dtype or None; the device is checked, so anything but the CPU
    raises as in a CPU-only torch."""
    for signature in _TO_SIGNATURES:
        bound = _bind(signature, args, kwargs)
        if bound is not None:
            break
    else:
        got = ", ".join([_type_name(a) for a in args] +
                        [f"{k}={_type_name(v)}" for k, v in kwargs.items()])
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}), but "
                        f"expected one of:\n{_TO_HELP}\n")
    other = bound.get("tensor")
    device = other.device if other is not None else bound.get("device")
    dtype = other.dtype if other is not None else bound.get("dtype")
    if device is not None:
        _device.check(device)
    return device, None if dtype is None else _dtype.to_dtype(dtype), bound.get("copy", False)
