"""torch.version: this build's version; no CUDA or ROCm."""
__version__ = "0.1.0"
cuda = None
hip = None
