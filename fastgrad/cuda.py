"""torch.cuda as a CPU-only PyTorch build has it: no device is available. The seeding calls
are accepted and do nothing (torch defers them until CUDA starts, which it never does here),
so that programs written to run anywhere run here."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass
