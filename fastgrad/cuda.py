"""torch.cuda as a CPU-only PyTorch build has it: no device is available. The seeding calls
are accepted and do nothing (torch defers them until CUDA starts, which it never does here),
so that programs written to run anywhere run here."""
from ._device import NO_CUDA


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def is_initialized():
    return False


def empty_cache():
    pass


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def _no_cuda(*args, **kwargs):
    raise AssertionError(NO_CUDA)


# What needs a CUDA device raises as in a CPU-only torch.
current_device = get_device_name = get_device_properties = synchronize = set_device = _no_cuda
