"""fastgrad.autograd.forward_ad, as torch.autograd.forward_ad (implemented in _forward_ad)."""
from .._forward_ad import UnpackedDualTensor, dual_level, make_dual, unpack_dual

__all__ = ["UnpackedDualTensor", "dual_level", "make_dual", "unpack_dual"]
