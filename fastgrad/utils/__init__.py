"""fastgrad.utils, as torch.utils: for now its data package (fastgrad.utils.data)."""
from . import data

__all__ = ["data"]
