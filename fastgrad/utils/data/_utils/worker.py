"""The loop a DataLoader worker process runs (as torch.utils.data._utils.worker): seeded as
torch seeds its workers, it takes (task, indices) from its index queue, fetches and collates the
batch and puts (task, batch) on the result queue, or the exception wrapped with the worker's id.
It exits when told to, or when the main process is gone."""
import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler

import numpy as np

from .... import _kernels, _random
from .fetch import _IterableDatasetFetcher, _MapDatasetFetcher

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds between liveness checks while waiting on a queue

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """This worker's WorkerInfo in a DataLoader worker process; None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's note that its copy of an IterableDataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Tells a persistent worker that a new epoch starts."""
    seed: object = None


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its type and formatted
    traceback, and raised there again with torch's words (torch._utils.ExceptionWrapper)."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(msg))
        try:
            exception = self.exc_type(msg)
        except Exception:  # the type takes other arguments: say what happened anyway
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    """KeyError shows repr() of its argument, which would escape the traceback's newlines."""

    def __repr__(self):
        return self


def _generate_state(base_seed, worker_id):
    """numpy's seed for a worker: numpy's SeedSequence hashing of (worker_id, base_seed), as torch
    computes it (so np.random draws in workers match torch's)."""
    mask = 0xFFFFFFFF
    hash_a = [0x43B0D7E5]

    def hash_(value):
        value = (value ^ hash_a[0]) & mask
        hash_a[0] = (hash_a[0] * 0x931E8875) & mask
        value = (value * hash_a[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        result = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (result ^ (result >> 16)) & mask

    pool = [hash_(e) for e in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_b, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ hash_b) & mask
        hash_b = (hash_b * 0x58F38DED) & mask
        value = (value * hash_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


def _send(data_queue, idx, data, where):
    """Puts (idx, data) on the queue already pickled, so that a batch that cannot be pickled
    reaches the main process as an error (the queue's own pickling, in a background thread,
    would drop it and leave the main process waiting)."""
    try:
        payload = ForkingPickler.dumps((idx, data))
    except Exception:
        error = data if isinstance(data, ExceptionWrapper) else ExceptionWrapper(where=where)
        try:
            payload = ForkingPickler.dumps((idx, error))
        except Exception:  # an exception class the main process could not find by name
            error.exc_type = RuntimeError
            payload = ForkingPickler.dumps((idx, error))
    data_queue.put(bytes(payload))


def receive(payload):
    """What _send put on the queue."""
    return pickle.loads(payload)


def _create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last):
    kind = _IterableDatasetFetcher if is_iterable else _MapDatasetFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)


def _seed_worker(base_seed, worker_id):
    # One thread: OpenMP's thread pool does not survive fork (a parallel region would hang).
    _kernels.set_num_threads(1)
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(_generate_state(base_seed, worker_id))
    return seed


def _worker_loop(is_iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    global _worker_info
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=where)
        iteration_end = False
        parent = os.getppid()
        while os.getppid() == parent:  # the main process is alive
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                _send(data_queue, r, None, where)
                iteration_end = False
                fetcher = _create_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                          drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and is_iterable:
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                    else:
                        data = ExceptionWrapper(where=where)
            _send(data_queue, idx, data, where)
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
