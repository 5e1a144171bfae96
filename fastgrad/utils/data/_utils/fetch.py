"""Reading one batch (or one sample) from a dataset, in the main process or a worker, as torch's
fetchers. A batch of a TensorDataset (or a Subset of one) under the default collate is gathered
with one indexing call per tensor, in C, instead of stacking its samples one by one."""
from .... import _dtype
from ...._creation import tensor
from ....ops import getitem
from ..dataset import Subset, TensorDataset
from .collate import default_collate


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


def _tensor_rows(dataset, indices):
    """The TensorDataset under dataset (through Subsets) and the int64 tensor of its rows at
    indices; None when dataset is something else (or a subclass that reads samples its own way),
    or a tensor needs grad (stacking would give another grad_fn)."""
    while type(dataset) is Subset:
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or any(t.requires_grad for t in dataset.tensors):
        return None
    rows = tensor(indices)
    return (dataset, rows) if rows.dtype is _dtype.int64 and rows.dim() == 1 else None


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last

    def fetch(self, possibly_batched_index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        if self.collate_fn is default_collate:
            found = _tensor_rows(self.dataset, possibly_batched_index)
            if found is not None:  # what default_collate makes of the samples: a list
                return [getitem(t, found[1]) for t in found[0].tensors]
        if getattr(self.dataset, "__getitems__", None):
            data = self.dataset.__getitems__(possibly_batched_index)
        else:
            data = [self.dataset[idx] for idx in possibly_batched_index]
        return self.collate_fn(data)
