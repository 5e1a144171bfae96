"""torch.backends as a CPU-only build has it: neither MPS nor cuDNN is available; cudnn's
switches (`torch.backends.cudnn.deterministic = True`, ...) can be set and change nothing."""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
