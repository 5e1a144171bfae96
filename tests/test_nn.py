"""fastgrad.nn modules: registration of parameters and sub-modules, traversal, modes, gradient
clearing and printing as torch.nn's; Linear's initialisation; layers and losses against torch
with the same weights."""
import collections
import copy
import math

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="compares with torch, not installed")


def make_net(lib):
    """A module with its own parameter and two children, written the same way for both
    libraries."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.nn.Parameter(lib.ones(2))
            self.body = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
            self.head = lib.nn.Linear(2, 2, bias=False)
            self.note = "plain attribute"

        def forward(self, x):
            return self.head(self.body(x) * self.scale)

    return Net()


def copy_weights(ours, theirs):
    """Gives `ours` the values of torch module `theirs`' parameters, by name."""
    values = dict(theirs.named_parameters())
    with fg.no_grad():
        for name, p in ours.named_parameters():
            p.copy_(fg.tensor(values[name].detach().numpy()))


# ---- Parameter ----------------------------------------------------------------------------------
def test_parameter_is_a_leaf_that_shares_memory():
    data = fg.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, fg.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    data[0] = 5.0
    assert p.tolist() == [5.0, 2.0]
    frozen = nn.Parameter(fg.tensor([1.0]), requires_grad=False)
    assert not frozen.requires_grad
    assert not isinstance(p * 2, nn.Parameter)
    (p * p).sum().backward()
    assert p.grad.tolist() == [10.0, 4.0]
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(fg.tensor([1, 2]))


def test_parameter_deepcopy():
    p = nn.Parameter(fg.tensor([1.0, 2.0]))
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad and q.tolist() == p.tolist()
    with fg.no_grad():
        q.mul_(3)
    assert p.tolist() == [1.0, 2.0]
    net = nn.Sequential(nn.Linear(2, 2))
    twin = copy.deepcopy(net)
    assert [type(p) for p in twin.parameters()] == [nn.Parameter] * 2
    assert all(a is not b and a.tolist() == b.tolist()
               for a, b in zip(net.parameters(), twin.parameters()))


@needs_torch
def test_parameter_repr_matches_torch():
    a = np.array([1.5, -2.0], np.float32)
    assert repr(nn.Parameter(fg.tensor(a))) == repr(torch.nn.Parameter(torch.tensor(a)))


# ---- Module -------------------------------------------------------------------------------------
@needs_torch
def test_named_parameters_and_modules_match_torch():
    ours, theirs = make_net(fg), make_net(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ([tuple(p.shape) for p in ours.parameters()]
            == [tuple(p.shape) for p in theirs.parameters()])
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert ([n for n, _ in ours.named_parameters(recurse=False)]
            == [n for n, _ in theirs.named_parameters(recurse=False)] == ["scale"])
    assert ours.note == "plain attribute" and "note" not in ours._parameters


@needs_torch
def test_repr_matches_torch():
    assert repr(make_net(fg)) == repr(make_net(torch))
    for name in ("ReLU", "Sigmoid", "Tanh", "MSELoss", "CrossEntropyLoss"):
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


@needs_torch
def test_forward_and_gradients_match_torch():
    ours, theirs = make_net(fg), make_net(torch)
    copy_weights(ours, theirs)
    x = np.random.default_rng(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    out_f, out_t = ours(fg.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_f.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out_f ** 2).sum().backward()
    (out_t ** 2).sum().backward()
    grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_shared_parameters_are_listed_once():
    net = nn.Module()
    net.a = nn.Linear(2, 2)
    net.b = net.a
    net.c = nn.Sequential(net.a)
    assert [n for n, _ in net.named_parameters()] == ["a.weight", "a.bias"]
    assert len(list(net.modules())) == 3  # net, the Linear, the Sequential


def test_assignment_rules():
    net = nn.Module()
    net.w = nn.Parameter(fg.zeros(2))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        net.w = fg.zeros(2)
    net.w = None
    assert net.w is None and list(net.parameters()) == []
    net.layer = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'layer'"):
        net.layer = 3
    net.layer = nn.Parameter(fg.zeros(1))  # a parameter replaces a module of the same name
    assert [n for n, _ in net.named_parameters()] == ["layer"] and not net._modules
    del net.layer
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'layer'"):
        net.layer  # noqa: B018
    net.register_parameter("bias", None)
    assert net.bias is None

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(fg.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_train_eval_and_zero_grad():
    net = make_net(fg)
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train(1)
    net(fg.ones(1, 3)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None for g in grads)
    net.zero_grad(set_to_none=False)
    assert [p.grad for p in net.parameters()] == grads  # the same tensors, now zero
    assert all(not g.numpy().any() for g in grads)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ---- layers -------------------------------------------------------------------------------------
def test_linear_initialisation():
    fg.manual_seed(3)
    layer = nn.Linear(400, 30)
    bound = 1 / math.sqrt(400)
    assert tuple(layer.weight.shape) == (30, 400) and tuple(layer.bias.shape) == (30,)
    assert layer.weight.dtype is fg.float32
    for p in (layer.weight, layer.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.8 * bound  # spread over the whole interval
    w = layer.weight.detach().numpy()
    assert abs(w.mean()) < 0.05 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    fg.manual_seed(3)
    again = nn.Linear(400, 30)
    assert np.array_equal(again.weight.numpy(force=True), w)  # drawn from fastgrad's generator
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


@needs_torch
@pytest.mark.parametrize("shape", [(4,), (5, 4), (2, 3, 4)])
def test_linear_matches_torch(shape):
    ours, theirs = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    copy_weights(ours, theirs)
    x = np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32)
    np.testing.assert_allclose(ours(fg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_linear_shape_error_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"5x3 and 4x2"):
        nn.Linear(4, 2)(fg.ones(5, 3))


@needs_torch
@pytest.mark.parametrize("name", ["ReLU", "Sigmoid", "Tanh"])
def test_activations_match_torch(name):
    x = np.linspace(-3, 3, 13).astype(np.float32)
    np.testing.assert_allclose(getattr(nn, name)()(fg.tensor(x)).numpy(),
                               getattr(torch.nn, name)()(torch.tensor(x)).numpy(), rtol=1e-6)


def test_sequential():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    assert isinstance(seq[1:], nn.Sequential) and list(seq[1:]) == layers[1:]
    assert [n for n, _ in seq[1:].named_children()] == ["1", "2"]
    with pytest.raises(IndexError):
        seq[3]  # noqa: B018
    x = fg.ones(4, 2)
    np.testing.assert_array_equal(seq(x).detach().numpy(),
                                  layers[2](layers[1](layers[0](x))).detach().numpy())
    named = nn.Sequential(collections.OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    assert named.act is named[1]


# ---- losses -------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(reduction):
    rng = np.random.default_rng(2)
    pred, target = rng.uniform(-1, 1, (2, 6, 3))
    logits, labels = rng.uniform(-3, 3, (6, 4)), rng.integers(0, 4, 6)
    cases = [("MSELoss", pred, target), ("CrossEntropyLoss", logits, labels)]
    for name, a, b in cases:
        fa = fg.tensor(a, requires_grad=True)
        ta = torch.tensor(a, requires_grad=True)
        f = getattr(nn, name)(reduction=reduction)(fa, fg.tensor(b))
        t = getattr(torch.nn, name)(reduction=reduction)(ta, torch.tensor(b))
        np.testing.assert_allclose(f.detach().numpy(), t.detach().numpy(), rtol=1e-12)
        f.sum().backward()
        t.sum().backward()
        np.testing.assert_allclose(fa.grad.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_loss_modules_take_torchs_options():
    logits, target = fg.tensor([[1.0, 2.0], [0.5, 0.1]]), fg.tensor([0, 1])
    loss = fg.nn.CrossEntropyLoss(ignore_index=1)(logits, target)
    assert loss.item() == pytest.approx(fg.nn.functional.cross_entropy(logits[:1], target[:1]).item())
    assert fg.nn.MSELoss(reduction="sum")(fg.ones(2), fg.zeros(2)).item() == 2.0
