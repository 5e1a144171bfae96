"""fastgrad.optim against torch.optim, the second batch: Adadelta, Adamax, NAdam, RAdam and ASGD
(their options, state and exact resume are among tests/test_torch_optim.py's cases; here torch's
state dicts and the state scalars), hyper-parameters a compiled step reads at each replay (a
scheduler's learning rate), L-BFGS."""
import numpy as np
import pytest

import fastgrad as fg
from test_torch_optim import _same, _train  # (which skips without torch)

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["NAdam", "ASGD"])
def test_torch_state_dict_resumes_in_float64(name):
    """torch's state dict loads (its 0-d state scalars cast to the parameters' float64, as torch
    casts them) and the run goes on as torch's."""
    options = dict(lr=0.1, lambd=0.01, t0=2) if name == "ASGD" else dict(lr=0.01,
                                                                           weight_decay=0.1)
    theirs, t_opt = _train(torch, name, options, "float64", steps=4)
    ours, f_opt = _train(fg, name, options, "float64", steps=0)
    saved = t_opt.state_dict()
    saved["state"] = {k: {n: fg.tensor(v.numpy()) for n, v in s.items()}
                      for k, s in saved["state"].items()}
    for p, t in zip(ours, theirs):
        p.data = fg.tensor(t.detach().numpy().copy())
    f_opt.load_state_dict(saved)
    t_opt.load_state_dict(t_opt.state_dict())
    assert [v.dtype.itemsize for v in f_opt.state[ours[0]].values()] == \
        [v.dtype.itemsize for v in t_opt.state[theirs[0]].values()]
    _train(fg, name, options, "float64", steps=3, opt=f_opt, params=ours, first=4)
    _train(torch, name, options, "float64", steps=3, opt=t_opt, params=theirs, first=4)
    for f, t in zip(ours, theirs):
        _same(f.detach().numpy(), t.detach().numpy(), name, "float64")


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "LBFGS"])
def test_a_tensor_lr_of_several_elements_is_refused(name):
    for lib in (fg, torch):
        with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
            getattr(lib.optim, name)([lib.zeros(2, requires_grad=True)], lr=lib.ones(2))


def test_mismatched_state_scalar_is_refused_before_the_kernel():
    params, opt = _train(fg, "NAdam", {}, "float32", steps=1)
    opt.state[params[0]]["mu_product"] = fg.zeros(2)
    with pytest.raises(RuntimeError, match="nadam: a state scalar must have one element, not 2"):
        opt.step()


# ---- a compiled step reads the hyper-parameters the optimizer has at each call ---------------
def _compiled_run(name, options, compile_it, schedule, calls=8):
    rng = np.random.default_rng(1)
    params = [fg.tensor(rng.uniform(-1, 1, s).astype(np.float32), requires_grad=True)
              for s in ((3, 4), (3,))]
    opt = getattr(fg.optim, name)(params, **options)
    sched = schedule(opt)
    x = fg.tensor(np.linspace(-1, 1, 4, dtype=np.float32))

    def step(x):
        opt.zero_grad()
        loss = (fg.tanh(params[0] @ x + params[1]) ** 2).sum()
        loss.backward()
        opt.step()
        return loss.detach()
    run = fg.compile(step, fullgraph=True) if compile_it else step
    losses = []
    for _ in range(calls):
        losses.append(run(x).item())
        sched.step()
    return losses + [p.detach().numpy() for p in params], run


@pytest.mark.parametrize("name, options, schedule", [
    ("SGD", dict(lr=0.1, momentum=0.9), lambda o: fg.optim.lr_scheduler.StepLR(o, 2, 0.5)),
    ("NAdam", dict(lr=0.05), lambda o: fg.optim.lr_scheduler.StepLR(o, 3, 0.1)),
    ("Adam", dict(lr=0.05), lambda o: fg.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=9)),
], ids=["SGD-StepLR", "NAdam-StepLR", "Adam-OneCycleLR(betas)"])
def test_compiled_step_follows_a_scheduler(name, options, schedule):
    """A scheduler outside the compiled step changes lr (OneCycleLR also the betas) between
    calls: the replayed kernels read the new values, as the eager run does."""
    eager, _ = _compiled_run(name, options, False, schedule)
    compiled, run = _compiled_run(name, options, True, schedule)
    assert run.plan is not None
    for a, b in zip(eager, compiled):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("scheduler_first", [False, True])
def test_a_scheduler_stepping_inside_a_compiled_step_is_refused(scheduler_first):
    """A replay would not run the scheduler's Python: the step runs eagerly, with a warning."""
    p = fg.tensor([1.0, 2.0], requires_grad=True)
    opt = fg.optim.SGD([p], lr=0.1)
    opt.step()  # (no order warning when the scheduler steps first)
    sched = fg.optim.lr_scheduler.ExponentialLR(opt, 0.5)

    def step():
        if scheduler_first:
            sched.step()
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        if not scheduler_first:
            sched.step()
    run = fg.compile(step)
    with pytest.warns(UserWarning, match="changes an optimizer's hyper-parameters"):
        for _ in range(4):
            run()
    assert run.plan is None
    assert opt.param_groups[0]["lr"] == 0.1 * 0.5 ** 4


# ---- L-BFGS on a small least-squares problem -------------------------------------------------
def _least_squares(lib, dtype, calls=3, **options):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((20, 5)).astype(dtype))
    b = lib.tensor(rng.standard_normal(20).astype(dtype))
    w = lib.tensor(np.zeros(5, dtype), requires_grad=True)
    c = lib.tensor(np.zeros(1, dtype), requires_grad=True)
    opt = lib.optim.LBFGS([w, c], **options)

    def closure():
        opt.zero_grad()
        loss = ((a @ w + c - b) ** 2).mean()
        loss.backward()
        return loss
    losses = [opt.step(closure).item() for _ in range(calls)]
    return losses, [w, c], opt


# float64 throughout: torch's vector updates are fused multiply-adds and its dot products BLAS's,
# ours round each operation; in float32 those last-bit differences can flip a convergence test
# (|loss - prev_loss| < tolerance_change) one iteration earlier or later.
@pytest.mark.parametrize("options", [
    dict(), dict(history_size=3, max_iter=5, tolerance_change=1e-6),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=2, lr=0.5, max_iter=7),
], ids=str)
def test_lbfgs_matches_torch(options):
    f_losses, ours, f_opt = _least_squares(fg, "float64", **options)
    t_losses, theirs, t_opt = _least_squares(torch, "float64", **options)
    np.testing.assert_allclose(f_losses, t_losses, rtol=1e-13)
    for f, t in zip(ours, theirs):
        np.testing.assert_allclose(f.detach().numpy(), t.detach().numpy(), rtol=1e-12,
                                   atol=1e-14)
    f_state, t_state = f_opt.state[ours[0]], t_opt.state[theirs[0]]
    assert list(f_state) == list(t_state)
    for key in ("func_evals", "n_iter"):
        assert f_state[key] == t_state[key]
    assert len(f_state["old_dirs"]) == len(t_state["old_dirs"])
    assert f_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]


def test_lbfgs_float32_and_errors():
    f_losses, ours, _ = _least_squares(fg, "float32")
    t_losses, theirs, _ = _least_squares(torch, "float32")
    np.testing.assert_allclose(f_losses, t_losses, rtol=1e-6)
    for lib in (fg, torch):
        w = lib.zeros(2, requires_grad=True)
        with pytest.raises(ValueError, match="doesn't support per-parameter options"):
            lib.optim.LBFGS([{"params": [w]}, {"params": [lib.zeros(1, requires_grad=True)]}])
        with pytest.raises(ValueError, match="Invalid learning rate: -1"):
            lib.optim.LBFGS([w], lr=-1)
        opt = lib.optim.LBFGS([w], line_search_fn="armijo")
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(lambda: ((w - 1) ** 2).sum().backward() or ((w - 1) ** 2).sum())


# ---- schedulers: step(epoch) with fractions, a custom scale function's state ------------------
@pytest.mark.parametrize("T_mult", [1, 2])
def test_warm_restarts_with_fractional_epochs(T_mult):
    """CosineAnnealingWarmRestarts.step(epoch) as in torch's docs: epoch + i / iters per batch."""
    seen = []
    for lib in (fg, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 2, T_mult, 0.001)
        lrs = []
        for epoch in range(7):
            for i in range(3):
                opt.step()
                sched.step(epoch + i / 3)
                lrs.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
            sched.step(-1)
        seen.append(lrs)
    assert seen[0] == seen[1]


def test_cyclic_lr_custom_scale_fn_state_dict():
    class Halving:
        def __init__(self):
            self.base = 0.5

        def __call__(self, x):
            return self.base ** x
    dicts = []
    for lib in (fg, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        fn = Halving()
        sched = lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, 2, scale_fn=fn)
        for _ in range(5):
            opt.step()
            sched.step()
        fn.base = 0.25
        state = sched.state_dict()
        assert state["_scale_fn_custom"] == {"base": 0.25}
        fn.base = 0.5
        sched.load_state_dict(state)
        assert fn.base == 0.25
        dicts.append(sorted(state))
    assert dicts[0] == dicts[1]
    for lib in (fg, torch):
        opt = lib.optim.RMSprop([lib.zeros(1, requires_grad=True)])
        with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
            lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.CyclicLR(lib.optim.Adagrad([lib.zeros(1)]), 0.01, 0.1)


# ---- optimizer hooks ----------------------------------------------------------------------------
def _hooked(lib):
    """The calls each hook sees, in order, over a step, a state_dict and a load_state_dict."""
    p = lib.tensor([1.0, 2.0], requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1)
    seen = []

    def pre(o, args, kwargs):
        seen.append(("pre", len(args), sorted(kwargs)))
        return (args[0],), {"closure": lambda: seen.append("closure") or 1.5}

    def post(o, args, kwargs):
        seen.append(("post", sorted(kwargs)))

    def dict_post(o, sd):
        seen.append("dict_post")
        return {**sd, "extra": 1}

    def load_pre(o, sd):
        seen.append(("load_pre", sorted(sd)))
        return {k: v for k, v in sd.items() if k != "extra"}
    handles = [opt.register_step_pre_hook(pre), opt.register_step_post_hook(post),
               opt.register_state_dict_pre_hook(lambda o: seen.append("dict_pre1")),
               opt.register_state_dict_pre_hook(lambda o: seen.append("dict_pre0"), prepend=True),
               opt.register_state_dict_post_hook(dict_post),
               opt.register_load_state_dict_pre_hook(load_pre),
               opt.register_load_state_dict_post_hook(lambda o: seen.append("load_post"))]
    p.grad = lib.tensor([1.0, 1.0])
    seen.append(opt.step())
    saved = opt.state_dict()
    seen.append(sorted(saved))
    opt.load_state_dict(saved)
    for h in handles:
        h.remove()
    p.grad = lib.tensor([1.0, 1.0])
    opt.step()
    seen.append(sorted(opt.state_dict()))
    seen.append(p.tolist())
    return seen


def test_optimizer_hooks_match_torch():
    assert _hooked(fg) == _hooked(torch)
    for lib in (fg, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)])
        opt.register_step_pre_hook(lambda o, a, k: 3)
        with pytest.raises(RuntimeError, match="must return None or a tuple of"):
            opt.step()


def test_global_step_hooks_and_a_step_calling_its_base():
    """A subclass's step that calls the base class's step runs the hooks once."""
    from fastgrad.optim.optimizer import register_optimizer_step_pre_hook

    class Logged(fg.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)
    calls = []
    handle = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(type(o).__name__))
    try:
        p = fg.zeros(1, requires_grad=True)
        opt = Logged([p], lr=0.1)
        opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
        opt.step()
    finally:
        handle.remove()
    opt.step()
    assert calls == ["Logged", "post", "post"]


def test_state_scalars_of_a_bad_dtype_are_refused():
    params, opt = _train(fg, "ASGD", {}, "float32", steps=1)
    opt.state[params[0]]["eta"] = fg.tensor(1, dtype=fg.int64)
    with pytest.raises(RuntimeError, match="asgd: the state scalars have different dtypes"):
        opt.step()
    opt.state[params[0]]["mu"] = fg.tensor(1, dtype=fg.int64)
    with pytest.raises(TypeError, match="asgd is not implemented"):
        opt.step()


def test_a_compiled_step_with_step_hooks_runs_eagerly():
    p = fg.tensor([1.0, 2.0], requires_grad=True)
    opt = fg.optim.SGD([p], lr=0.1)
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(1))

    def step():
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    run = fg.compile(step)
    with pytest.warns(UserWarning, match="step hooks"):
        for _ in range(4):
            run()
    assert run.plan is None and len(calls) == 4


def test_a_momentum_turned_on_after_recording_is_recorded_again():
    """SGD without momentum records no buffer: a momentum set later makes a new recording."""
    def schedule(opt):
        class TurnOn:
            calls = 0

            def step(self):
                self.calls += 1
                if self.calls == 5:
                    opt.param_groups[0]["momentum"] = 0.9
        return TurnOn()
    eager, _ = _compiled_run("SGD", dict(lr=0.1), False, schedule, calls=10)
    compiled, run = _compiled_run("SGD", dict(lr=0.1), True, schedule, calls=10)
    assert run.plan is not None
    for a, b in zip(eager, compiled):
        assert np.array_equal(a, b)


def test_every_scheduler_reads_as_a_member_of_lr_scheduler_as_torch():
    """d2l tells torch's schedulers from its own by scheduler.__module__."""
    for L in (fg, torch):
        module = L.optim.lr_scheduler
        assert {getattr(module, name).__module__ for name in module.__all__
                if isinstance(getattr(module, name), type)} == {module.__name__}
