"""What is timed: the plain-Python loop versions, `Case` (one piece of work at one size, a
callable per implementation) and the makers of the comparison's and the targets' cases."""
import math

import numpy as np

import fastgrad as fg

from . import _optional
from .case import Case


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


def _arrays(rng, *shapes, dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _libs(arrays, requires_grad=False):
    """The same data as fastgrad tensors, numpy arrays and torch tensors (when installed)."""
    out = {"fastgrad": [fg.tensor(a, requires_grad=requires_grad) for a in arrays],
           "numpy": arrays}
    if _optional.torch is not None:
        out["torch"] = [_optional.torch.tensor(a, requires_grad=requires_grad) for a in arrays]
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
        g = (fg if lib == "fastgrad" else _optional.torch).tensor(arrays[2])

        def step(a=a, b=b, g=g):
            a.grad = b.grad = None
            out = fn(a, b)
            out.backward(g if out.ndim else None)
        impls[lib] = step
    unit = "GFLOP/s" if name == "mm" else "GB/s"
    parallel = n >= 128 if name == "mm" else n >= PARALLEL_ELEMENTS
    return Case(f"{name} fwd+bwd", n, impls, work, unit, threads, parallel)


def small_graph_case():
    """The per-op overhead: (x * w + 1).sum().backward() on 16 elements, eager and compiled."""
    x, w = np.linspace(-1, 1, 16, dtype=np.float32), np.ones(16, np.float32)
    impls = {}
    for lib in (fg, _optional.torch):
        if lib is None:
            continue
        xt, wt = lib.tensor(x), lib.tensor(w, requires_grad=True)
        impls[lib.__name__] = lambda xt=xt, wt=wt: (xt * wt + 1).sum().backward()
    impls["fastgrad compiled"] = fg.compile(impls["fastgrad"])
    return Case("(x*w+1).sum().backward()", 16, impls, 0, "")


def char_mlp_case():
    """A training step of a character-level MLP language model (makemore): embedding 27x10,
    context 3, hidden 200 (tanh), batch 32, cross entropy, SGD; eager and compiled."""
    rng = np.random.default_rng(0)
    shapes = ((27, 10), (30, 200), (200,), (200, 27), (27,))
    data = [rng.standard_normal(s).astype(np.float32) * 0.1 for s in shapes]
    X, Y = rng.integers(0, 27, (32, 3)), rng.integers(0, 27, 32)
    impls = {}
    for lib in (fg, _optional.torch):
        if lib is None:
            continue
        params = [lib.tensor(p, requires_grad=True) for p in data]

        def step(X, Y, lib=lib, params=params):
            C, W1, b1, W2, b2 = params
            for p in params:
                p.grad = None
            h = lib.tanh(C[X].view(-1, 30) @ W1 + b1)
            loss = lib.nn.functional.cross_entropy(h @ W2 + b2, Y)
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= 0.1 * p.grad
            return loss.detach()
        impls[lib.__name__] = lambda step=step, X=lib.tensor(X), Y=lib.tensor(Y): step(X, Y)
        if lib is fg:
            compiled = fg.compile(step)
            impls["fastgrad compiled"] = lambda X=fg.tensor(X), Y=fg.tensor(Y): compiled(X, Y)
    flops = 3 * 2.0 * 32 * (30 * 200 + 200 * 27)
    return Case("char MLP step, batch 32", 32, impls, flops, "GFLOP/s")


def mlp_case(threads=None):
    """A training step of a 784-256-10 ReLU network on a batch of 256: forward, backward, SGD;
    eager and compiled."""
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype(np.float32) * 0.05
            for s in ((256, 784), (784, 256), (256,), (256, 10), (10,))]
    impls = {}
    for lib in (fg, _optional.torch):
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
    impls["fastgrad compiled"] = fg.compile(impls["fastgrad"])
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
    t.append(("the same, compiled", small_graph_case(), "fastgrad compiled", "torch", 10.0))
    t.append(("char MLP step, batch 32", char_mlp_case(), "fastgrad", "torch", 1.0))
    t.append(("the same, compiled", char_mlp_case(), "fastgrad compiled", "torch", 3.3))
    t.append(("MLP 784-256-10 step, batch 256", mlp_case(), "fastgrad", "torch", 1.0))
    t.append(("the same, compiled, vs eager", mlp_case(), "fastgrad compiled", "fastgrad", 1.0))
    return t

