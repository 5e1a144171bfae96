"""fastgrad.nn.parallel: DistributedDataParallel, as torch.nn.parallel (over
fastgrad.distributed's process group)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
