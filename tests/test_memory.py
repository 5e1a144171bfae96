"""Training does not leak: with the cycle collector off, the number of live tensors and graph
nodes and the process's memory stay flat over 10,000 steps (graphs are freed by reference
counting alone)."""
import gc

import numpy as np
import pytest

import fastgrad as fg


def live(kind):
    return sum(1 for o in gc.get_objects() if issubclass(type(o), kind))


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


# Not under AddressSanitizer (.ci/run deselects `scale`): its quarantine grows the process.
@pytest.mark.scale
def test_ten_thousand_training_steps_stay_flat():
    rng = np.random.default_rng(0)
    model = fg.nn.Sequential(fg.nn.Linear(4, 8), fg.nn.ReLU(), fg.nn.Linear(8, 1))
    opt = fg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = fg.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = fg.tensor(rng.standard_normal((32, 1)).astype(np.float32))
    loss_fn = fg.nn.MSELoss()
    counts = {}
    gc.collect()
    gc.disable()
    try:
        for step in range(1, 10_001):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            if step in (1_000, 10_000):
                counts[step] = (live(fg.Tensor), live(fg.autograd.Node), rss_bytes())
    finally:
        gc.enable()
    (tensors_a, nodes_a, rss_a), (tensors_b, nodes_b, rss_b) = counts[1_000], counts[10_000]
    assert tensors_b == tensors_a and nodes_b == nodes_a == 0
    assert rss_b - rss_a < 8 * 2 ** 20, (rss_a, rss_b)
