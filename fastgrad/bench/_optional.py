"""The optional packages: torch (its columns and targets) and threadpoolctl (numpy's BLAS
threads and kernel name). None until main() calls load() after its first line of output; the
other modules read them as `_optional.torch` at call time."""
torch = threadpoolctl = None  # optional, imported by main() after its first line of output


def load():
    global torch, threadpoolctl
    try:
        import torch
    except ImportError:
        pass
    try:
        import threadpoolctl
    except ImportError:
        pass
