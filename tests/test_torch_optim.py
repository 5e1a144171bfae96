"""fastgrad.optim against torch.optim: each optimizer and option over 20 steps, the state and its
state_dict, an exact resume from a state dict, per-group options, errors and repr; the fused
kernels (csrc/optim.c) against a for-loop reference of the update formula in float64."""
import math

import numpy as np
import pytest

import fastgrad as fg

torch = pytest.importorskip("torch")

# Shapes both below and above the width of torch's vectorized loops (their tails differ).
SHAPES = ((3, 4), (5,), (40,))
STEPS = 20

OPTIONS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, eps=1e-3)),
    ("RMSprop", dict()),
    ("RMSprop", dict(alpha=0.5, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(centered=True, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5,
                     maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.2)),
    ("Adam", dict(lr=0.02, maximize=True, betas=(0.3, 0.6))),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.1)),
    # the second batch (tests/test_torch_optim_more.py has the rest of their tests)
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.6), weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1, maximize=True)),
]
# SGD, Adamax, RAdam and ASGD are bit for bit. The others divide by a square root, which torch's
# CPU build computes with MKL's vector math, not correctly rounded (torch.tensor(a).sqrt() differs
# from numpy's and ours in the last bit for ~20% of float32 values): a last-bit difference per
# step, hence a tolerance.
TOL = {"float32": dict(rtol=2e-6, atol=1e-6), "float64": dict(rtol=1e-13, atol=1e-14)}


def _grads(dtype, steps, seed=0):
    rng = np.random.default_rng(seed)
    start = [rng.uniform(-1, 1, s).astype(dtype) for s in SHAPES]
    return start, [[rng.uniform(-1, 1, s).astype(dtype) for s in SHAPES] for _ in range(steps)]


def _train(lib, name, options, dtype, steps=STEPS, opt=None, params=None, first=0):
    start, grads = _grads(dtype, first + steps)
    if params is None:
        params = [lib.tensor(a, requires_grad=True) for a in start]
    opt = opt or getattr(lib.optim, name)(params, **options)
    for step in grads[first:]:
        for p, g in zip(params, step):
            p.grad = lib.tensor(g)
        opt.step()
    return params, opt


EXACT = ("SGD", "Adamax", "RAdam", "ASGD")


def _same(a, b, name, dtype):
    if name in EXACT:
        assert a.tobytes() == b.tobytes()
    else:
        np.testing.assert_allclose(a, b, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, options", OPTIONS, ids=lambda x: str(x))
def test_optimizer_matches_torch(name, options, dtype):
    ours, f_opt = _train(fg, name, options, dtype)
    theirs, t_opt = _train(torch, name, options, dtype)
    for f, t in zip(ours, theirs):
        _same(f.detach().numpy(), t.detach().numpy(), name, dtype)
        f_state, t_state = f_opt.state[f], t_opt.state[t]
        assert list(f_state) == list(t_state)
        for key, value in t_state.items():
            assert f_state[key].dtype.itemsize == value.dtype.itemsize
            assert tuple(f_state[key].shape) == tuple(value.shape)
            _same(f_state[key].numpy(), value.numpy(), name, dtype)
    f_dict, t_dict = f_opt.state_dict(), t_opt.state_dict()
    assert f_dict["param_groups"] == t_dict["param_groups"]
    assert list(f_dict["state"]) == list(t_dict["state"]) == [0, 1, 2]
    assert repr(f_opt) == repr(t_opt)


@pytest.mark.parametrize("name, options", [OPTIONS[1], OPTIONS[4], OPTIONS[6], OPTIONS[8],
                                           OPTIONS[11], *OPTIONS[17::2]], ids=lambda x: str(x))
def test_resume_from_state_dict_is_exact(name, options):
    """Train 7 steps, save, load into a fresh optimizer of fresh parameters, continue: the same
    bits as 15 uninterrupted steps."""
    whole, _ = _train(fg, name, options, "float32", steps=15)
    params, opt = _train(fg, name, options, "float32", steps=7)
    saved = opt.state_dict()
    fresh = [fg.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    resumed = getattr(fg.optim, name)(fresh, lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == options.get("lr", opt.defaults["lr"])
    assert resumed.param_groups[0]["params"] == fresh
    _train(fg, name, options, "float32", steps=8, opt=resumed, params=fresh, first=7)
    for a, b in zip(whole, fresh):
        assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes()


def test_load_state_dict_of_torch_and_errors():
    """A torch state dict (converted tensor by tensor) loads; mismatched groups are refused with
    torch's words."""
    theirs, t_opt = _train(torch, "Adam", {}, "float64", steps=3)
    ours, f_opt = _train(fg, "Adam", {}, "float64", steps=0)
    saved = t_opt.state_dict()
    saved["state"] = {k: {n: fg.tensor(v.numpy()) for n, v in s.items()}
                      for k, s in saved["state"].items()}
    f_opt.load_state_dict(saved)
    assert f_opt.state[ours[0]]["step"].item() == 3.0
    assert f_opt.state[ours[0]]["step"].dtype is fg.float32
    two = fg.optim.Adam([{"params": ours[:1]}, {"params": ours[1:]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(saved)
    one = fg.optim.Adam(ours[:2])
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        one.load_state_dict(saved)


def test_per_group_options_and_add_param_group():
    def make(lib, ps):
        opt = lib.optim.SGD([{"params": ps[:1], "momentum": 0.5}, {"params": ps[1:2], "lr": 0.5}],
                            lr=0.1, momentum=0.9, nesterov=False)
        opt.add_param_group({"params": ps[2], "weight_decay": 0.2})
        return opt
    results = []
    for lib in (fg, torch):
        start, grads = _grads("float32", 5)
        params = [lib.tensor(a, requires_grad=True) for a in start]
        opt = make(lib, params)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = lib.tensor(g)
            opt.step()
        results.append(([p.detach().numpy() for p in params], opt))
    (ours, f_opt), (theirs, t_opt) = results
    for a, b in zip(ours, theirs):
        assert a.tobytes() == b.tobytes()
    assert f_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]
    assert [g["lr"] for g in f_opt.param_groups] == [0.1, 0.5, 0.1]
    assert repr(f_opt) == repr(t_opt)  # the groups apart by a blank line


def test_a_parameter_without_grad_gets_no_state():
    p = fg.tensor([1.0, 2.0], requires_grad=True)
    opt = fg.optim.Adam([p])
    assert opt.step(lambda: 7.0) == 7.0 and not opt.state and p.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("name, options, message", [
    ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("SGD", dict(weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
    ("Adam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("AdamW", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("RMSprop", dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adamax", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(eps=-1), "Invalid epsilon value: -1"),
    ("ASGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
], ids=lambda x: str(x))
def test_argument_errors_match_torch(name, options, message):
    for lib in (fg, torch):
        with pytest.raises(ValueError, match=message):
            getattr(lib.optim, name)([lib.zeros(2, requires_grad=True)], **options)


def test_param_errors_match_torch():
    for lib in (fg, torch):
        p = lib.zeros(2, requires_grad=True)
        with pytest.raises(TypeError, match="but got torch.FloatTensor"):
            lib.optim.SGD(p)
        with pytest.raises(TypeError, match="organized in ordered collections"):
            lib.optim.SGD([{"params": {p}}])
        with pytest.raises(TypeError, match="param_group must be a dict"):
            lib.optim.SGD([p]).add_param_group([p])


# ---- the kernels against the update formulas, written out in float64 ------------------------
def _reference(name, hp, p, g, state, step):
    """One update of plain float lists (each operation rounded once, no fused multiply-add)."""
    out = []
    for i in range(len(p)):
        x, gi = p[i], g[i]
        if name == "sgd":
            lr, wd, mom, damp = hp
            gi = gi + wd * x
            buf = state["buf"][i] * mom + (1 - damp) * gi if step > 1 else gi
            state["buf"][i] = buf
            x = x - lr * (gi + mom * buf)  # nesterov
        elif name == "adam":
            lr, b1, b2, eps, wd = hp
            gi = gi + wd * x
            m = state["m"][i] + (1 - b1) * (gi - state["m"][i])
            v = state["v"][i] * b2 + (1 - b2) * gi * gi
            state["m"][i], state["v"][i] = m, v
            x = x - lr / (1 - b1 ** step) * m / (math.sqrt(v) / math.sqrt(1 - b2 ** step) + eps)
        elif name == "rmsprop":
            lr, alpha, eps, wd, mom = hp
            sq = state["sq"][i] * alpha + (1 - alpha) * gi * gi
            ga = state["ga"][i] + (1 - alpha) * (gi - state["ga"][i])
            buf = state["buf"][i] * mom + gi / (math.sqrt(sq - ga * ga) + eps)
            state["sq"][i], state["ga"][i], state["buf"][i] = sq, ga, buf
            x = x - lr * buf
        elif name == "adagrad":
            lr, lr_decay, eps, wd = hp
            s = state["sum"][i] + gi * gi
            state["sum"][i] = s
            x = x - lr / (1 + (step - 1) * lr_decay) * gi / (math.sqrt(s) + eps)
        else:
            x = _reference_more(name, hp, x, gi, state, step, i)
        out.append(x)
    return out


def _reference_more(name, hp, x, g, state, t, i):
    """The second batch's updates of element i (state["m"], ["v"]: the two moments)."""
    m, v = state["m"][i], state["v"][i]
    if name == "adadelta":
        lr, rho, eps, wd = hp
        g = g + wd * x
        v = v * rho + (1 - rho) * g * g
        delta = math.sqrt(m + eps) / math.sqrt(v + eps) * g
        state["m"][i], state["v"][i] = m * rho + (1 - rho) * delta * delta, v
        return x - lr * delta
    if name == "asgd":  # eta and mu: 0-d float32 tensors
        lr, lambd, alpha, t0, wd = hp
        eta, mu = (lr, 1.0) if t == 1 else (lr / (1 + lambd * lr * (t - 1)) ** alpha,
                                            1 / max(1, t - 1 - t0))
        eta, mu = float(np.float32(eta)), float(np.float32(mu))
        x = x * (1 - lambd * eta) - eta * (g + wd * x)
        state["m"][i] = m + (x - m) * mu
        return x
    lr, b1, b2, eps, wd = hp[:5]
    g = g + wd * x
    m = m + (1 - b1) * (g - m)
    state["m"][i] = m
    if name == "adamax":
        state["v"][i] = max(v * b2, abs(g) + eps)
        return x - lr / (1 - b1 ** t) * m / state["v"][i]
    v = state["v"][i] = v * b2 + (1 - b2) * g * g
    if name == "nadam":
        mus = [b1 * (1 - 0.5 * 0.96 ** (k * hp[5])) for k in range(1, t + 2)]
        product = 1.0  # a 0-d float32 tensor
        for mu in mus[:t]:
            product = float(np.float32(product) * np.float32(mu))
        denom = math.sqrt(v / (1 - b2 ** t)) + eps
        return x - lr * (1 - mus[t - 1]) / (1 - product) * g / denom \
            - lr * mus[t] / (1 - product * mus[t]) * m / denom
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    if rho <= 5:
        return x - m / (1 - b1 ** t) * lr
    rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    adaptive = math.sqrt(1 - b2 ** t) / (math.sqrt(v) + eps) * rect
    return x - m / (1 - b1 ** t) * lr * adaptive


KERNEL_CASES = [("sgd", "SGD", [0.1, 0.05, 0.9, 0.0], dict(lr=0.1, momentum=0.9, nesterov=True,
                                                              weight_decay=0.05)),
                ("sgd", "SGD", [0.1, 0.05, 0.0, 0.0], dict(lr=0.1, weight_decay=0.05)),
                ("adam", "Adam", [0.01, 0.9, 0.999, 1e-8, 0.1], dict(lr=0.01, weight_decay=0.1)),
                ("rmsprop", "RMSprop", [0.01, 0.9, 1e-8, 0.0, 0.5],
                 dict(alpha=0.9, momentum=0.5, centered=True)),
                ("adagrad", "Adagrad", [0.1, 0.01, 1e-10, 0.0], dict(lr=0.1, lr_decay=0.01)),
                ("adadelta", "Adadelta", [0.5, 0.8, 1e-6, 0.1],
                 dict(lr=0.5, rho=0.8, weight_decay=0.1)),
                ("adamax", "Adamax", [0.01, 0.8, 0.9, 1e-8, 0.1],
                 dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
                ("nadam", "NAdam", [0.01, 0.9, 0.999, 1e-8, 0.1, 0.004],
                 dict(lr=0.01, weight_decay=0.1)),
                ("radam", "RAdam", [0.01, 0.5, 0.8, 1e-8, 0.1],  # rectified from step 7
                 dict(lr=0.01, betas=(0.5, 0.8), weight_decay=0.1)),
                ("asgd", "ASGD", [0.1, 0.01, 0.5, 2, 0.1],
                 dict(lr=0.1, lambd=0.01, alpha=0.5, t0=2, weight_decay=0.1))]


@pytest.mark.parametrize("name, cls, hp, options", KERNEL_CASES, ids=lambda x: str(x))
def test_kernels_match_a_float64_reference(name, cls, hp, options):
    start, grads = _grads("float64", 8)
    p = fg.tensor(start[2], requires_grad=True)
    opt = getattr(fg.optim, cls)([p], **options)
    expected = list(start[2])
    state = {k: [0.0] * len(expected) for k in ("buf", "m", "v", "sq", "ga", "sum")}
    for step, g in enumerate(grads, 1):
        p.grad = fg.tensor(g[2])
        opt.step()
        expected = _reference(name, hp, expected, list(g[2]), state, step)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [dict(), dict(weight_decay=0.05, maximize=True)], ids=str)
def test_sgd_updates_a_group_in_one_call_as_one_by_one(dtype, options):
    """Momentum-free SGD updates a group in one kernel call (fg_sgd_steps): bit for bit what
    one call per parameter gives (the path of a non-contiguous parameter, and of a recorded
    step)."""
    start, grads = _grads(dtype, 3)
    group = [fg.tensor(a, requires_grad=True) for a in start]
    # a transposed (non-contiguous) parameter sends the whole group one by one
    single = [fg.tensor(a.T.copy()).t().requires_grad_() for a in start]
    for params in (group, single):
        opt = fg.optim.SGD(params, lr=0.1, **options)
        for g in grads:
            for p, gp in zip(params, g):
                p.grad = fg.tensor(gp)
            opt.step()
    for a, b in zip(group, single):
        assert a.detach().numpy().tobytes() == np.ascontiguousarray(b.detach().numpy()).tobytes()


def test_sgd_group_call_checks_every_parameter_first():
    from fastgrad._fastgrad_c import ffi, lib
    params = [fg.ones(3), fg.ones(2)]
    grads = [fg.ones(3), fg.ones(2)]
    status = lib.fg_sgd_steps(fg.float32.code, 2, [3, -1], 0, [0.1, 0, 0, 0],
                              [p._ptr for p in params], [g._ptr for g in grads])
    assert status == lib.FG_ESIZE and params[0].tolist() == [1.0, 1.0, 1.0]


def test_mismatched_state_is_refused_before_the_kernel():
    """A loaded state of the wrong size would make the kernel write past its memory."""
    params, opt = _train(fg, "Adam", {}, "float32", steps=1)
    saved = opt.state_dict()
    saved["state"][0]["exp_avg_sq"] = fg.zeros(2)
    opt.load_state_dict(saved)
    with pytest.raises(RuntimeError, match=r"adam: a gradient or state tensor of shape \(2,\)"):
        opt.step()
    saved["state"][0].update(exp_avg_sq=fg.zeros(3, 4), step=fg.zeros(2))
    opt.load_state_dict(saved)
    with pytest.raises(RuntimeError, match="the step count must have one element, not 2"):
        opt.step()


def test_kernel_refuses_bad_dtypes():
    p = fg.zeros(3, dtype=fg.int64)
    p.grad = fg.zeros(3, dtype=fg.int64)
    opt = fg.optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="sgd is not implemented for dtype"):
        opt.step()


# ---- learning-rate schedules ------------------------------------------------------------------
SCHEDULES = {
    "StepLR": lambda L, o: L.StepLR(o, 4, 0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [3, 7, 7, 20], 0.3),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.93),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 7, 0.01),
    "LambdaLR": lambda L, o: L.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97),
    "LinearLR": lambda L, o: L.LinearLR(o, 0.2, 0.9, 10),
    "ConstantLR": lambda L, o: L.ConstantLR(o, 0.4, 6),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, [1.0, 0.5], total_steps=30),
    "OneCycleLR-three-phase-linear": lambda L, o: L.OneCycleLR(
        o, 1.0, epochs=3, steps_per_epoch=10, three_phase=True, anneal_strategy="linear"),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, 1.0, 5), L.CosineAnnealingLR(o, 10)], [5]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler([L.ExponentialLR(o, 0.9),
                                                         L.StepLR(o, 3, 0.5)]),
    "ReduceLROnPlateau": lambda L, o: L.ReduceLROnPlateau(o, patience=1, min_lr=[0.05, 0.2],
                                                          eps=0.01),
    "ReduceLROnPlateau-max-abs": lambda L, o: L.ReduceLROnPlateau(
        o, mode="max", factor=0.5, patience=2, threshold=0.1, threshold_mode="abs", cooldown=2,
        min_lr=0.01),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.01, [0.1, 0.5], step_size_up=4),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, [0.01, 0.02], 0.2, 3, 5, "triangular2",
                                                    base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range",
                                                  gamma=0.9, cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
}
METRICS = [1.0 / (1 + k % 7) + (0.5 if k > 15 else 0) for k in range(30)]


def _schedule(lib, make, optimizer="SGD", steps=30):
    """The rates (and momenta, betas) after each of `steps` epochs, two groups."""
    opt = getattr(lib.optim, optimizer)(
        [{"params": [lib.zeros(2, requires_grad=True)]},
         {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.3}],
        lr=0.1, **({"momentum": 0.9} if optimizer == "SGD" else {}))
    scheduler = make(lib.optim.lr_scheduler, opt)
    seen = []
    for metric in [None] + METRICS[:steps]:
        if metric is not None:
            opt.step()
            scheduler.step(metric) if "Plateau" in type(scheduler).__name__ else scheduler.step()
        seen.append((scheduler.get_last_lr(),
                     [g.get("momentum", g.get("betas")) for g in opt.param_groups]))
    return seen, scheduler


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_torch(name):
    """The same floats, bit for bit, and a state dict with torch's keys."""
    ours, f_sched = _schedule(fg, SCHEDULES[name])
    theirs, t_sched = _schedule(torch, SCHEDULES[name])
    assert ours == theirs
    assert sorted(f_sched.state_dict()) == sorted(t_sched.state_dict())
    if name.startswith(("OneCycleLR", "CyclicLR")) and "exp_range" not in name:
        assert _schedule(fg, SCHEDULES[name], "Adam")[0] == \
            _schedule(torch, SCHEDULES[name], "Adam")[0]  # Adam's beta1 cycles


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "ConstantLR", "PolynomialLR"])
def test_schedule_step_with_epoch_uses_the_closed_form(name):
    """The deprecated step(epoch): a warning, then torch's closed form at that epoch."""
    seen = []
    for lib in (fg, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        scheduler = SCHEDULES[name](lib.optim.lr_scheduler, opt)
        opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
            scheduler.step(7)
        seen.append(scheduler.get_last_lr())
    assert seen[0] == seen[1]


def test_tensor_learning_rate():
    """lr given as a 0-d tensor, as torch allows (its value read as a Python float)."""
    runs = []
    for lib in (fg, torch):
        params, _ = _train(lib, "SGD", dict(lr=lib.tensor(0.1), momentum=0.9), "float32", steps=3)
        runs.append(params[0].detach().numpy())
    assert runs[0].tobytes() == runs[1].tobytes()


def test_schedule_resumes_from_state_dict():
    make = SCHEDULES["CosineAnnealingLR"]
    whole, _ = _schedule(fg, make, steps=20)
    part, scheduler = _schedule(fg, make, steps=8)
    opt = scheduler.optimizer
    again = fg.optim.SGD([{"params": g["params"]} for g in opt.param_groups], lr=0.1,
                         momentum=0.9)
    again.load_state_dict(opt.state_dict())
    resumed = fg.optim.lr_scheduler.CosineAnnealingLR(again, 7, 0.01)
    resumed.load_state_dict(scheduler.state_dict())
    for _ in range(12):
        again.step()
        resumed.step()
        part.append((resumed.get_last_lr(), [g["momentum"] for g in again.param_groups]))
    assert part == whole


def test_schedule_warnings_and_errors():
    opt = fg.optim.SGD([fg.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = fg.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        scheduler.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()
    L = fg.optim.lr_scheduler
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        L.StepLR(3, 2)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        L.OneCycleLR(opt, 1.0, total_steps=0)
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        one = L.OneCycleLR(opt, 1.0, total_steps=2)
        for _ in range(3):
            opt.step()
            one.step()
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        L.StepLR(fg.optim.SGD([fg.zeros(1, requires_grad=True)]), 2, last_epoch=3)


# ---- gradient clipping and parameter vectors ---------------------------------------------------
def _with_grads(lib, dtype="float32"):
    _, grads = _grads(dtype, 1, seed=3)
    params = [lib.ones(s, dtype=getattr(lib, dtype), requires_grad=True) for s in SHAPES]
    for p, g in zip(params, grads[0]):
        p.grad = lib.tensor(g * 4)
    return params


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1), (0.7, "inf"),
                                                 (1e3, 2.0), (2.0, 3.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, dtype):
    """torch's formula; the norms themselves (linalg.vector_norm) sum in another order than
    torch's vectorized reduction, so the last bits may differ (1, inf: exact in float32)."""
    ours, theirs = _with_grads(fg, dtype), _with_grads(torch, dtype)
    f_total = fg.nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert f_total.dtype.itemsize == t_total.dtype.itemsize and f_total.shape == ()
    np.testing.assert_allclose(f_total.numpy(), t_total.numpy(), rtol=1e-6)
    for f, t in zip(ours, theirs):
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-6)
    if max_norm < 1e3:  # clipped to the norm asked for
        assert abs(float(fg.nn.utils.clip_grad_norm_(ours, 1e9, norm_type)) - max_norm) < 1e-5


def test_clip_grad_value_and_errors():
    ours, theirs = _with_grads(fg), _with_grads(torch)
    fg.nn.utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for f, t in zip(ours, theirs):
        assert f.grad.numpy().tobytes() == t.grad.numpy().tobytes()
    assert max(float(p.grad.abs().max()) for p in ours) == 0.5
    ours[0].grad[0] = float("nan")
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        fg.nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert np.isnan(float(fg.nn.utils.clip_grad_norm_(ours, 1.0)))
    assert float(fg.nn.utils.clip_grad_norm_([fg.zeros(2, requires_grad=True)], 1.0)) == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        fg.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_parameter_vectors_match_torch():
    for lib in (fg, torch):
        params = [lib.ones(2, 3, requires_grad=True), lib.zeros(4, requires_grad=True)]
        vec = lib.nn.utils.parameters_to_vector(params)
        assert vec.shape == (10,) and vec.grad_fn.name() == "CatBackward0"
        lib.nn.utils.vector_to_parameters(lib.arange(10.0), params)
        assert params[0].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        assert params[1].tolist() == [6.0, 7.0, 8.0, 9.0] and params[1].requires_grad
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1.0], params)


@pytest.mark.parametrize("name, options", [OPTIONS[1], OPTIONS[4], OPTIONS[8], OPTIONS[11],
                                           *OPTIONS[17::2]], ids=lambda x: str(x))
def test_compiled_training_step_replays(name, options):
    """A compiled step that calls optimizer.step(): the fused kernel is recorded and replayed,
    with the same bits as eager steps."""
    runs = []
    for compile_it in (False, True):
        start, _ = _grads("float32", 0)
        params = [fg.tensor(a, requires_grad=True) for a in start[:2]]
        opt = getattr(fg.optim, name)(params, **options)
        x = fg.tensor(np.linspace(-1, 1, 4, dtype=np.float32))

        def step(x):
            opt.zero_grad()
            loss = (fg.tanh(params[0] @ x + params[1][:3]) ** 2).sum()
            loss.backward()
            opt.step()
            return loss.detach()
        run = fg.compile(step, fullgraph=True) if compile_it else step
        runs.append([run(x).item() for _ in range(6)] + [p.detach().numpy() for p in params])
        if compile_it:
            assert run.plan is not None and "_step" in str(run.plan)
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


def test_an_optimizer_written_as_for_torch():
    """A subclass with its own step(), using self.state[p] as torch's code does; a scheduler
    sees its steps (no order warning)."""
    class Momentum(fg.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @fg.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    state["velocity"] = state.get("velocity", 0) * 0.9 + p.grad
                    p.sub_(group["lr"] * state["velocity"])

    p = fg.tensor([1.0, -2.0], requires_grad=True)
    opt = Momentum([p])
    scheduler = fg.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    for _ in range(2):
        p.grad = fg.tensor([1.0, 1.0])
        opt.step()
        scheduler.step()  # warns if the step was not seen
    assert p.tolist() == pytest.approx([1.0 - 0.1 - 0.05 * 1.9, -2.0 - 0.1 - 0.05 * 1.9])
    assert opt.param_groups[0]["lr"] == 0.025
    assert opt.state_dict()["state"][0]["velocity"].tolist() == pytest.approx([1.9, 1.9])
