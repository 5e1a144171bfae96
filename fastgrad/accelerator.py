"""torch.accelerator on a machine without one: `device = torch.accelerator.current_accelerator()
.type if torch.accelerator.is_available() else "cpu"` picks the CPU, as in PyTorch's tutorials."""


def is_available():
    return False


def device_count():
    return 0


def current_accelerator(check_available=False):
    return None
