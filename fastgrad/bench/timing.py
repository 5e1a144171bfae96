"""How it is timed: the thread setting, the timing constants, interleaved rounds of blocks, the
estimate of the run's length, the progress bar, and the statistics of the rounds."""
import statistics
import sys
import time

import fastgrad as fg

from . import _optional


# ---- timing ------------------------------------------------------------------------------------
def set_threads(n):
    """Sets the thread count of fastgrad, torch and numpy's BLAS; returns a restore function."""
    if n is None:
        return lambda: None
    old = fg.get_num_threads()
    fg.set_num_threads(n)
    torch, threadpoolctl = _optional.torch, _optional.threadpoolctl
    old_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n)
    limiter = threadpoolctl.threadpool_limits(n) if threadpoolctl else None

    def restore():
        fg.set_num_threads(old)
        if torch is not None:
            torch.set_num_threads(old_torch)
        if limiter is not None:
            limiter.restore_original_limits()
    return restore


PAUSE = 0.3       # seconds of sleep before each block of a multi-threaded case: OpenBLAS's and
                  # OpenMP's idle workers spin for a while after a call and would take a core
                  # from the next library (measured: mm n=1024 on 2 threads 10.6 ms alone,
                  # 19-26 ms right after numpy's)
WARM = 0.01       # seconds of untimed calls that open each block: caches, clocks, thread pools
BLOCK = 0.02      # seconds of timed calls in a block (at least MIN_CALLS, at most MAX_CALLS)
MIN_CALLS, MAX_CALLS = 3, 50
MIN_ROUNDS, MAX_ROUNDS = 3, 100
NOISY = 0.25      # a spread (interquartile width / median) above this makes a row noisy


def _calls_for(fn, seconds, least):
    """Calls fn until `seconds` have passed and at least `least` times; returns each call's time."""
    times = []
    end = time.perf_counter() + seconds
    while len(times) < least or (len(times) < MAX_CALLS and time.perf_counter() < end):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def time_rounds(impls, budget, pause):
    """Round after round until the time budget is spent (at least MIN_ROUNDS), each
    implementation in turn times one block: a pause (multi-threaded cases), untimed warm-up
    calls, then timed calls. Returns each implementation's list of block medians (one per
    round); interleaving makes a noisy machine slow every column alike."""
    rounds = {name: [] for name in impls}
    deadline = time.perf_counter() + budget
    while len(next(iter(rounds.values()))) < MIN_ROUNDS or (
            time.perf_counter() < deadline and len(next(iter(rounds.values()))) < MAX_ROUNDS):
        for name, fn in impls.items():
            time.sleep(pause)
            _calls_for(fn, WARM, 1)
            rounds[name].append(statistics.median(_calls_for(fn, BLOCK, MIN_CALLS)))
    return rounds


def estimated_seconds(work):
    """What measuring these (case, budget) pairs will take, from the budgets and the pauses
    (the timed calls themselves are mostly within the budget)."""
    return sum(max(budget, MIN_ROUNDS * len(c.impls) * (c.pause + WARM + BLOCK))
               for c, budget in work)


def measure(work, progress):
    """Times each case of the (case, budget) pairs, reporting progress before each."""
    for i, (case, budget) in enumerate(work):
        progress(i, len(work), case.name)
        restore = set_threads(case.threads)
        try:
            case.rounds = time_rounds(case.impls, budget, case.pause)
        finally:
            restore()
    progress(len(work), len(work), "done")


class Progress:
    """A one-line progress bar on stderr with the time spent and the time left."""

    def __init__(self, seconds):
        self.start, self.seconds = time.perf_counter(), seconds

    def __call__(self, done, total, label):
        spent = time.perf_counter() - self.start
        left = max(0.0, self.seconds - spent)
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                         f"{spent:4.0f} s, ~{left:3.0f} s left  {label[:36]:<36}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# ---- statistics of the rounds ------------------------------------------------------------------
def median(case, lib):
    r = case.rounds.get(lib)
    return statistics.median(r) if r else None


def quartiles(values):
    """The lower quartile, median and upper quartile of the rounds: the middle half of them lies
    between the first and the last, whatever one disturbed round did."""
    return statistics.quantiles(values, n=4, method="inclusive")


def spread(values):
    """How far apart the rounds are: the middle half's width relative to the median."""
    low, mid, high = quartiles(values)
    return (high - low) / mid


def ratios(case, other, mine):
    """other's time / mine's, round by round (the two were timed back to back in each round)."""
    return [o / m for o, m in zip(case.rounds[other], case.rounds[mine])]


def row_spread(case):
    return max(spread(r) for r in case.rounds.values())

