"""The speed comparison: `python -m fastgrad.bench` (or `fastgrad-bench`).

For elementwise ops, sums, dot, mv and mm, forward and forward plus backward, it times a plain
Python for-loop version (on sizes where the loop ends in seconds), fastgrad, numpy and, when
installed, torch, and prints one table; then the project's speed targets, each as a ratio of
medians. Timings are interleaved (one call of each implementation in turn, round after round)
so a noisy machine slows every column alike.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

import fastgrad as fg

try:
    import torch
except ImportError:
    torch = None

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None


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
class Case:
    """One piece of work at one size: a callable per implementation, and how much work it is
    (flops or bytes) so the table can show a rate."""

    def __init__(self, family, size, impls, work, unit, threads=None):
        self.family, self.size, self.impls = family, size, impls
        self.work, self.unit, self.threads = work, unit, threads
        self.medians = {}

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
    return Case(name, n, impls, 12.0 * n, "GB/s", threads)


def unary_case(name, fn, n, rng, loop_max, loop_fn, threads=None):
    (a,) = _arrays(rng, (n,))
    impls = {lib: (lambda x=x[0]: fn(lib_of(x), x)) for lib, x in _libs([a]).items()}
    if n <= loop_max:
        al = a.tolist()
        impls["loop"] = lambda: [loop_fn(x) for x in al]
    return Case(name, n, impls, 8.0 * n, "GB/s", threads)


def lib_of(x):
    if isinstance(x, fg.Tensor):
        return fg
    if isinstance(x, np.ndarray):
        return np
    return torch


def sum_case(n, rng, loop_max, axis=None, threads=None):
    shape = (n,) if axis is None else (n, n)
    (a,) = _arrays(rng, shape)
    impls = {lib: (lambda x=x[0]: x.sum() if axis is None else x.sum(axis))
             for lib, x in _libs([a]).items()}
    if axis is None and n <= loop_max:
        al = a.tolist()
        impls["loop"] = lambda: loop_sum(al)
    name = "sum" if axis is None else f"sum(axis={axis}) n x"
    return Case(name, n, impls, 4.0 * a.size, "GB/s", threads)


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
    return Case(label, n, impls, flops, "GFLOP/s", threads)


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
    return Case(f"{name} fwd+bwd", n, impls, work, unit, threads)


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
    return Case("MLP 784-256-10 step", 256, impls, flops, "GFLOP/s", threads)


LOOP_MAX = 100_000  # the largest size the plain loops run at (seconds, not minutes)


def all_cases(quick):
    rng = np.random.default_rng(0)
    el = (10_000, 1_000_000) if quick else (10_000, 1_000_000, 10_000_000)
    mats = (64, 256) if quick else (64, 256, 1024)
    cases = []
    for n in el:
        cases.append(binary_case("add", lambda x, y: x + y, n, rng, LOOP_MAX))
        cases.append(binary_case("mul", lambda x, y: x * y, n, rng, LOOP_MAX))
        cases.append(unary_case("exp", lambda lib, x: lib.exp(x), n, rng, LOOP_MAX, _exp))
        cases.append(sum_case(n, rng, LOOP_MAX))
        cases.append(product_case("dot", n, rng, LOOP_MAX))
        cases.append(backward_case("mul", n, rng))
        cases.append(backward_case("sum", n, rng))
    for n in mats:
        cases.append(product_case("mv", 4 * n, rng, 256))
        cases.append(product_case("mm", n, rng, 64))
        cases.append(backward_case("mm", n, rng))
    return cases


def _exp(x):
    import math
    return math.exp(x)


def target_cases(quick):
    """The speed targets of issue 3, as (description, case, mine, other, goal, kind)."""
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


SETTLE = 0.15  # seconds of untimed calls that open each turn: longer than OpenBLAS's
               # threads spin after a call, and enough for the cores to be awake and clocked up


def interleaved_medians(impls, budget):
    """Each implementation in turn, round after round, until the time budget is spent; returns
    each one's median seconds. A turn opens with untimed calls for SETTLE seconds, because the
    worker threads of the previous library (OpenMP, OpenBLAS) keep spinning for a while after
    its call and would take a core from the next one; then come the timed calls (at least 3,
    up to 50 ms)."""
    times = {name: [] for name in impls}
    deadline = time.perf_counter() + budget
    rounds = 0
    while rounds < 2 or (time.perf_counter() < deadline and rounds < 100):
        for name, fn in impls.items():
            settled = time.perf_counter() + SETTLE
            fn()
            while time.perf_counter() < settled:
                fn()
            turn_end = time.perf_counter() + 0.05
            calls = 0
            while calls < 3 or (calls < 50 and time.perf_counter() < turn_end):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
                calls += 1
        rounds += 1
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure(cases, budget, progress):
    for i, case in enumerate(cases):
        progress(i, len(cases), case.name)
        restore = set_threads(case.threads)
        try:
            case.medians = interleaved_medians(case.impls, budget)
        finally:
            restore()
    progress(len(cases), len(cases), "done")


def progress_bar(done, total, label):
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:40]:<40}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


# ---- reporting ---------------------------------------------------------------------------------
def _t(s):
    if s is None:
        return "-"
    return f"{s * 1e3:.2f}ms" if s >= 1e-3 else f"{s * 1e6:.1f}us"


def _ratio(other, mine):
    return "-" if other is None or mine is None else f"{other / mine:.2f}x"


def format_table(cases):
    header = (f"{'work':<28}{'loop':>10}{'fastgrad':>11}{'numpy':>11}{'torch':>11}{'rate':>16}"
              f"{'vs loop':>10}{'vs numpy':>9}{'vs torch':>9}")
    lines = [header, "-" * len(header)]
    for c in cases:
        m = c.medians
        mine = m.get("fastgrad")
        rate = f"{c.work / mine / 1e9:.1f} {c.unit}" if mine and c.work else "-"
        lines.append(f"{c.name:<28}{_t(m.get('loop')):>10}{_t(mine):>11}{_t(m.get('numpy')):>11}"
                     f"{_t(m.get('torch')):>11}{rate:>16}{_ratio(m.get('loop'), mine):>10}"
                     f"{_ratio(m.get('numpy'), mine):>9}{_ratio(m.get('torch'), mine):>9}")
    lines.append("vs X: X's median time / fastgrad's (above 1: fastgrad is faster)")
    return "\n".join(lines)


def format_targets(targets):
    lines = [f"{'target':<42}{'fastgrad':>11}{'other':>11}{'speed ratio':>13}{'goal':>8}  met",
             "-" * 90]
    for desc, case, mine, other, goal in targets:
        m = case.medians
        if other not in m:
            lines.append(f"{desc:<42}{_t(m.get(mine)):>11}{'-':>11}{'-':>13}{goal:>7.2f}x  "
                         f"({other} not installed)")
            continue
        ratio = m[other] / m[mine]
        lines.append(f"{desc:<42}{_t(m[mine]):>11}{_t(m[other]):>11}{ratio:>12.2f}x{goal:>7.2f}x"
                     f"  {'yes' if ratio >= goal else 'NO'}")
    lines.append("speed ratio: the other's median time / fastgrad's; 'other' is named in each "
                 "target (numpy, torch, or fastgrad's own A B)")
    return "\n".join(lines)


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
    else:
        lines.append("numpy's BLAS kernel: unknown (pip install threadpoolctl to report it)")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            lines.append(f"warning: {var}={os.environ[var]} forces numpy onto an older OpenBLAS "
                         f"kernel; unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for its best speed")
    return "\n".join(lines)


def to_json(cases, targets):
    def case_dict(c):
        return {"name": c.name, "family": c.family, "size": c.size, "threads": c.threads,
                "work": c.work, "unit": c.unit, "median_seconds": c.medians}
    return {"environment": environment(), "cases": [case_dict(c) for c in cases],
            "targets": [{"target": d, "mine": mine, "other": other, "goal": goal,
                         "ratio": (c.medians[other] / c.medians[mine]) if other in c.medians else None,
                         "case": case_dict(c)} for d, c, mine, other, goal in targets]}


def plot(cases, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("--plot needs matplotlib: pip install matplotlib (or pip install 'fastgrad[plot]')")
    families = {}
    for c in cases:
        families.setdefault(c.family, []).append(c)
    fig, axes = plt.subplots(1, len(families), figsize=(4 * len(families), 3.5), squeeze=False)
    for ax, (family, group) in zip(axes[0], families.items()):
        for lib in ("loop", "fastgrad", "numpy", "torch"):
            points = [(c.size, c.medians[lib]) for c in group if lib in c.medians]
            if points:
                ax.loglog(*zip(*points), marker="o", label=lib)
        ax.set_title(family)
        ax.set_xlabel("size")
        ax.set_ylabel("seconds (median)")
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _rerun_with_bounded_openmp_spinning(argv):
    """OpenMP runtimes (fastgrad's, and torch's own copy) busy-wait for a long while after a
    parallel region; on a 2-core machine shared with other work, a waiting runtime takes the
    core the next call needs and an interleaved timing jumps to a scheduler tick (8 ms).
    Passive waiting instead makes every small parallel region pay a thread wake-up. So the
    bench restarts itself with the spinning bounded (GOMP_SPINCOUNT=100000, a fraction of a
    millisecond: back-to-back calls stay hot), unless the caller set either variable; it is
    read when a runtime loads, before this code runs."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["GOMP_SPINCOUNT"] = "100000"
    args = sys.argv[1:] if argv is None else list(argv)
    os.execv(sys.executable, [sys.executable, "-m", "fastgrad.bench", *args])


def main(argv=None):
    _rerun_with_bounded_openmp_spinning(argv)
    parser = argparse.ArgumentParser(prog="fastgrad-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: under a minute")
    parser.add_argument("--threads", type=int, help="threads for fastgrad, torch and numpy's BLAS")
    parser.add_argument("--json", metavar="FILE", help="also write every timing to FILE as JSON")
    parser.add_argument("--plot", metavar="FILE.png", help="plot time against size (needs matplotlib)")
    parser.add_argument("--no-targets", action="store_true", help="skip the targets section")
    args = parser.parse_args(argv)
    restore = set_threads(args.threads)
    print(environment(), flush=True)
    budget = 0.25 if args.quick else 1.0
    cases = all_cases(args.quick)
    measure(cases, budget, progress_bar)
    print(format_table(cases))
    targets = [] if args.no_targets else target_cases(args.quick)
    if targets:
        for _, case, mine, other, _ in targets:  # time only the two being compared
            case.impls = {k: v for k, v in case.impls.items() if k in (mine, other)}
        measure([t[1] for t in targets], budget * 2, progress_bar)
        print()
        print(format_targets(targets))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(to_json(cases, targets), f, indent=1)
    if args.plot:
        plot(cases, args.plot)
    restore()


if __name__ == "__main__":
    main()
