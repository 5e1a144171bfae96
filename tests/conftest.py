"""Shared fixtures: the kernel-versus-loop speedups are collected here and printed in
pytest's summary. Tests assert only a generous floor on them (the machine is shared)."""
import time

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


@pytest.fixture
def speedup():
    """speedup(name, loop_fn, kernel_fn, floor) times both, records the ratio, asserts the floor."""
    def measure(name, loop_fn, kernel_fn, floor=2.0):
        kernel_fn()  # warm up
        loop = _best_time(loop_fn, 2)
        kernel = _best_time(kernel_fn, 5)
        ratio = loop / kernel
        SPEEDUPS.append((name, loop, kernel, ratio))
        assert ratio > floor, f"{name}: kernel only {ratio:.1f}x faster than its for-loop"
        return ratio
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
