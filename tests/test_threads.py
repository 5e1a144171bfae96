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


def test_forward_mode_levels_are_per_thread():
    """A dual_level open in one thread neither blocks another thread's nor lends it tangents."""
    import fastgrad.autograd.forward_ad as fwAD
    inside, done = threading.Event(), threading.Event()

    def hold_a_level():
        with fwAD.dual_level():
            x = fwAD.make_dual(fg.tensor([1.0, 2.0]), fg.tensor([1.0, 0.0]))
            inside.set()
            done.wait(10)
            return fwAD.unpack_dual(x * x).tangent.tolist()

    def open_another():
        inside.wait(10)
        outside = fg.tensor([3.0]) * 2  # no level here: no tangent
        with fwAD.dual_level():
            y = fwAD.make_dual(fg.tensor([3.0]), fg.tensor([1.0]))
            tangent = fwAD.unpack_dual(y.sin()).tangent.tolist()
        done.set()
        return tangent, fwAD.unpack_dual(outside).tangent

    held, (other, none) = run_in_threads(hold_a_level, open_another)
    assert held == [2.0, 0.0] and other == pytest.approx([np.cos(3.0)]) and none is None


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


def count_until(event):
    steps = 0
    while not event.is_set():
        steps += 1
    return steps


def test_python_runs_while_a_kernel_computes():
    """While one thread is inside a long C call, another thread's Python keeps running for most
    of it: the GIL is released around kernel calls. (Were it held, the other thread would only
    run in the interpreter's 5 ms switch intervals.)"""
    a = fg.randn(1280, 1280, dtype=fg.float64)
    timer = threading.Event()
    threading.Timer(0.05, timer.set).start()
    rate = count_until(timer) / 0.05  # loop steps per second on this machine, now
    threads = fg.get_num_threads()
    fg.set_num_threads(1)
    started, finished = threading.Event(), threading.Event()
    duration = []

    def multiply():
        started.set()
        start = time.perf_counter()
        a @ a  # one C call
        duration.append(time.perf_counter() - start)
        finished.set()

    try:
        worker = threading.Thread(target=multiply)
        worker.start()
        started.wait(10)
        steps = count_until(finished)
        worker.join()
    finally:
        fg.set_num_threads(threads)
    assert steps / rate > 0.25 * duration[0], (steps, rate, duration)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_two_threads_of_products_beat_serial():
    """Two threads each multiplying matrices (one OpenMP thread each) finish well before the
    same work done one after the other. The best of up to forty tries (each some tens of ms),
    with a generous margin, because the machine may be busy: a try counts only when the other
    core happens to be free for it."""
    a = fg.randn(384, 384)
    threads = fg.get_num_threads()
    fg.set_num_threads(1)
    try:
        def work():
            for _ in range(12):
                a @ a

        ratios = []
        for _ in range(40):
            start = time.perf_counter()
            work()
            work()
            serial = time.perf_counter() - start
            start = time.perf_counter()
            run_in_threads(work, work)
            ratios.append((time.perf_counter() - start) / serial)
            if ratios[-1] < 0.85:
                break
    finally:
        fg.set_num_threads(threads)
    assert min(ratios) < 0.85, ratios
