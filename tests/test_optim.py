"""fastgrad.optim against torch.optim: the same parameters, data and steps must end with the same
parameters (up to float rounding), for SGD with and without momentum, dampening, Nesterov and
weight decay, and Adam with and without weight decay. Also gradient clearing and errors."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import optim

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="compares with torch, not installed")

TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _init(dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1, 1, shape).astype(dtype) for shape in ((3, 4), (4,), (4, 2))]
    data = rng.uniform(-1, 1, (5, 3)).astype(dtype), rng.uniform(-1, 1, (5, 2)).astype(dtype)
    return arrays, data


def _loss(lib, params, data):
    """A small tanh network's squared error: every parameter gets a nonzero gradient."""
    w1, b1, w2 = params
    x, y = (lib.tensor(a) for a in data)
    return ((lib.tanh(x @ w1 + b1) @ w2 - y) ** 2).mean()


def _train(lib, make_optimizer, dtype, steps=6, set_to_none=True):
    arrays, data = _init(dtype)
    params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    opt = make_optimizer(lib, params)
    for _ in range(steps):
        opt.zero_grad(set_to_none=set_to_none)
        _loss(lib, params, data).backward()
        opt.step()
    return params, opt


def _assert_same_training(make_optimizer, dtype, **kwargs):
    ours, _ = _train(fg, make_optimizer, dtype, **kwargs)
    theirs, _ = _train(torch, make_optimizer, dtype, **kwargs)
    start, _ = _init(dtype)
    for f, t, a in zip(ours, theirs, start):
        assert not np.allclose(t.detach().numpy(), a)  # the parameters did move
        np.testing.assert_allclose(f.detach().numpy(), t.detach().numpy(), **TOL[dtype])


SGD_OPTIONS = [dict(), dict(momentum=0.9), dict(weight_decay=0.1),
               dict(momentum=0.8, weight_decay=0.05, dampening=0.3),
               dict(momentum=0.9, nesterov=True)]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_sgd_matches_torch(dtype, options):
    _assert_same_training(lambda lib, ps: lib.optim.SGD(ps, lr=0.1, **options), dtype)


ADAM_OPTIONS = [dict(), dict(lr=0.05, betas=(0.8, 0.99)), dict(weight_decay=0.1, eps=1e-6)]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_matches_torch(dtype, options):
    _assert_same_training(lambda lib, ps: lib.optim.Adam(ps, **options), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_capturable_adam_computes_the_same_numbers(dtype, options):
    """capturable=True computes the bias corrections with kernels, in float64 as Python does:
    bit for bit the same parameters; its step count is a tensor, as torch's."""
    ours, opt = _train(fg, lambda lib, ps: lib.optim.Adam(ps, **options), dtype)
    captured, captured_opt = _train(
        fg, lambda lib, ps: lib.optim.Adam(ps, capturable=True, **options), dtype)
    for a, b in zip(ours, captured):
        assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes()
    step = captured_opt.state[captured[0]]["step"]
    assert isinstance(step, fg.Tensor) and step.item() == 6.0 and step.dtype is fg.float32


@needs_torch
def test_zero_grad_in_place_matches_torch():
    _assert_same_training(lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9), "float64",
                          set_to_none=False)


@needs_torch
def test_param_groups_match_torch():
    def make(lib, ps):
        return lib.optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5}], lr=0.1,
                             momentum=0.5)
    _assert_same_training(make, "float64")
    ours, opt = _train(fg, make, "float64")
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.5, 0.5]


@needs_torch
def test_state_matches_torch():
    """SGD's first momentum buffer is the gradient itself; Adam counts steps and keeps both
    moment estimates."""
    ours, f_opt = _train(fg, lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9), "float64",
                         steps=1)
    theirs, t_opt = _train(torch, lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9),
                           "float64", steps=1)
    for f, t in zip(ours, theirs):
        buf = f_opt.state[f]["momentum_buffer"]
        np.testing.assert_allclose(buf.numpy(), f.grad.numpy(), rtol=0, atol=0)
        np.testing.assert_allclose(buf.numpy(), t_opt.state[t]["momentum_buffer"].numpy())
    ours, f_opt = _train(fg, lambda lib, ps: lib.optim.Adam(ps), "float64", steps=3)
    theirs, t_opt = _train(torch, lambda lib, ps: lib.optim.Adam(ps), "float64", steps=3)
    for f, t in zip(ours, theirs):
        state, expected = f_opt.state[f], t_opt.state[t]
        assert state["step"] == int(expected["step"]) == 3
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(state[key].numpy(), expected[key].numpy(), rtol=1e-12)


def test_step_skips_parameters_without_grad_and_returns_closure_loss():
    used = fg.tensor([1.0, 2.0], requires_grad=True)
    unused = fg.tensor([3.0], requires_grad=True)
    opt = optim.SGD([used, unused], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (used * used).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 5.0
    assert used.tolist() == [0.0, 0.0]  # x - 0.5 * 2x
    assert unused.tolist() == [3.0] and unused.grad is None
    assert used.is_leaf and used.requires_grad


def test_zero_grad():
    p = fg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_errors():
    p = fg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        optim.Adam([p], eps=-1.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.Adam(p)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is int"):
        optim.SGD([p, 3], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):  # torch warns, for now
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


@needs_torch
def test_in_place_helpers_match_torch():
    """The Tensor methods the optimizers use: add_/sub_ with alpha, addcmul_, addcdiv_, lerp_."""
    rng = np.random.default_rng(1)
    a, b, c = (rng.uniform(0.5, 2, 6) for _ in range(3))
    for method, args, kwargs in [("add_", (b,), dict(alpha=-0.3)), ("sub_", (b,), dict(alpha=2)),
                                 ("addcmul_", (b, c), dict(value=0.7)),
                                 ("addcdiv_", (b, c), dict(value=-1.5)),
                                 ("lerp_", (b, 0.1), {}), ("lerp_", (b, 0.9), {})]:
        f, t = fg.tensor(a), torch.tensor(a)
        f_args = [fg.tensor(x) if isinstance(x, np.ndarray) else x for x in args]
        t_args = [torch.tensor(x) if isinstance(x, np.ndarray) else x for x in args]
        assert getattr(f, method)(*f_args, **kwargs) is f
        getattr(t, method)(*t_args, **kwargs)
        np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-15, atol=1e-15, err_msg=method)
    f = fg.tensor(a).add(fg.tensor(b), alpha=3)
    np.testing.assert_allclose(f.numpy(), torch.tensor(a).add(torch.tensor(b), alpha=3).numpy())


def test_repr():
    p = fg.tensor([1.0], requires_grad=True)
    assert repr(optim.SGD([p], lr=0.1)).splitlines()[:3] == ["SGD (", "Parameter Group 0",
                                                             "    dampening: 0"]
