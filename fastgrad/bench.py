"""The speed comparison: `fastgrad-bench` (or `python -m fastgrad.bench` outside the source tree).

For elementwise ops, sums, dot, mv and mm, forward and forward plus backward, it times a plain
Python for-loop version (on sizes where the loop ends in seconds), fastgrad, numpy and, when
installed, torch, and prints one table; then the project's speed targets, each as a ratio of
medians.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

import fastgrad as fg

torch = threadpoolctl = None  # optional, imported by main() after its first line of output


def _import_optional():
    global torch, threadpoolctl
    try:
        import torch
    except ImportError:
        pass
    try:
        import threadpoolctl
    except ImportError:
        pass


# ---- plain-Python for-loop versions, straight from the definitions -----------------------------
def loop_mm(a, b):
    out = [[0.0] * len(b[0]) for _ in a]
    for i, row in enumerate(a):
        out_row = out[i]
        for p, aip in enumerate(row):
            for j, bpj in enumerate(b[p]):
                out_row[j] += aip * bpj
    return out


def loop_mv(a, x):
    return [sum(aij * xj for aij, xj in zip(row, x)) for row in a]


def loop_dot(x, y):
    return sum(a * b for a, b in zip(x, y))


def loop_sum(x):
    total = 0.0
    for v in x:
        total += v
    return total


# ---- the cases ---------------------------------------------------------------------------------
PARALLEL_ELEMENTS = 1_000_000  # from about here on, the libraries split work across threads


class Case:
    """One piece of work at one size: a callable per implementation, how much work it is
    (flops or bytes, for the rate), and whether it runs on several threads (then each timed
    block waits for the previous library's idle threads to stop spinning)."""

    def __init__(self, family, size, impls, work, unit, threads=None, parallel=False):
        self.family, self.size, self.impls = family, size, impls
        self.work, self.unit, self.threads = work, unit, threads
        self.pause = PAUSE if parallel and threads != 1 else 0.0
        self.rounds = {}  # implementation -> the median time of each round's block

    @property
    def name(self):
        threads = "" if self.threads is None else f" ({self.threads} thr)"
        return f"{self.family} {self.size}{threads}"


def _arrays(rng, *shapes, dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _libs(arrays, requires_grad=False):
    """The same data as fastgrad tensors, numpy arrays and torch tensors (when installed)."""
    out = {"fastgrad": [fg.tensor(a, requires_grad=requires_grad) for a in arrays],
           "numpy": arrays}
    if torch is not None:
        out["torch"] = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return out


def binary_case(name, fn, n, rng, loop_max, threads=None):
    a, b = _arrays(rng, (n,), (n,))
    impls = {lib: (lambda x=x, y=y: fn(x, y)) for lib, (x, y) in _libs([a, b]).items()}
    if n <= loop_max:
        al, bl = a.tolist(), b.tolist()
        impls["loop"] = lambda: [fn(x, y) for x, y in zip(al, bl)]
    return Case(name, n, impls, 12.0 * n, "GB/s", threads, n >= PARALLEL_ELEMENTS)


def unary_case(name, n, rng, loop_max, loop_fn, threads=None):
    """x.name() in each library: all three have the method (numpy's through np.name)."""
    (a,) = _arrays(rng, (n,))
    impls = {lib: (lambda x=x[0], f=getattr(np, name) if lib == "numpy" else None:
                   f(x) if f else getattr(x, name)()) for lib, x in _libs([a]).items()}
    if n <= loop_max:
        al = a.tolist()
        impls["loop"] = lambda: [loop_fn(x) for x in al]
    return Case(name, n, impls, 8.0 * n, "GB/s", threads, n >= PARALLEL_ELEMENTS)


def sum_case(n, rng, loop_max, axis=None, threads=None):
    shape = (n,) if axis is None else (n, n)
    (a,) = _arrays(rng, shape)
    impls = {lib: (lambda x=x[0]: x.sum() if axis is None else x.sum(axis))
             for lib, x in _libs([a]).items()}
    if axis is None and n <= loop_max:
        al = a.tolist()
        impls["loop"] = lambda: loop_sum(al)
    name = "sum" if axis is None else f"sum(axis={axis}) n x"
    return Case(name, n, impls, 4.0 * a.size, "GB/s", threads, a.size >= PARALLEL_ELEMENTS)


def product_case(name, n, rng, loop_max, dtype=np.float32, threads=None, layout="A B"):
    """dot (n), mv (n x n by n) or mm (n x n by n x n) in the given layout."""
    shapes = {"dot": [(n,), (n,)], "mv": [(n, n), (n,)], "mm": [(n, n), (n, n)]}[name]
    a, b = _arrays(rng, *shapes, dtype=dtype)
    ops = {"A B": lambda x, y: x @ y, "A^T B": lambda x, y: x.T @ y, "A B^T": lambda x, y: x @ y.T}
    op = ops[layout]
    impls = {lib: (lambda x=x, y=y: op(x, y)) for lib, (x, y) in _libs([a, b]).items()}
    if n <= loop_max:
        al, bl = a.tolist(), b.tolist()
        impls["loop"] = {"dot": lambda: loop_dot(al, bl), "mv": lambda: loop_mv(al, bl),
                         "mm": lambda: loop_mm(al, bl)}[name]
    flops = {"dot": 2.0 * n, "mv": 2.0 * n * n, "mm": 2.0 * n ** 3}[name]
    label = name if layout == "A B" else f"mm {layout}"
    if dtype != np.float32:
        label += " f64"
    return Case(label, n, impls, flops, "GFLOP/s", threads, a.size >= PARALLEL_ELEMENTS or
                (name == "mm" and n >= 128))


def backward_case(name, n, rng, threads=None):
    """Forward and backward with a fixed non-uniform upstream gradient (fastgrad and torch)."""
    if name == "mm":
        arrays, work = _arrays(rng, (n, n), (n, n), (n, n)), 6.0 * n ** 3
    else:
        arrays, work = _arrays(rng, (n,), (n,), (n,)), 20.0 * n
    fns = {"mm": lambda a, b: a @ b, "mul": lambda a, b: a * b,
           "sum": lambda a, b: (a * b).sum() * 1.0}
    fn = fns[name]
    impls = {}
    for lib, (a, b) in _libs(arrays[:2], requires_grad=True).items():
        if lib == "numpy":
            continue
        g = (fg if lib == "fastgrad" else torch).tensor(arrays[2])

        def step(a=a, b=b, g=g):
            a.grad = b.grad = None
            out = fn(a, b)
            out.backward(g if out.ndim else None)
        impls[lib] = step
    unit = "GFLOP/s" if name == "mm" else "GB/s"
    parallel = n >= 128 if name == "mm" else n >= PARALLEL_ELEMENTS
    return Case(f"{name} fwd+bwd", n, impls, work, unit, threads, parallel)


def small_graph_case():
    """The per-op overhead: (x * w + 1).sum().backward() on 16 elements."""
    x, w = np.linspace(-1, 1, 16, dtype=np.float32), np.ones(16, np.float32)
    impls = {}
    for lib in (fg, torch):
        if lib is None:
            continue
        xt, wt = lib.tensor(x), lib.tensor(w, requires_grad=True)
        impls[lib.__name__] = lambda xt=xt, wt=wt: (xt * wt + 1).sum().backward()
    return Case("(x*w+1).sum().backward()", 16, impls, 0, "")


def mlp_case(threads=None):
    """A training step of a 784-256-10 ReLU network on a batch of 256: forward, backward, SGD."""
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype(np.float32) * 0.05
            for s in ((256, 784), (784, 256), (256,), (256, 10), (10,))]
    impls = {}
    for lib in (fg, torch):
        if lib is None:
            continue
        x = lib.tensor(data[0])
        params = [lib.tensor(p, requires_grad=True) for p in data[1:]]

        def step(lib=lib, x=x, params=params):
            w1, b1, w2, b2 = params
            out = lib.relu(x @ w1 + b1) @ w2 + b2
            loss = (out * out).mean()
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= 0.01 * p.grad
                    p.grad = None
        impls[lib.__name__] = step
    flops = 3 * 2.0 * 256 * (784 * 256 + 256 * 10)
    return Case("MLP 784-256-10 step", 256, impls, flops, "GFLOP/s", threads, parallel=True)


LOOP_MAX = 100_000  # the largest size the plain loops run at (seconds, not minutes)


def all_cases(quick):
    rng = np.random.default_rng(0)
    el = (10_000, 1_000_000) if quick else (10_000, 1_000_000, 10_000_000)
    mats = (64, 256) if quick else (64, 256, 1024)
    cases = []
    for n in el:
        cases.append(binary_case("add", lambda x, y: x + y, n, rng, LOOP_MAX))
        cases.append(binary_case("mul", lambda x, y: x * y, n, rng, LOOP_MAX))
        cases.append(unary_case("exp", n, rng, LOOP_MAX, math.exp))
        cases.append(sum_case(n, rng, LOOP_MAX))
        cases.append(product_case("dot", n, rng, LOOP_MAX))
        cases.append(backward_case("mul", n, rng))
        cases.append(backward_case("sum", n, rng))
    for n in mats:
        cases.append(product_case("mv", 4 * n, rng, 256))
        cases.append(product_case("mm", n, rng, 64))
        cases.append(backward_case("mm", n, rng))
    return cases


def target_cases(quick):
    """The project's speed targets, as (description, case, mine, other, goal)."""
    rng = np.random.default_rng(1)
    n = 512 if quick else 1024
    t = []
    for threads in (1, 2):
        c = product_case("mm", n, rng, 0, threads=threads)
        t.append((f"mm float32 n={n}, {threads} thread(s)", c, "fastgrad", "numpy", 0.9))
    c64 = product_case("mm", n, rng, 0, dtype=np.float64, threads=1)
    t.append((f"mm float64 n={n}, 1 thread", c64, "fastgrad", "numpy", 0.95))
    c128 = product_case("mm", 128, rng, 0)
    t.append(("mm float32 n=128", c128, "fastgrad", "numpy", 0.7))
    ab = product_case("mm", n, rng, 0)
    for layout in ("A B^T", "A^T B"):
        c = product_case("mm", n, rng, 0, layout=layout)
        c.impls = {"fastgrad": c.impls["fastgrad"], "fastgrad A B": ab.impls["fastgrad"]}
        t.append((f"{layout} vs A B, n={n}", c, "fastgrad", "fastgrad A B", 0.9))
    t.append(("mv float32 4096x4096", product_case("mv", 4096, rng, 0), "fastgrad", "numpy", 0.85))
    t.append(("add 10M float32, 2 threads", binary_case("add", lambda x, y: x + y, 10_000_000, rng, 0,
                                                        threads=2), "fastgrad", "torch", 1.0))
    t.append(("sum(axis=0) 4096x4096 float32", sum_case(4096, rng, 0, axis=0), "fastgrad", "numpy", 1.0))
    t.append(("(x*w+1).sum().backward(), 16 elements", small_graph_case(), "fastgrad", "torch", 2.0))
    t.append(("MLP 784-256-10 step, batch 256", mlp_case(), "fastgrad", "torch", 1.0))
    return t


# ---- timing ------------------------------------------------------------------------------------
def set_threads(n):
    """Sets the thread count of fastgrad, torch and numpy's BLAS; returns a restore function."""
    if n is None:
        return lambda: None
    old = fg.get_num_threads()
    fg.set_num_threads(n)
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


# ---- reporting ---------------------------------------------------------------------------------
COLUMNS = """\
columns of the comparison:
  work       the operation and its size (elements, or n for n x n matrices); "fwd+bwd" is
             the forward pass and backward() with a fixed upstream gradient
  loop       a plain-Python for-loop version (only on sizes where it ends in seconds)
  fastgrad, numpy, torch
             median time of one call (medians of the rounds, each round a block of calls)
  rate       fastgrad's throughput: bytes read and written, or floating-point operations
  vs X       X's time / fastgrad's, the median over the rounds (each round times both, one
             after the other): above 1, fastgrad is faster; "~1x": the rounds disagree on
             which is faster (a noisy row)
  spread     how far the rounds are apart: the width of their middle half (upper minus lower
             quartile) over the median, for the library whose rounds differ most; above 25%
             the row says "noisy" and claims no win or loss
columns of the targets:
  target     a speed goal of the project
  against    the library it is measured against (numpy, torch, or fastgrad's own A B)
  fastgrad, other
             the median times of the two
  ratio      other's time / fastgrad's, the median over the rounds (above 1: fastgrad is faster)
  rounds     the middle half of the rounds' ratios (lower to upper quartile)
  goal       the ratio the project aims for
  met        yes / NO, or "unclear" when the middle half of the rounds lies on both sides of
             the goal and is wider than 25% of the ratio"""

HOW_TIMED = """\
Every implementation is timed in turn, round after round (at least 3 rounds): each block opens
with untimed calls, and on multi-threaded work with a 0.3 s pause, so that no library pays for
the idle threads of the one before it."""


def _t(s):
    if s is None:
        return "-"
    return f"{s * 1e3:.2f}ms" if s >= 1e-3 else f"{s * 1e6:.1f}us"


def _vs(case, other):
    if median(case, other) is None or median(case, "fastgrad") is None:
        return "-"
    low, mid, high = quartiles(ratios(case, other, "fastgrad"))
    if row_spread(case) > NOISY and low < 1 < high:
        return "~1x"
    return f"{mid:.2f}x"


def format_table(cases):
    header = (f"{'work':<26}{'loop':>10}{'fastgrad':>11}{'numpy':>11}{'torch':>11}{'rate':>15}"
              f"{'vs loop':>9}{'vs numpy':>9}{'vs torch':>9}{'spread':>8}")
    lines = [header, "-" * len(header)]
    for c in cases:
        mine = median(c, "fastgrad")
        rate = f"{c.work / mine / 1e9:.1f} {c.unit}" if mine and c.work else "-"
        noisy = row_spread(c)
        lines.append(f"{c.name:<26}{_t(median(c, 'loop')):>10}{_t(mine):>11}"
                     f"{_t(median(c, 'numpy')):>11}{_t(median(c, 'torch')):>11}{rate:>15}"
                     f"{_vs(c, 'loop'):>9}{_vs(c, 'numpy'):>9}{_vs(c, 'torch'):>9}"
                     f"{noisy:>7.0%}" + ("  noisy" if noisy > NOISY else ""))
    return "\n".join(lines)


def verdict(case, mine, other, goal):
    low, mid, high = quartiles(ratios(case, other, mine))
    if (high - low) / mid > NOISY and low < goal <= high:
        return "unclear"
    return "yes" if mid >= goal else "NO"


def format_targets(targets):
    header = (f"{'target':<40}{'against':>9}{'fastgrad':>11}{'other':>11}{'ratio':>8}"
              f"{'rounds':>14}{'goal':>7}  met")
    lines = [header, "-" * len(header)]
    for desc, case, mine, other, goal in targets:
        if other not in case.rounds:
            lines.append(f"{desc:<40}{other:>9}{_t(median(case, mine)):>11}{'-':>11}{'-':>8}"
                         f"{'-':>14}{goal:>6.2f}x  ({other} is not installed)")
            continue
        low, mid, high = quartiles(ratios(case, other, mine))
        lines.append(f"{desc:<40}{other.split()[0]:>9}{_t(median(case, mine)):>11}"
                     f"{_t(median(case, other)):>11}"
                     f"{mid:>7.2f}x"
                     f"{f'{low:.2f}-{high:.2f}x':>14}{goal:>6.2f}x  "
                     f"{verdict(case, mine, other, goal)}")
    return "\n".join(lines)


INSTALL_EXTRAS = 'pip install "fastgrad[bench]"'


def missing_note():
    """What an optional package would add, and the command that installs it."""
    missing = [name for name, mod in (("torch", torch), ("threadpoolctl", threadpoolctl))
               if mod is None]
    if not missing:
        return ""
    return (f"not installed: {' and '.join(missing)} (the torch columns and targets show '-'"
            f" without torch; threadpoolctl names numpy's BLAS kernel). {INSTALL_EXTRAS} adds "
            f"torch, threadpoolctl and matplotlib.")


def environment():
    lines = [f"fastgrad {fg.__version__}: {fg.get_num_threads()} thread(s), kernels for "
             f"{fg.isa()}; numpy {np.__version__}" +
             ("" if torch is None else f"; torch {torch.__version__} ({torch.get_num_threads()} thread(s))") +
             "".join(f"; {v}={os.environ[v]}" for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
                     if v in os.environ)]
    if threadpoolctl is not None:
        for info in threadpoolctl.threadpool_info():
            if info.get("internal_api") in ("openblas", "mkl", "blis"):
                lines.append(f"numpy's BLAS: {info['internal_api']} {info.get('version')}, kernel "
                             f"{info.get('architecture')}, {info.get('num_threads')} thread(s)")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            lines.append(f"warning: {var}={os.environ[var]} forces numpy onto an older OpenBLAS "
                         f"kernel; unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for its best speed")
    return "\n".join(lines)


def to_json(cases, targets):
    def case_dict(c):
        return {"name": c.name, "family": c.family, "size": c.size, "threads": c.threads,
                "work": c.work, "unit": c.unit, "round_median_seconds": c.rounds,
                "median_seconds": {lib: median(c, lib) for lib in c.rounds}}
    return {"environment": environment(), "cases": [case_dict(c) for c in cases],
            "targets": [{"target": d, "mine": mine, "other": other, "goal": goal,
                         "ratio": quartiles(ratios(c, other, mine))[1] if other in c.rounds else None,
                         "case": case_dict(c)} for d, c, mine, other, goal in targets]}


def plot(cases, path, plt):
    """Time against size, one panel per kind of work, in a grid of up to four columns."""
    families = {}
    for c in cases:
        families.setdefault(c.family, []).append(c)
    cols = min(4, len(families))
    rows = -(-len(families) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(families):]:
        ax.set_visible(False)
    for ax, (family, group) in zip(axes.flat, families.items()):
        for lib, color in (("loop", "tab:gray"), ("fastgrad", "tab:orange"),
                           ("numpy", "tab:blue"), ("torch", "tab:red")):
            points = [(c.size, median(c, lib)) for c in group if lib in c.rounds]
            if points:
                ax.loglog(*zip(*points), marker="o", label=lib, color=color)
        ax.set_title(family)
        ax.set_xlabel("size (elements, or n of n x n)")
        ax.set_ylabel("seconds per call (median)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"fastgrad {fg.__version__} speed comparison ({fg.isa()}, "
                 f"{fg.get_num_threads()} threads)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _matplotlib_or_exit(parser):
    """--plot needs matplotlib: checked before any timing, not after minutes of it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        parser.error(f"--plot needs matplotlib: pip install matplotlib (or {INSTALL_EXTRAS})")
    return plt


def _rerun_with_bounded_openmp_spinning(argv):
    """OpenMP runtimes (fastgrad's, and torch's own copy) busy-wait for a long while after a
    parallel region; on a 2-core machine shared with other work, a waiting runtime takes the
    core the next call needs. Passive waiting instead makes every small parallel region pay a
    thread wake-up. So the bench restarts itself with the spinning bounded
    (GOMP_SPINCOUNT=100000, a fraction of a millisecond: back-to-back calls stay hot), unless
    the caller set either variable; it is read when a runtime loads, before this code runs.
    The new process gets this one's sys.path, so it imports the same fastgrad (`python -m`
    would put the working directory first, which in a source checkout is the source folder)."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["GOMP_SPINCOUNT"] = "100000"
    args = sys.argv[1:] if argv is None else list(argv)
    code = f"import sys; sys.path[:] = {sys.path!r}; from fastgrad.bench import main; main()"
    os.execv(sys.executable, [sys.executable, "-c", code, *args])


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="fastgrad-bench", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{HOW_TIMED}\n\n{COLUMNS}\n\nOptional packages: {INSTALL_EXTRAS} adds torch "
               f"(its columns), threadpoolctl (names numpy's BLAS) and matplotlib (--plot).")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds "
                        "(under a minute instead of about a minute and a half)")
    parser.add_argument("--threads", type=int, help="threads for fastgrad, torch and numpy's BLAS")
    parser.add_argument("--json", metavar="FILE", help="also write every round's timing to FILE")
    parser.add_argument("--plot", metavar="FILE.png", help="draw time against size into FILE.png "
                        "(needs matplotlib)")
    parser.add_argument("--no-targets", action="store_true", help="skip the targets section")
    args = parser.parse_args(argv)
    plt = _matplotlib_or_exit(parser) if args.plot else None
    return args, plt


def _about(seconds):
    return f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} minutes"


def main(argv=None):
    _rerun_with_bounded_openmp_spinning(argv)
    args, plt = parse_arguments(argv)
    print("fastgrad-bench: importing torch (if installed) and making the data...", flush=True)
    _import_optional()
    restore = set_threads(args.threads)
    budget = 0.25 if args.quick else 1.0
    cases = all_cases(args.quick)
    targets = [] if args.no_targets else target_cases(args.quick)
    for _, case, mine, other, _ in targets:  # time only the two being compared
        case.impls = {k: v for k, v in case.impls.items() if k in (mine, other)}
    work = [(c, budget) for c in cases] + [(t[1], 2 * budget) for t in targets]
    seconds = estimated_seconds(work)
    print(environment())
    print(f"timing {len(cases)} comparisons and {len(targets)} targets, {_about(seconds)} "
          f"(--help explains every column)", flush=True)
    progress = Progress(seconds)
    measure(work, progress)
    print(format_table(cases))
    if targets:
        print()
        print(format_targets(targets))
    print()
    print(COLUMNS)
    note = missing_note()
    if note:
        print(note)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(to_json(cases, targets), f, indent=1)
        print(f"timings written to {args.json}")
    if args.plot:
        plot(cases, args.plot, plt)
        print(f"plot written to {args.plot}")
    restore()


if __name__ == "__main__":
    main()
