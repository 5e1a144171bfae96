"""The machinery behind DataLoader, laid out as torch.utils.data._utils (collate, fetch,
worker), so code that imports torch's collate helpers from there finds them."""
from . import collate, fetch, worker

__all__ = ["collate", "fetch", "worker"]
