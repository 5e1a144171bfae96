"""Threads: autograd state is per thread, graphs built in two threads at once give exactly the
answers they give alone, and the C kernels release the GIL."""
import sys
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


def calls_during_a_kernel(step):
    """Calls step() in a loop while a worker thread is inside one long C call (a 1280x1280
    float64 product on one OpenMP thread, ~0.1 s); returns how many calls began and ended while
    the worker was in it. The switch interval is raised to 100 s meanwhile, so a thread that
    holds the GIL keeps it until it releases it itself: were the GIL held through the kernel, no
    call could overlap it, however busy or idle the machine. step() must release the GIL."""
    a = fg.randn(1280, 1280, dtype=fg.float64)
    state = ["before"]

    def multiply():
        state[0] = "inside"
        a @ a  # one C call
        state[0] = "done"

    interval, threads = sys.getswitchinterval(), fg.get_num_threads()
    fg.set_num_threads(1)
    sys.setswitchinterval(100)
    overlapped = 0
    try:
        worker = threading.Thread(target=multiply)
        worker.start()
        while state[0] != "done":
            began_inside = state[0] == "inside"
            step()
            overlapped += began_inside and state[0] == "inside"
        worker.join()
    finally:
        sys.setswitchinterval(interval)
        fg.set_num_threads(threads)
    return overlapped


def test_python_runs_while_a_kernel_computes():
    """The GIL is released around kernel calls: this thread's Python runs during another
    thread's C call (time.sleep(0) only gives the GIL back, so the worker can finish)."""
    assert calls_during_a_kernel(lambda: time.sleep(0)) > 0


def test_kernels_in_two_threads_overlap():
    """No lock serialises the kernels: small products in this thread complete while another
    thread is inside a long one."""
    b = fg.randn(64, 64)
    assert calls_during_a_kernel(lambda: b @ b) > 0
