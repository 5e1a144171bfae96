"""The normalisation layers' and the embedding's speed rows: LayerNorm and BatchNorm1d forward
and backward on (256, 1024), and a language-model training step built from nn modules
(Embedding, Linear, Tanh, cross entropy, SGD), each against torch."""
import numpy as np

import fastgrad as fg

from . import _optional
from .case import Case

ROWS, FEATURES = 256, 1024


def _libs():
    return [lib for lib in (fg, _optional.torch) if lib is not None]


def norm_case(kind, threads):
    """nn.LayerNorm(1024) or nn.BatchNorm1d(1024) (training) on (256, 1024) float32: forward,
    backward with a fixed upstream gradient (into the input and the parameters)."""
    rng = np.random.default_rng(0)
    x, g = (rng.standard_normal((ROWS, FEATURES)).astype(np.float32) for _ in range(2))
    impls = {}
    for lib in _libs():
        module = getattr(lib.nn, kind)(FEATURES)
        xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(g)

        def step(module=module, xt=xt, gt=gt):
            xt.grad = module.weight.grad = module.bias.grad = None
            module(xt).backward(gt)
        impls[lib.__name__] = step
    return Case(f"{kind} fwd+bwd", f"{ROWS}x{FEATURES}", impls, 5 * 4.0 * x.size, "GB/s", threads,
                parallel=True)


def lm_case():
    """A character-level MLP language model's step from nn modules: Embedding(27, 10), context
    3, Linear(30, 200), Tanh, Linear(200, 27), batch 32, F.cross_entropy, optim.SGD."""
    rng = np.random.default_rng(0)
    X, Y = rng.integers(0, 27, (32, 3)), rng.integers(0, 27, 32)
    impls = {}
    for lib in _libs():
        lib.manual_seed(0)
        nn = lib.nn
        model = nn.Sequential(nn.Embedding(27, 10), nn.Flatten(),
                              nn.Linear(30, 200), nn.Tanh(), nn.Linear(200, 27))
        opt = lib.optim.SGD(model.parameters(), lr=0.1)

        def step(X=lib.tensor(X), Y=lib.tensor(Y), lib=lib, model=model, opt=opt):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(X), Y)
            loss.backward()
            opt.step()
        impls[lib.__name__] = step
    flops = 3 * 2.0 * 32 * (30 * 200 + 200 * 27)
    return Case("LM step (nn modules), batch 32", 32, impls, flops, "GFLOP/s")


def target_cases(quick):
    """(description, case, mine, other, goal) rows, as cases.target_cases."""
    rows = []
    for kind in ("LayerNorm", "BatchNorm1d"):
        for threads in (1, 2):
            rows.append((f"{kind} (256, 1024) fwd+bwd, {threads} thread(s)",
                         norm_case(kind, threads), "fastgrad", "torch", 1.0))
    rows.append(("LM step from nn modules, batch 32", lm_case(), "fastgrad", "torch", 1.0))
    return rows
