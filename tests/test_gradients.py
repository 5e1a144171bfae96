"""Every differentiable op against central finite differences (gradcheck.py)."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn.functional as F
from gradcheck import gradcheck

R = np.random.default_rng(1)


def arr(*shape, low=-2.0, high=2.0):
    return R.uniform(low, high, shape)


def const(*shape):
    """A constant operand: not differentiated, but makes the upstream gradient non-uniform."""
    return fg.tensor(arr(*shape))


def away_from_zero(*shape):
    return arr(*shape, low=0.3, high=2.0) * R.choice([-1.0, 1.0], shape)


UNARY = [
    ("neg", lambda x: -x, arr(3, 4)),
    ("abs", fg.abs, away_from_zero(3, 4)),
    ("exp", fg.exp, arr(3, 4)),
    ("log", fg.log, arr(3, 4, low=0.2, high=3)),
    ("sqrt", fg.sqrt, arr(3, 4, low=0.2, high=3)),
    ("sin", fg.sin, arr(3, 4)),
    ("cos", fg.cos, arr(3, 4)),
    ("tanh", fg.tanh, arr(3, 4)),
    ("sigmoid", fg.sigmoid, arr(3, 4)),
    ("relu", fg.relu, away_from_zero(3, 4)),
    ("sign", lambda x: fg.sign(x) * x, away_from_zero(5)),
    ("pow scalar", lambda x: x ** 3, arr(2, 3)),
    ("rpow", lambda x: 2.0 ** x, arr(2, 3)),
    ("norm", fg.norm, arr(3, 4)),
    ("norm dim", lambda x: x.norm(dim=1), arr(3, 4)),
    ("norm dim keepdim", lambda x: x.norm(dim=0, keepdim=True), arr(3, 4)),
    ("sum", lambda x: x.sum(), arr(3, 4)),
    ("sum dim", lambda x: x.sum(dim=1), arr(3, 4)),
    ("sum axis keepdims", lambda x: x.sum(axis=0, keepdims=True), arr(3, 4)),
    ("sum dims", lambda x: x.sum(dim=[0, 2]), arr(2, 3, 4)),
    ("mean", lambda x: x.mean(), arr(3, 4)),
    ("mean dim", lambda x: x.mean(dim=-1), arr(3, 4)),
    ("max", lambda x: x.max(), arr(3, 4)),
    ("min", lambda x: x.min(), arr(3, 4)),
    ("max dim", lambda x: x.max(dim=1).values, arr(3, 4)),
    ("min dim keepdim", lambda x: x.min(dim=0, keepdim=True)[0], arr(3, 4)),
    ("cumsum", lambda x: x.cumsum(dim=1), arr(3, 4)),
    ("cumsum axis 0", lambda x: x.cumsum(axis=0), arr(3, 4)),
    ("reshape", lambda x, c=const(4, 3): x.reshape(4, -1) * c, arr(3, 4)),
    ("view", lambda x, c=const(12): x.view(-1) * c, arr(3, 4)),
    ("transpose", lambda x, c=const(4, 3): x.transpose(0, 1) * c, arr(3, 4)),
    ("t", lambda x, c=const(4, 3): x.t() * c, arr(3, 4)),
    ("T", lambda x, c=const(4, 3, 2): x.T * c, arr(2, 3, 4)),
    ("permute", lambda x, c=const(4, 2, 3): x.permute(2, 0, 1) * c, arr(2, 3, 4)),
    ("unsqueeze", lambda x, c=const(3, 2, 4): x.unsqueeze(1) * c, arr(3, 4)),
    ("squeeze", lambda x, c=const(3, 4): x.squeeze() * c, arr(3, 1, 4)),
    ("flatten", lambda x, c=const(2, 12): x.flatten(1) * c, arr(2, 3, 4)),
    ("expand", lambda x, c=const(2, 3, 4): x.expand(2, 3, 4) * c, arr(3, 1)),
    ("index int", lambda x: x[1], arr(3, 4)),
    ("index negative", lambda x: x[-1], arr(3, 4)),
    ("index column", lambda x: x[:, 1], arr(3, 4)),
    ("index element", lambda x: x[1, 2], arr(3, 4)),
    ("index slice", lambda x: x[:, 1:3], arr(3, 4)),
    ("index step", lambda x: x[::2, ::3], arr(5, 7)),
    ("index none ellipsis", lambda x: x[None, ..., 0], arr(3, 4)),
    ("clone", lambda x, c=const(3, 4): x.clone() * c, arr(3, 4)),
    ("contiguous", lambda x, c=const(4, 3): x.T.contiguous() * c, arr(3, 4)),
]


@pytest.mark.parametrize("name,fn,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops(name, fn, x):
    gradcheck(fn, x)


BINARY = [
    ("add", lambda a, b: a + b, arr(3, 4), arr(3, 4)),
    ("add broadcast", lambda a, b: a + b, arr(3, 1), arr(1, 4)),
    ("sub broadcast", lambda a, b: a - b, arr(2, 3, 4), arr(4)),
    ("mul broadcast", lambda a, b: a * b, arr(3, 1), arr(2, 1, 4)),
    ("mul 0-d", lambda a, b: a * b, arr(), arr(3)),
    ("div", lambda a, b: a / b, arr(3, 4), away_from_zero(3, 4)),
    ("div broadcast", lambda a, b: a / b, arr(4), away_from_zero(3, 1)),
    ("pow", lambda a, b: a ** b, arr(3, 4, low=0.3, high=2), arr(3, 4)),
    ("maximum", fg.maximum, arr(3, 4), arr(3, 4)),
    ("minimum broadcast", fg.minimum, arr(3, 4), arr(4)),
    ("max of two", fg.max, arr(3, 4), arr(3, 4)),
    ("where", lambda a, b: fg.where(a > b, a, b * 2), arr(3, 4), arr(4)),
    ("dot", fg.dot, arr(5), arr(5)),
    ("mv", fg.mv, arr(3, 5), arr(5)),
    ("mv transposed", lambda a, x: fg.mv(a.T, x), arr(5, 3), arr(5)),
    ("mm", fg.mm, arr(3, 5), arr(5, 4)),
    ("mm transposed", lambda a, b: fg.mm(a.T, b.T), arr(5, 3), arr(4, 5)),
    ("matmul 1-D 1-D", fg.matmul, arr(4), arr(4)),
    ("matmul 2-D 1-D", fg.matmul, arr(3, 4), arr(4)),
    ("matmul 1-D 2-D", fg.matmul, arr(4), arr(4, 3)),
    ("matmul 3-D 2-D", fg.matmul, arr(2, 3, 4), arr(4, 5)),
    ("matmul batch broadcast", fg.matmul, arr(1, 3, 4), arr(2, 4, 2)),
    ("matmul 4-D", fg.matmul, arr(2, 1, 3, 4), arr(3, 4, 2)),
    ("matmul operator", lambda a, b: a @ b, arr(3, 4), arr(4, 2)),
    ("stack", lambda a, b: fg.stack([a, b, a], dim=1), arr(3, 4), arr(3, 4)),
    ("cat", lambda a, b: fg.cat([a, b], dim=1), arr(3, 4), arr(3, 2)),
    ("cat dim 0", lambda a, b: fg.cat((b, a)), arr(2, 4), arr(3, 4)),
]


@pytest.mark.parametrize("name,fn,a,b", BINARY, ids=[b[0] for b in BINARY])
def test_binary_ops(name, fn, a, b):
    gradcheck(fn, a, b)


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


# ---- fused activations and losses (fastgrad.nn.functional) -----------------------------------
TARGET = fg.tensor([2, 0, 4])            # classes of 3 rows of 5 logits
TARGET_3D = fg.tensor([[1, 0], [3, 3]])  # (N, d1) classes of logits (N, C, d1) = (2, 4, 2)
IGNORED = fg.tensor([2, -100, 4])        # the middle row counts for nothing
NN = [
    ("softmax dim 1", lambda x: F.softmax(x, dim=1), arr(3, 4)),
    ("softmax dim 0", lambda x: F.softmax(x, dim=0), arr(3, 4)),
    ("softmax 3-D middle", lambda x: x.softmax(1), arr(2, 3, 4)),
    ("softmax transposed", lambda x: fg.softmax(x.T, -1), arr(3, 4)),
    ("softmax 0-d", lambda x: F.softmax(x, 0) * x, arr()),
    ("log_softmax dim 1", lambda x: F.log_softmax(x, dim=1), arr(3, 4)),
    ("log_softmax dim 0", lambda x: F.log_softmax(x, dim=0), arr(3, 4)),
    ("log_softmax 3-D last", lambda x: x.log_softmax(-1), arr(2, 3, 4)),
    ("log_softmax large", lambda x: F.log_softmax(x * 300, dim=1), arr(3, 4)),
    ("cross_entropy mean", lambda x: F.cross_entropy(x, TARGET), arr(3, 5)),
    ("cross_entropy sum", lambda x: F.cross_entropy(x, TARGET, reduction="sum"), arr(3, 5)),
    ("cross_entropy none", lambda x: F.cross_entropy(x, TARGET, reduction="none"), arr(3, 5)),
    ("cross_entropy transposed", lambda x: F.cross_entropy(x.T, TARGET), arr(5, 3)),
    ("cross_entropy ignored", lambda x: F.cross_entropy(x, IGNORED), arr(3, 5)),
    ("cross_entropy unbatched", lambda x: F.cross_entropy(x, fg.tensor(3)), arr(5)),
    ("cross_entropy 3-D", lambda x: F.cross_entropy(x, TARGET_3D), arr(2, 4, 2)),
    ("cross_entropy 3-D none", lambda x: F.cross_entropy(x, TARGET_3D, reduction="none"), arr(2, 4, 2)),
    ("relu", F.relu, away_from_zero(3, 4)),
    ("sigmoid", F.sigmoid, arr(3, 4)),
]


@pytest.mark.parametrize("name,fn,x", NN, ids=[u[0] for u in NN])
def test_nn_functional(name, fn, x):
    gradcheck(fn, x)


MSE = [("mean", "mean", arr(3, 4), arr(3, 4)), ("sum", "sum", arr(3, 4), arr(3, 4)),
       ("none", "none", arr(3, 4), arr(3, 4)), ("broadcast", "mean", arr(3, 4), arr(4))]


@pytest.mark.parametrize("name,reduction,a,b", MSE, ids=[m[0] for m in MSE])
def test_mse_loss(name, reduction, a, b, recwarn):
    gradcheck(lambda x, y: F.mse_loss(x, y, reduction=reduction), a, b)


@pytest.mark.parametrize("name,fn,x", NN[:-2], ids=[u[0] for u in NN[:-2]])
def test_composed_rules_equal_the_fused_kernels(name, fn, x):
    """While a backward records its graph (create_graph) the rules use differentiable ops in
    place of the fused kernels: the same gradients."""
    grads = []
    for create_graph in (False, True):
        t = fg.tensor(x, requires_grad=True)
        out = fn(t)
        v = fg.tensor(np.random.default_rng(3).uniform(0.5, 1.5, tuple(out.shape)))
        (g,) = fg.autograd.grad(out, t, v, create_graph=create_graph)
        assert g.requires_grad is create_graph
        grads.append(g.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-14)
