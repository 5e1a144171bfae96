"""The convolution's speed row: a 3x3 Conv2d layer's forward and backward (input, weight and
bias gradients) against torch (oneDNN), on 1 and 2 threads."""
import numpy as np

import fastgrad as fg

from . import _optional
from .case import Case


def conv2d_case(batch, threads):
    """F.conv2d(x, w, b, padding=1) and its backward with a fixed upstream gradient, 64 -> 64
    channels on 32 x 32 images."""
    rng = np.random.default_rng(2)
    x, w, b, g = (rng.standard_normal(s).astype(np.float32) for s in (
        (batch, 64, 32, 32), (64, 64, 3, 3), (64,), (batch, 64, 32, 32)))
    impls = {}
    for lib in (fg, _optional.torch):
        if lib is None:
            continue
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        gt = lib.tensor(g)

        def step(lib=lib, xt=xt, wt=wt, bt=bt, gt=gt):
            lib.nn.functional.conv2d(xt, wt, bt, padding=1).backward(gt)
            xt.grad = wt.grad = bt.grad = None
        impls[lib.__name__] = step
    flops = 3 * 2.0 * batch * 64 * 32 * 32 * 64 * 9  # forward, input and weight gradients
    return Case("Conv2d 3x3 64->64 32x32 fwd+bwd", batch, impls, flops, "GFLOP/s", threads,
                     parallel=True)


def target_cases(quick):
    """(description, case, mine, other, goal) rows, as cases.target_cases."""
    batch = 8 if quick else 32
    return [(f"Conv2d 3x3, 64->64 channels, 32x32, batch {batch}, forward + backward, "
             f"{threads} thread(s)", conv2d_case(batch, threads), "fastgrad", "torch",
             1.0) for threads in (1, 2)]
