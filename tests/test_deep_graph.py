"""A chain of a million elementwise ops runs forward and backward: the engine walks the graph
without recursion, and freeing it does not recurse through a million nodes either."""
import pytest

import fastgrad as fg


@pytest.mark.scale
def test_a_million_op_chain_forward_and_backward():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    w = 1.0000001
    y = x
    for _ in range(1_000_000):
        y = y * w
    y.sum().backward()
    # d y / d x is the same million float32 products of w that made y[0] from 1.0, in the same order
    assert x.grad.tolist() == [y[0].item()] * 2
    assert 1.1 < y[0].item() < 1.13
    del y  # a million nodes freed by reference counting, without overflowing the C stack
