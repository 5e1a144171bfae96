"""Threads: autograd state is per thread, graphs built in two threads at once give exactly the
answers they give alone, and the C kernels release the GIL."""
import os
import threading
import time

import numpy as np
import pytest

import fastgrad as fg


def run_in_threads(*fns):
    results = [None] * len(fns)
    errors = []

    def call(i, fn):
        try:
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(e)

    threads = [threading.Thread(target=call, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_no_grad_is_per_thread():
    inside = threading.Event()
    done = threading.Event()

    def without_grad():
        with fg.no_grad():
            inside.set()
            done.wait(10)
            return fg.is_grad_enabled()

    def with_grad():
        inside.wait(10)
        x = fg.ones(2, requires_grad=True)
        recorded = (x * 2).requires_grad
        done.set()
        return recorded

    assert run_in_threads(without_grad, with_grad) == [False, True]


def train(seed, steps=200):
    """A little model trained by hand; returns its final parameters."""
    rng = np.random.default_rng(seed)
    x = fg.tensor(rng.standard_normal((16, 3)))
    y = fg.tensor(rng.standard_normal((16, 1)))
    w = fg.tensor(rng.standard_normal((3, 1)) * 0.1, requires_grad=True)
    b = fg.zeros(1, dtype=fg.float64, requires_grad=True)
    for _ in range(steps):
        loss = ((fg.tanh(x @ w + b) - y) ** 2).mean()
        loss.backward()
        with fg.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad = b.grad = None
    return w.detach().numpy().copy(), b.detach().numpy().copy()


def test_two_threads_training_at_once_match_training_alone():
    alone = [train(1), train(2)]
    together = run_in_threads(lambda: train(1), lambda: train(2))
    for (w1, b1), (w2, b2) in zip(alone, together):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_kernels_release_the_gil():
    """Two threads each multiplying matrices (one OpenMP thread each) finish well before the
    same work done one after the other: the GIL is released around the C calls. Best of three
    tries, with a generous margin, because the machine may be busy."""
    a = fg.randn(384, 384)
    threads = fg.get_num_threads()
    fg.set_num_threads(1)
    try:
        def work():
            for _ in range(12):
                a @ a

        ratios = []
        for _ in range(3):
            start = time.perf_counter()
            work()
            work()
            serial = time.perf_counter() - start
            start = time.perf_counter()
            run_in_threads(work, work)
            ratios.append((time.perf_counter() - start) / serial)
            if ratios[-1] < 0.8:
                break
    finally:
        fg.set_num_threads(threads)
    assert min(ratios) < 0.8, ratios
