"""Whole training steps of small models written with nn modules, fastgrad against torch."""
import numpy as np

import fastgrad as fg

from . import _optional
from .case import Case


def _libs():
    return [lib for lib in (fg, _optional.torch) if lib is not None]


def lenet_case(threads):
    """LeNet-5 (D2L's: 5x5 convolutions 1->6 padded and 6->16, sigmoid, 2x2 average pooling,
    linear 400-120-84-10) on a batch of 256 28x28 images: forward, backward, SGD step."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((256, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 256)
    impls = {}
    for lib in _libs():
        nn = lib.nn
        lib.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
            nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)

        def step(model=model, optimizer=optimizer, x=lib.tensor(x), y=lib.tensor(y), lib=lib):
            optimizer.zero_grad()
            lib.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        impls[lib.__name__] = step
    conv_flops = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150
    flops = 3 * 2.0 * 256 * (conv_flops + 400 * 120 + 120 * 84 + 84 * 10)
    return Case("LeNet-5 step, batch 256", 256, impls, flops, "GFLOP/s", threads, parallel=True)


def target_cases(quick):
    return [(f"LeNet-5 step, batch 256, {threads} thread(s)", lenet_case(threads), "fastgrad",
             "torch", 1.0) for threads in (1, 2)]
