"""Every differentiable case of the op database (ops_db.py) against central finite differences
(gradcheck.py), and the gradient properties that need their own inputs."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn.functional as F
from gradcheck import gradcheck
from ops_db import DIFFERENTIABLE, EXACT, inputs

R = np.random.default_rng(1)


def arr(*shape, low=-2.0, high=2.0):
    return R.uniform(low, high, shape)


@pytest.mark.parametrize("case", EXACT, ids=[c.name for c in EXACT])
def test_op_gradient(case):
    gradcheck(lambda *xs: case.fn(fg, *xs), *inputs(case, 0))


def test_composite_mlp():
    """A two-layer network: many ops, shared inputs, broadcasting, reductions."""
    def net(x, w1, b1, w2):
        h = fg.relu(x @ w1 + b1)
        return (fg.sigmoid(h @ w2) - 0.5).pow(2).mean() + 0.1 * (w1 * w1).sum()

    gradcheck(net, arr(4, 3), arr(3, 5), arr(5), arr(5, 2))


def test_reused_intermediate_sums_paths():
    gradcheck(lambda x: (lambda y: y * y + y.exp() + y)(x * 3), arr(4))


def test_float32_grad_keeps_dtype():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype is fg.float32
    assert x.grad.tolist() == [3.0, 3.0]


def test_grad_shape_matches_for_broadcast_inputs():
    a = fg.ones(3, 1, requires_grad=True)
    b = fg.ones(4, requires_grad=True)
    c = fg.ones((), requires_grad=True)
    (a * b + c).backward(fg.ones(3, 4))
    assert (a.grad.shape, b.grad.shape, c.grad.shape) == ((3, 1), (4,), ())
    assert a.grad.tolist() == [[4.0]] * 3 and b.grad.tolist() == [3.0] * 4 and c.item() == 1.0
    assert c.grad.item() == 12.0


def test_abs_subgradient_at_zero_is_zero():
    x = fg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.abs().sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


def test_relu_gradient_at_zero_is_zero():
    x = fg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


def test_max_ties_share_gradient():
    x = fg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]
    a, b = fg.tensor([2.0], requires_grad=True), fg.tensor([2.0], requires_grad=True)
    fg.maximum(a, b).backward(fg.ones(1))
    assert a.grad.tolist() == [0.5] and b.grad.tolist() == [0.5]


def test_norm_at_origin_has_zero_gradient():
    x = fg.zeros(3, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


# ---- mse_loss with broadcasting, and create_graph through the fused backward rows -----------
def test_mse_loss_broadcast(recwarn):
    gradcheck(lambda x, y: F.mse_loss(x, y), arr(3, 4), arr(4))


FUSED = [c for c in DIFFERENTIABLE if c.op in ("softmax", "log_softmax", "cross_entropy")]


@pytest.mark.parametrize("case", FUSED, ids=[c.name for c in FUSED])
def test_create_graph_gives_the_same_gradients(case):
    """With create_graph the fused backward kernels run as rows of the graph: the same
    gradients, now differentiable."""
    (x,) = inputs(case, 0)
    grads = []
    for create_graph in (False, True):
        t = fg.tensor(x, requires_grad=True)
        out = case.fn(fg, t)
        v = fg.tensor(np.random.default_rng(3).uniform(0.5, 1.5, tuple(out.shape)))
        (g,) = fg.autograd.grad(out, t, v, create_graph=create_graph)
        assert g.requires_grad is create_graph
        grads.append(g.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-14)
