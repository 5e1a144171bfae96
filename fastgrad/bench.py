"""The speed comparison: `python -m fastgrad.bench` (or `fastgrad-bench`).

For each piece of work it times a plain-Python for-loop version (on sizes where the loop ends
in seconds), fastgrad, numpy and, when installed, torch. Timings are interleaved (one call of
each in turn, repeated) and reported as medians, so a noisy machine slows all columns alike.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import fastgrad as fg


# ---- the work: (name, setup(n) -> dict of callables by implementation) -------------------------
def _loop_mm(a, b):
    n, k, m = len(a), len(b), len(b[0])
    out = [[0.0] * m for _ in range(n)]
    for i in range(n):
        row, out_row = a[i], out[i]
        for p in range(k):
            aip, b_row = row[p], b[p]
            for j in range(m):
                out_row[j] += aip * b_row[j]
    return out


def _loop_mv(a, x):
    return [sum(aij * xj for aij, xj in zip(row, x)) for row in a]


def _loop_dot(x, y):
    return sum(a * b for a, b in zip(x, y))


def _loop_mul(x, y):
    return [a * b for a, b in zip(x, y)]


def _loop_sum(x):
    total = 0.0
    for v in x:
        total += v
    return total


def _inputs(shape, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    return a, a.tolist()


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def mm_work(n, rng, torch):
    (a, al), (b, bl) = _inputs((n, n), rng), _inputs((n, n), rng)
    fa, fb = fg.from_numpy(a), fg.from_numpy(b)
    impls = {"loop": lambda: _loop_mm(al, bl), "fastgrad": lambda: fa @ fb, "numpy": lambda: a @ b}
    if torch:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        impls["torch"] = lambda: ta @ tb
    return impls, 2.0 * n ** 3, "GFLOP/s"


def mv_work(n, rng, torch):
    (a, al), (x, xl) = _inputs((n, n), rng), _inputs((n,), rng)
    fa, fx = fg.from_numpy(a), fg.from_numpy(x)
    impls = {"loop": lambda: _loop_mv(al, xl), "fastgrad": lambda: fg.mv(fa, fx), "numpy": lambda: a @ x}
    if torch:
        ta, tx = torch.from_numpy(a), torch.from_numpy(x)
        impls["torch"] = lambda: torch.mv(ta, tx)
    return impls, 2.0 * n * n, "GFLOP/s"


def dot_work(n, rng, torch):
    (x, xl), (y, yl) = _inputs((n,), rng), _inputs((n,), rng)
    fx, fy = fg.from_numpy(x), fg.from_numpy(y)
    impls = {"loop": lambda: _loop_dot(xl, yl), "fastgrad": lambda: fg.dot(fx, fy), "numpy": lambda: x @ y}
    if torch:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        impls["torch"] = lambda: torch.dot(tx, ty)
    return impls, 2.0 * n, "GFLOP/s"


def mul_work(n, rng, torch):
    (x, xl), (y, yl) = _inputs((n,), rng), _inputs((n,), rng)
    fx, fy = fg.from_numpy(x), fg.from_numpy(y)
    impls = {"loop": lambda: _loop_mul(xl, yl), "fastgrad": lambda: fx * fy, "numpy": lambda: x * y}
    if torch:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        impls["torch"] = lambda: tx * ty
    return impls, 12.0 * n, "GB/s"


def sum_work(n, rng, torch):
    x, xl = _inputs((n,), rng)
    fx = fg.from_numpy(x)
    impls = {"loop": lambda: _loop_sum(xl), "fastgrad": lambda: fx.sum(), "numpy": lambda: x.sum()}
    if torch:
        tx = torch.from_numpy(x)
        impls["torch"] = lambda: tx.sum()
    return impls, 4.0 * n, "GB/s"


def mm_backward_work(n, rng, torch):
    """Forward and backward of (A @ B).sum() weighted by a fixed upstream gradient."""
    a, b, g = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(3))

    def run(lib, make):
        A, B = make(a, True), make(b, True)
        G = make(g, False)

        def step():
            A.grad = B.grad = None
            (A @ B).backward(G)
        return step

    impls = {"fastgrad": run(fg, lambda v, rg: fg.tensor(v, requires_grad=rg))}
    if torch:
        impls["torch"] = run(torch, lambda v, rg: torch.tensor(v, requires_grad=rg))
    return impls, 6.0 * n ** 3, "GFLOP/s"


WORK = [  # name, make, sizes (full run), sizes (--quick), largest size the loop runs at
    ("mm", mm_work, (64, 256, 1024), (64, 256), 64),
    ("mm forward+backward", mm_backward_work, (256, 1024), (256,), 0),
    ("mv", mv_work, (256, 4096), (256, 1024), 256),
    ("dot", dot_work, (10_000, 10_000_000), (10_000, 1_000_000), 100_000),
    ("mul", mul_work, (10_000, 10_000_000), (10_000, 1_000_000), 100_000),
    ("sum", sum_work, (10_000, 10_000_000), (10_000, 1_000_000), 100_000),
]


def interleaved_medians(impls, budget):
    """Calls each implementation in turn, round after round, until the time budget is spent;
    returns each one's median seconds."""
    times = {name: [] for name in impls}
    for fn in impls.values():
        fn()  # warm up
    deadline = time.perf_counter() + budget
    rounds = 0
    while rounds < 3 or (time.perf_counter() < deadline and rounds < 200):
        for name, fn in impls.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
        rounds += 1
    return {name: statistics.median(ts) for name, ts in times.items()}


def _progress(done, total, label):
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<30}")
    sys.stderr.flush()


def run(quick=False, budget=None):
    torch = _torch()
    rng = np.random.default_rng(0)
    budget = budget if budget is not None else (0.3 if quick else 1.5)
    jobs = [(name, make, n, loop_max) for name, make, full, fast, loop_max in WORK
            for n in (fast if quick else full)]
    rows = []
    for i, (name, make, n, loop_max) in enumerate(jobs):
        _progress(i, len(jobs), f"{name} n={n}")
        impls, work, unit = make(n, rng, torch)
        if n > loop_max:
            impls.pop("loop", None)
        medians = interleaved_medians(impls, budget)
        rows.append((name, n, medians, work, unit))
    _progress(len(jobs), len(jobs), "done")
    sys.stderr.write("\n")
    return rows


def format_table(rows):
    header = (f"{'work':<22}{'size':>10}{'loop':>11}{'fastgrad':>11}{'numpy':>11}{'torch':>11}"
              f"{'rate':>16}{'vs loop':>9}{'vs numpy':>9}{'vs torch':>9}")
    lines = [header, "-" * len(header)]

    def t(s):
        return "-" if s is None else (f"{s * 1e3:.2f}ms" if s >= 1e-3 else f"{s * 1e6:.1f}us")

    def ratio(other, mine):
        return "-" if other is None or mine is None else f"{other / mine:.2f}x"

    for name, n, m, work, unit in rows:
        mine = m.get("fastgrad")
        rate = f"{work / mine / 1e9:.1f} {unit}" if mine else "-"
        lines.append(f"{name:<22}{n:>10}{t(m.get('loop')):>11}{t(mine):>11}{t(m.get('numpy')):>11}"
                     f"{t(m.get('torch')):>11}{rate:>16}{ratio(m.get('loop'), mine):>9}"
                     f"{ratio(m.get('numpy'), mine):>9}{ratio(m.get('torch'), mine):>9}")
    lines.append("ratios above 1 mean fastgrad is faster (time of the other / time of fastgrad)")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fastgrad-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument("--threads", type=int, default=None, help="threads for fastgrad (and torch)")
    args = parser.parse_args(argv)
    if args.threads:
        fg.set_num_threads(args.threads)
        torch = _torch()
        if torch:
            torch.set_num_threads(args.threads)
    print(f"fastgrad {fg.__version__}, {fg.get_num_threads()} thread(s); numpy {np.__version__}"
          + ("" if _torch() is None else f"; torch {_torch().__version__}"))
    if os.environ.get("OPENBLAS_CORETYPE"):
        print(f"warning: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} forces numpy onto an "
              f"older OpenBLAS kernel; unset it (and OPENBLAS_L2_SIZE) for numpy's best speed")
    print(format_table(run(quick=args.quick)))


if __name__ == "__main__":
    main()
