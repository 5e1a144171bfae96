"""Shared fixtures: the kernel-versus-loop speedups are collected here and printed in
pytest's summary; the tests check the kernel's result against the loop's and assert nothing
about time (the machine is shared)."""
import os
import sys
import time

# `python -m pytest` in the repository root puts the root first on sys.path, where the source
# folder fastgrad/ (no compiled module) would hide the installed package: test the installed one.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _ROOT]

import numpy as np
import pytest

SPEEDUPS = []


def _best_time(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _as_array(result):
    return np.asarray(result.numpy() if hasattr(result, "numpy") else result, dtype=np.float64)


@pytest.fixture
def speedup():
    """speedup(name, loop_fn, kernel_fn) checks that both compute the same values, times them
    and records the ratio for the summary."""
    def measure(name, loop_fn, kernel_fn):
        want, got = _as_array(loop_fn()), _as_array(kernel_fn())
        scale = max(1.0, float(np.abs(want).max(initial=0.0)))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale, err_msg=name)
        loop = _best_time(loop_fn, 2)
        kernel = _best_time(kernel_fn, 5)
        SPEEDUPS.append((name, loop, kernel, loop / kernel))
    return measure


def pytest_terminal_summary(terminalreporter):
    if not SPEEDUPS:
        return
    terminalreporter.section("kernel speedups over plain-Python for-loops")
    terminalreporter.write_line(f"{'kernel':<44}{'loop':>12}{'kernel':>12}{'speedup':>10}")
    for name, loop, kernel, ratio in sorted(SPEEDUPS):
        terminalreporter.write_line(
            f"{name:<44}{loop * 1e3:>10.2f}ms{kernel * 1e6:>10.1f}us{ratio:>9.0f}x")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
