"""fastgrad.utils.data against torch.utils.data: the same orders from seeded generators, the same
batches, collate outputs and errors; DataLoader workers (fork, tiny datasets)."""
import collections
import os
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
import fastgrad.utils.data as fdata  # noqa: E402
import torch.utils.data as tdata  # noqa: E402
from fastgrad.utils.data._utils import worker as fg_worker  # noqa: E402

Point = collections.namedtuple("Point", "x y")


def same(f, t):
    """f (fastgrad) has t's (torch's) structure, types, dtypes, shapes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(f, fg.Tensor), type(f)
        assert repr(f.dtype) == repr(t.dtype) and tuple(f.shape) == tuple(t.shape)
        np.testing.assert_array_equal(f.numpy(), t.numpy())
    elif isinstance(t, (list, tuple)):
        assert type(f) is type(t) and len(f) == len(t), (f, t)
        for a, b in zip(f, t):
            same(a, b)
    elif isinstance(t, dict):
        assert type(f) is type(t) and list(f) == list(t)
        for k in t:
            same(f[k], t[k])
    else:
        assert type(f) is type(t) and f == t, (f, t)


def raises_alike(call):
    """call(L) raises the same type and message for L = fastgrad.utils.data and torch's."""
    with pytest.raises(Exception) as expected:
        call(tdata)
    with pytest.raises(expected.type) as got:
        call(fdata)
    assert str(got.value) == str(expected.value)


def both_gens(seed):
    return fg.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


def test_the_package_imports_as_torchs():
    import fastgrad.utils.data  # noqa: F401
    from fastgrad.utils.data import DataLoader  # noqa: F401
    assert fg.utils.data.DataLoader is DataLoader
    assert set(fdata.__all__) <= set(tdata.__all__)
    assert fdata.get_worker_info() is None
    with pytest.raises(TypeError, match="abstract"):
        fdata.IterableDataset()


SAMPLERS = {
    "random": lambda L, g: L.RandomSampler(range(10), generator=g),
    "random_more": lambda L, g: L.RandomSampler(range(7), num_samples=17, generator=g),
    "replacement": lambda L, g: L.RandomSampler(range(9), True, num_samples=70, generator=g),
    "subset": lambda L, g: L.SubsetRandomSampler([4, 8, 15, 16, 23, 42], generator=g),
    "weighted": lambda L, g: L.WeightedRandomSampler([.1, .9, .4, .7, 3., .6], 12, generator=g),
    "weighted_no_replacement": lambda L, g: L.WeightedRandomSampler(
        [.9, .4, .05, .2, .3, .1], 5, replacement=False, generator=g),
    "batches": lambda L, g: L.BatchSampler(L.RandomSampler(range(10), generator=g), 3, False),
    "batches_drop_last": lambda L, g: L.BatchSampler(range(10), 3, True),
    "sequential": lambda L, g: L.SequentialSampler("abcde"),
}


@pytest.mark.parametrize("kind", SAMPLERS)
def test_samplers_draw_torchs_orders(kind):
    fg_gen, torch_gen = both_gens(7)
    f, t = SAMPLERS[kind](fdata, fg_gen), SAMPLERS[kind](tdata, torch_gen)
    assert len(f) == len(t)
    for _ in range(2):  # two epochs: the generator's stream goes on
        assert list(f) == list(t)


def test_a_sampler_without_generator_follows_the_global_seed():
    fg.manual_seed(3), torch.manual_seed(3)
    f, t = fdata.RandomSampler(range(12)), tdata.RandomSampler(range(12))
    assert [list(f), list(f)] == [list(t), list(t)]
    assert fg.rand(2).tolist() == torch.rand(2).tolist()  # the same draws were consumed


@pytest.mark.parametrize("call", [
    lambda L: L.RandomSampler(range(3), replacement=1),
    lambda L: L.RandomSampler(range(3), num_samples=0),
    lambda L: L.RandomSampler([]),
    lambda L: L.WeightedRandomSampler([1., 2.], 0),
    lambda L: L.WeightedRandomSampler([1., 2.], True),
    lambda L: L.WeightedRandomSampler([1., 2.], 2, replacement=None),
    lambda L: L.WeightedRandomSampler([[1., 2.]], 2),
    lambda L: L.BatchSampler(range(3), 0, False),
    lambda L: L.BatchSampler(range(3), 2, 0),
    lambda L: len(L.Sampler()),
])
def test_sampler_errors_are_torchs(call):
    raises_alike(call)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0], [1 / 3] * 3])
def test_random_split_is_torchs(lengths):
    fg_gen, torch_gen = both_gens(42)
    with warnings.catch_warnings(record=True) as fg_warned:
        warnings.simplefilter("always")
        f = fdata.random_split(range(10), lengths, generator=fg_gen)
    with warnings.catch_warnings(record=True) as torch_warned:
        warnings.simplefilter("always")
        t = tdata.random_split(range(10), lengths, generator=torch_gen)
    assert [list(s) for s in f] == [list(s) for s in t]
    assert [str(w.message) for w in fg_warned] == [str(w.message) for w in torch_warned]
    fg.manual_seed(5), torch.manual_seed(5)  # the default generator
    assert ([s.indices for s in fdata.random_split(range(6), [2, 4])]
            == [s.indices for s in tdata.random_split(range(6), [2, 4])])


@pytest.mark.parametrize("call", [
    lambda L: L.random_split(range(10), [3, 3]),
    lambda L: L.random_split(range(10), [1.5, -0.5]),
    lambda L: L.ConcatDataset([]),
    lambda L: L.ConcatDataset([range(2)])[-3],
    lambda L: L.StackDataset(range(2), range(3)),
    lambda L: L.StackDataset(range(2), a=range(2)),
    lambda L: L.StackDataset(),
    lambda L: L.Dataset()[0],
    lambda L: list(L.ChainDataset([range(2)])),
])
def test_dataset_errors_are_torchs(call):
    raises_alike(call)


def test_tensor_dataset_size_mismatch_is_torchs():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        fdata.TensorDataset(fg.zeros(3), fg.zeros(4))


def stream_class(L):
    class Stream(L.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n
    return Stream


Stream, TorchStream = stream_class(fdata), stream_class(tdata)


def test_dataset_wrappers_read_as_torchs():
    for L in (fdata, tdata):  # the same answers from both
        stack = L.StackDataset(range(10, 15), list("abcde"))
        named = L.StackDataset(n=range(5), s=list("abcde"))
        concat = L.ConcatDataset([range(3), range(10, 14)]) + range(20, 22)
        subset = L.Subset(concat, [8, 0, 4])
        L.answers = (stack[2], stack.__getitems__([4, 0]), named.__getitems__([1]),
                     len(concat), concat.cumulative_sizes, [concat[i] for i in range(-9, 9)],
                     list(subset), subset.__getitems__([2, 0]), len(subset))
    assert fdata.answers == tdata.answers
    chained = Stream(2) + Stream(3)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5


def batch_inputs():
    """Batches of each kind of sample default_collate knows (fastgrad's and torch's)."""
    def of(L):
        a = np.arange(6, dtype=np.float32).reshape(2, 3)
        return [
            [L.tensor([1., 2.]), L.tensor([3., 4.])],
            [a, a + 1],
            [np.float32(1.5), np.float32(2.5)], [np.int16(3), np.int16(4)], [np.bool_(True)],
            [1.5, 2.0], [1, 2, 3], [True, False], ["a", "b"], [b"x", b"y"],
            [(1, 2.0), (3, 4.0)], [Point(1, L.tensor(2)), Point(3, L.tensor(4))],
            [{"a": 1, "b": [L.zeros(2, dtype=L.int32), "s"]},
             {"a": 2, "b": [L.ones(2, dtype=L.int32), "t"]}],
            [collections.OrderedDict(k=np.float64(1.0))] * 2,
        ]
    return of(fg), of(torch)


def test_default_collate_and_convert_are_torchs():
    for f, t in zip(*batch_inputs()):
        same(fdata.default_collate(f), tdata.default_collate(t))
        same(fdata.default_convert(f), tdata.default_convert(t))
        same(fdata.default_convert(tuple(f)), tdata.default_convert(tuple(t)))


@pytest.mark.parametrize("batch", [[object()], [[1, 2], [3]], [np.array(["a"])]],
                         ids=["object", "ragged", "strings"])
def test_default_collate_errors_are_torchs(batch):
    with pytest.raises(Exception) as expected:
        tdata.default_collate(batch)
    with pytest.raises(expected.type) as got:
        fdata.default_collate(batch)
    assert str(got.value) == str(expected.value).replace("torch", "fastgrad")


def pair(seed=0):
    """The same TensorDataset (float features, int64 labels, bool mask) in both libraries."""
    x = np.random.default_rng(seed).standard_normal((10, 3)).astype(np.float32)
    y, m = np.arange(10) * 3, np.arange(10) % 3 == 0
    return ((L.TensorDataset(lib.tensor(x), lib.tensor(y), lib.tensor(m)), lib)
            for L, lib in ((fdata, fg), (tdata, torch)))


LOADERS = {
    "default": lambda L, ds, g: L.DataLoader(ds),
    "shuffled": lambda L, ds, g: L.DataLoader(ds, batch_size=4, shuffle=True, generator=g),
    "drop_last": lambda L, ds, g: L.DataLoader(ds, batch_size=3, shuffle=True, generator=g,
                                               drop_last=True),
    "no_batching": lambda L, ds, g: L.DataLoader(ds, batch_size=None),
    "sampler": lambda L, ds, g: L.DataLoader(ds, 4, sampler=L.WeightedRandomSampler(
        [1.0] * 10, 9, generator=g)),
    "batch_sampler": lambda L, ds, g: L.DataLoader(ds, batch_sampler=[[3, -1], [0, 2, 5]]),
    "subset": lambda L, ds, g: L.DataLoader(L.random_split(ds, [0.6, 0.4], generator=g)[0],
                                            batch_size=4, shuffle=True, generator=g),
    "collate_fn": lambda L, ds, g: L.DataLoader(ds, 5, collate_fn=lambda b: len(b)),
    "iterable": lambda L, ds, g: L.DataLoader((Stream if L is fdata else TorchStream)(7), 3),
    "iterable_no_batching": lambda L, ds, g: L.DataLoader(
        (Stream if L is fdata else TorchStream)(3), batch_size=None),
}


@pytest.mark.parametrize("kind", LOADERS)
def test_dataloader_batches_are_torchs(kind):
    (fds, _), (tds, _) = pair()
    fg_gen, torch_gen = both_gens(11)
    f, t = LOADERS[kind](fdata, fds, fg_gen), LOADERS[kind](tdata, tds, torch_gen)
    assert len(f) == len(t)
    for _ in range(2):  # two epochs
        same(list(f), list(t))


def test_tensor_dataset_batches_are_gathered_without_reading_samples(monkeypatch):
    (fds, _), (tds, _) = pair()
    expected = list(tdata.DataLoader(tds, batch_size=4, shuffle=True, generator=both_gens(1)[1]))
    monkeypatch.setattr(fdata.TensorDataset, "__getitem__", lambda *a: 1 / 0)
    loader = fdata.DataLoader(fdata.Subset(fds, range(10)), batch_size=4, shuffle=True,
                              generator=both_gens(1)[0])
    same(list(loader), expected)


def test_shuffling_without_generator_follows_the_global_seed():
    (fds, _), (tds, _) = pair()
    fg.manual_seed(9), torch.manual_seed(9)
    f, t = (L.DataLoader(ds, batch_size=4, shuffle=True) for L, ds in ((fdata, fds), (tdata, tds)))
    same([list(f), list(f)], [list(t), list(t)])


@pytest.mark.parametrize("call", [
    lambda L: L.DataLoader(range(4), sampler=range(4), shuffle=True),
    lambda L: L.DataLoader(range(4), batch_sampler=[[0]], batch_size=2),
    lambda L: L.DataLoader(range(4), batch_sampler=[[0]], drop_last=True),
    lambda L: L.DataLoader(range(4), batch_size=None, drop_last=True),
    lambda L: L.DataLoader(range(4), num_workers=-1),
    lambda L: L.DataLoader(range(4), timeout=-1),
    lambda L: L.DataLoader(range(4), prefetch_factor=2),
    lambda L: L.DataLoader(range(4), num_workers=1, prefetch_factor=-1),
    lambda L: L.DataLoader(range(4), persistent_workers=True),
    lambda L: L.DataLoader(range(4), multiprocessing_context="fork"),
    lambda L: L.DataLoader(range(4), num_workers=1, multiprocessing_context="nope"),
    lambda L: L.DataLoader(range(4), batch_size=0),
    lambda L: setattr(L.DataLoader(range(4)), "batch_size", 2),
    lambda L: L.DataLoader(Stream(2) if L is fdata else TorchStream(2), shuffle=True),
    lambda L: iter(L.DataLoader(range(4), timeout=1)),
])
def test_dataloader_errors_are_torchs(call):
    raises_alike(call)


def probe_class(L, lib):
    class Probe(L.Dataset):
        """Each sample says which worker read it, with what seed, and draws from each
        generator."""
        tag = "main"

        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = L.get_worker_info()
            return i, info.id, info.seed, np.random.rand(), lib.rand(()).item(), self.tag
    return Probe


Probe, TorchProbe = probe_class(fdata, fg), probe_class(tdata, torch)


def tag_worker(worker_id):
    info = fdata.get_worker_info() or tdata.get_worker_info()  # whichever library's worker
    info.dataset.tag = f"init {worker_id}"


def test_workers_load_torchs_batches_in_order_with_torchs_seeds():
    fg_gen, torch_gen = both_gens(5)
    common = dict(batch_size=2, shuffle=True, num_workers=2, multiprocessing_context="fork",
                  worker_init_fn=tag_worker, persistent_workers=True, prefetch_factor=1)
    f = fdata.DataLoader(Probe(), generator=fg_gen, **common)
    t = tdata.DataLoader(TorchProbe(), generator=torch_gen, **common)
    same([list(f), list(f)], [list(t), list(t)])  # the second epoch reuses the workers
    (fds, _), (tds, _) = pair()
    fg_gen, torch_gen = both_gens(6)
    same(list(fdata.DataLoader(fds, 3, True, num_workers=2, generator=fg_gen)),
         list(tdata.DataLoader(tds, 3, True, num_workers=2, generator=torch_gen)))


class Faulty(fdata.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 3:
            raise KeyError("no sample 3")
        if i == 2 and fdata.get_worker_info().num_workers == 1:
            os._exit(1)  # the worker dies
        return i


def test_worker_errors_reach_the_main_process(monkeypatch):
    loader = fdata.DataLoader(Faulty(), batch_size=1, num_workers=2)
    with pytest.raises(KeyError, match=r"Caught KeyError in DataLoader worker process 1\.\n"
                                       r"Original Traceback(.|\n)*no sample 3"):
        list(loader)
    monkeypatch.setattr(fg_worker, "MP_STATUS_CHECK_INTERVAL", 0.05)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly"):
        list(fdata.DataLoader(Faulty(), num_workers=1))


def test_iterable_datasets_split_across_workers():
    class Split(Stream):
        def __iter__(self):
            info = fdata.get_worker_info()
            return iter(range(info.id, self.n, info.num_workers))

    got = list(fdata.DataLoader(Split(7), batch_size=2, num_workers=2))
    assert [b.tolist() for b in got] == [[0, 2], [1, 3], [4, 6], [5]]
