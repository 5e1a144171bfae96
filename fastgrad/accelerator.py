"""torch.accelerator on a machine without one: `device = torch.accelerator.current_accelerator()
.type if torch.accelerator.is_available() else "cpu"` picks the CPU, as in PyTorch's tutorials."""
from ._device import NO_ACCELERATOR


def is_available():
    return False


def device_count():
    return 0


def current_accelerator(check_available=False):
    return None


def _none_available(*args, **kwargs):
    raise RuntimeError(NO_ACCELERATOR)


current_device_index = set_device_index = synchronize = _none_available
