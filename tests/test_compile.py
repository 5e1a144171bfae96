"""fastgrad.compile: replays equal eager runs bit for bit (every case of the op database,
forward and backward, and training steps), what cannot be replayed runs eagerly with a warning
or raises under fullgraph=True, and a plan's memory does not grow with calls."""
import gc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastgrad as fg
from ops_db import CASES, STEPS, inputs

CALLS = 5  # a warm-up, two recordings, then replays


def same(a, b):
    """Bit for bit: the same dtype, shape and bytes."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _forward_backward(case):
    """The case's output and the gradients of its inputs' leaves, as one compiled function: the
    leaves are made inside from the (non-grad) inputs, so the inputs can change every call."""
    def run(*xs):
        leaves = [x.detach().clone().requires_grad_(case.grad) for x in xs]
        out = case.fn(fg, *leaves)
        outs = tuple(out) if isinstance(out, tuple) else (out,)
        if case.grad and outs[0].requires_grad:
            outs[0].backward(fg.ones_like(outs[0]) * 0.5)
            return tuple(o.detach() for o in outs) + tuple(
                leaf.grad if leaf.grad is not None else fg.zeros(()) for leaf in leaves)
        return tuple(o.detach() for o in outs)
    return run


# shapes or checks made from the data: refused (tested below) (and the histograms' ranges read
# from the data, allclose's and equal's Python bools)
UNREPLAYABLE = {"nonzero", "mask", "masked_select", "one_hot", "where one argument", "histc",
                "histogram", "allclose", "equal", "repeat_interleave counts per row"} | {
    c.name for c in CASES if c.op in ("unique", "unique_consecutive", "bincount")}
REPLAYABLE = [c for c in CASES if c.name not in UNREPLAYABLE]


@pytest.mark.parametrize("case", REPLAYABLE, ids=[c.name for c in REPLAYABLE])
def test_replays_equal_eager_runs_bit_for_bit(case):
    run = _forward_backward(case)
    compiled = fg.compile(run, fullgraph=True)
    for seed in range(CALLS):
        xs = [fg.tensor(a) for a in inputs(case, seed, "float32")]
        expected, got = run(*xs), compiled(*xs)
        assert len(expected) == len(got)
        for e, g in zip(expected, got):
            assert same(e.numpy(), g.numpy()), (seed, e, g)
    assert compiled.plan is not None and compiled.plan.ncalls > 0


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(sorted(set(STEPS) - UNREPLAYABLE)),
                                st.integers(0, 1)), min_size=1, max_size=6),
       seed=st.integers(0, 2 ** 16))
def test_random_graphs_replay_bit_for_bit(steps, seed):
    """Chains of up to six steps drawn from the op database (test_properties' random graphs),
    forward and backward, compiled against eager."""
    def graph(a, b):
        ws = [a.clone().requires_grad_(), b.clone().requires_grad_()]
        h = ws[0]
        for name, which in steps:
            h = STEPS[name](fg, h, ws[which])
        (h * ws[1]).sum().backward()
        return h.detach(), ws[0].grad, ws[1].grad
    compiled = fg.compile(graph, fullgraph=True)
    rng = np.random.default_rng(seed)
    for _ in range(CALLS):
        a, b = (fg.tensor(rng.uniform(-1, 1, (3, 4))) for _ in range(2))
        for e, g in zip(graph(a, b), compiled(a, b)):
            assert same(e.numpy(), g.numpy())


def test_threaded_kernels_replay_bit_for_bit():
    """A 784-256-10 step on two threads: the kernels split their work under replay too."""
    threads = fg.get_num_threads()
    fg.set_num_threads(2)
    try:
        results = []
        for compile_it in (False, True):
            rng = np.random.default_rng(0)
            x = fg.tensor(rng.standard_normal((256, 784)).astype(np.float32))
            params = [fg.tensor(rng.standard_normal(s).astype(np.float32) * 0.05,
                                requires_grad=True) for s in ((784, 256), (256,), (256, 10))]

            def step(x):
                w1, b1, w2 = params
                loss = (fg.relu(x @ w1 + b1) @ w2).pow(2).mean()
                loss.backward()
                with fg.no_grad():
                    for p in params:
                        p -= 0.01 * p.grad
                        p.grad = None
                return loss.detach()
            run = fg.compile(step, fullgraph=True) if compile_it else step
            results.append([run(x).numpy() for _ in range(CALLS)] +
                           [p.detach().numpy() for p in params])
        for e, g in zip(*results):
            assert same(e, g)
    finally:
        fg.set_num_threads(threads)


def _mlp(seed=0, momentum=0.0, adam=None):
    g = np.random.default_rng(seed)
    C = fg.tensor(g.standard_normal((27, 10)).astype(np.float32), requires_grad=True)
    W1 = fg.tensor(g.standard_normal((30, 64)).astype(np.float32) * 0.2, requires_grad=True)
    b1 = fg.zeros(64, requires_grad=True)
    W2 = fg.tensor(g.standard_normal((64, 27)).astype(np.float32) * 0.1, requires_grad=True)
    b2 = fg.zeros(27, requires_grad=True)
    params = [C, W1, b1, W2, b2]
    opt = fg.optim.SGD(params, lr=0.1, momentum=momentum) if adam is None else \
        fg.optim.Adam(params, lr=0.01, capturable=adam)

    def step(X, Y):
        opt.zero_grad()
        h = fg.tanh(C[X].view(-1, 30) @ W1 + b1)
        loss = fg.nn.functional.cross_entropy(h @ W2 + b2, Y)
        loss.backward()
        opt.step()
        return loss.detach()
    step.optimizer = opt
    return step, params


def _replaying_mlp(calls):
    """A compiled MLP step, run on `calls` batches (a plan by then), its parameters and batches."""
    step, params = _mlp()
    compiled = fg.compile(step)
    batches = _batches(calls)
    for X, Y in batches:
        compiled(X, Y)
    assert compiled.plan is not None
    return compiled, params, batches


def _batches(n, ignore=False):
    g = np.random.default_rng(7)
    out = []
    for _ in range(n):
        Y = g.integers(0, 27, 32)
        if ignore:
            Y[g.random(32) < 0.2] = -100
        out.append((fg.tensor(g.integers(0, 27, (32, 3))), fg.tensor(Y)))
    return out


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_training_step_replays_bit_for_bit(momentum):
    eager, eager_params = _mlp(momentum=momentum)
    compiled, compiled_params = _mlp(momentum=momentum)
    compiled = fg.compile(compiled, fullgraph=True)
    for X, Y in _batches(12):
        assert same(eager(X, Y).numpy(), compiled(X, Y).numpy())
    for a, b in zip(eager_params, compiled_params):
        assert same(a.detach().numpy(), b.detach().numpy())
        assert same(a.grad.numpy(), b.grad.numpy())
    assert "cross_entropy" in str(compiled.plan) and "matmul" in str(compiled.plan)


def test_adam_replays_and_a_changing_learning_rate_is_read_at_each_replay():
    """Adam's kernel counts the step in a tensor and computes the bias corrections from it, so
    the step replays bit for bit (capturable or not); a learning rate that changes between calls
    (a scheduler's) is read again before each replay: the same bits as eager calls."""
    for capturable in (False, True):
        compiled, compiled_params = _mlp(adam=capturable)
        compiled = fg.compile(compiled, fullgraph=True)
        eager, eager_params = _mlp(adam=False)
        for X, Y in _batches(8):
            for step in (eager, compiled):
                step.optimizer.param_groups[0]["lr"] *= 0.5
            assert same(eager(X, Y).numpy(), compiled(X, Y).numpy())
        assert compiled.plan is not None and "adam_step" in str(compiled.plan)
        for a, b in zip(eager_params, compiled_params):
            assert same(a.detach().numpy(), b.detach().numpy())


def test_targets_ignored_in_varying_numbers_replay():
    """cross_entropy's mean divides by the targets not ignored: the kernel counts them into a
    tensor, so one plan serves every count."""
    eager, eager_params = _mlp()
    compiled, compiled_params = _mlp()
    compiled = fg.compile(compiled, fullgraph=True)
    for X, Y in _batches(10, ignore=True):
        assert same(eager(X, Y).numpy(), compiled(X, Y).numpy())
    assert compiled.plan is not None
    for a, b in zip(eager_params, compiled_params):
        assert same(a.detach().numpy(), b.detach().numpy())


def test_a_grad_changed_outside_is_recorded_again():
    eager, eager_params = _mlp()
    compiled, compiled_params = _mlp()
    compiled = fg.compile(compiled)
    for i, (X, Y) in enumerate(_batches(10)):
        if i % 3 == 2:  # a .grad replaced outside the function
            for params in (eager_params, compiled_params):
                params[1].grad = fg.ones_like(params[1])
        assert same(eager(X, Y).numpy(), compiled(X, Y).numpy())
    for a, b in zip(eager_params, compiled_params):
        assert same(a.detach().numpy(), b.detach().numpy())


def test_a_parameter_replaced_outside_is_recorded_again():
    model = fg.nn.Linear(3, 2)
    compiled = fg.compile(lambda x: model(x).detach())
    x = fg.ones(1, 3)
    for _ in range(CALLS):
        compiled(x)
    assert compiled.plan is not None
    with fg.no_grad():
        model.weight = fg.nn.Parameter(fg.full((2, 3), 2.0))
        model.bias = fg.nn.Parameter(fg.zeros(2))
    for _ in range(CALLS):
        assert compiled(x).tolist() == [[6.0, 6.0]]


def test_an_index_out_of_range_raises_as_eagerly():
    compiled, _, batches = _replaying_mlp(5)
    X = batches[0][0].clone()
    X[0, 0] = 27
    with pytest.raises(IndexError, match="index 27 is out of bounds for dimension 0 with size 27"):
        compiled(X, batches[0][1])


def test_the_inputs_the_caller_passes_are_not_written():
    compiled = fg.compile(lambda x: x * 2)
    x = fg.arange(4.0)
    for _ in range(CALLS):
        compiled(x)
    y = fg.ones(4)
    assert compiled(y).tolist() == [2.0] * 4 and x.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_new_shapes_record_a_plan_of_their_own():
    compiled = fg.compile(lambda x: (x * x).sum(0))
    for n in (2, 3, 2, 3, 2, 3, 2, 3, 4):
        x = fg.arange(float(2 * n)).reshape(2, n)
        assert compiled(x).tolist() == (x * x).sum(0).tolist()


def _refused(fn, *args, match):
    compiled = fg.compile(fn)
    with pytest.warns(UserWarning, match=match):
        results = [compiled(*args) for _ in range(CALLS)]
    for r in results:
        assert same(r.detach().numpy(), fn(*args).detach().numpy())  # right: it runs eagerly
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning comes once
        compiled(*args)
    with pytest.raises(RuntimeError, match=match):
        strict = fg.compile(fn, fullgraph=True)
        for _ in range(CALLS):
            strict(*args)


def test_reading_values_into_python_is_refused():
    _refused(lambda x: x * 2 if x.sum().item() > 0 else x, fg.ones(3), match=r"item\(\) reads")
    _refused(lambda x: x * 2 if x.sum() > 0 else x, fg.ones(3), match=r"bool\(\) reads")
    _refused(lambda x: (print(x), x + 1)[1], fg.ones(3), match=r"str\(\) reads")


def test_shapes_made_from_data_are_refused():
    _refused(lambda x: x[x > 0].sum(), fg.arange(-2.0, 3.0), match="shape from the data")
    _refused(lambda x: x.repeat_interleave(fg.tensor([2, 1])).sum(), fg.ones(2),
             match="shape from the data")
    _refused(lambda x: fg.nonzero(x).float().sum(), fg.arange(-2.0, 3.0), match="shape from")


def test_tensors_made_from_python_data_inside_are_constants_of_the_plan():
    compiled = fg.compile(lambda x: x * fg.tensor([1.0, 2.0, 3.0]), fullgraph=True)
    for k in range(CALLS):
        assert compiled(fg.full((3,), float(k))).tolist() == [k, 2.0 * k, 3.0 * k]
    assert compiled.plan is not None
    scale = [1.0]
    compiled = fg.compile(lambda x: x * fg.tensor([scale[0]]))
    with pytest.warns(UserWarning, match="change from call to call"):
        for k in range(CALLS):  # the data changes: a replay would keep the recorded value
            scale[0] = float(k)
            assert compiled(fg.ones(1)).tolist() == [float(k)]


def test_ranges_and_eye_made_inside_replay():
    def grid(x):
        return (x * fg.linspace(0, 1, 4) + fg.logspace(0, 1, 4, base=2.0) +
                fg.arange(0.0, 0.4, 0.1) + fg.eye(4)[1] + fg.eye(4, 2, dtype=fg.float32)[:, 0])
    compiled = fg.compile(grid, fullgraph=True)
    for k in range(CALLS):
        x = fg.full((4,), float(k))
        assert compiled(x).tolist() == grid(x).tolist()
    assert compiled.plan is not None


def test_random_numbers_inside_are_refused():
    fg.manual_seed(0)
    compiled = fg.compile(lambda x: x + fg.randn(3))
    with pytest.warns(UserWarning, match="draws random numbers"):
        values = [compiled(fg.zeros(3)).tolist() for _ in range(CALLS)]
    assert len({tuple(v) for v in values}) == CALLS  # fresh numbers every call


def test_a_compiled_model_trains_eagerly_and_still_replays_inference():
    """torch.compile(model) as tutorials use it: loss.backward() outside needs the graph, so
    in grad mode the model runs eagerly (one warning); under no_grad it replays."""
    model = fg.nn.Sequential(fg.nn.Linear(4, 8), fg.nn.ReLU(), fg.nn.Linear(8, 2))
    compiled = fg.compile(model)
    opt = fg.optim.SGD(model.parameters(), lr=0.1)
    x, y = fg.randn(5, 4), fg.tensor([0, 1, 1, 0, 1])
    with pytest.warns(UserWarning, match="returns a tensor that requires grad"):
        for _ in range(CALLS):
            opt.zero_grad()
            fg.nn.functional.cross_entropy(compiled(x), y).backward()
            opt.step()
    with fg.no_grad():
        for _ in range(CALLS):
            assert same(compiled(x).numpy(), model(x).numpy())
    assert compiled.plan is not None


def test_more_input_signatures_than_plans_run_eagerly():
    from fastgrad._compile import PLANS
    compiled = fg.compile(lambda x: x * 2)
    with pytest.warns(UserWarning, match=f"more than {PLANS} different input signatures"):
        for n in range(1, PLANS + 3):
            for _ in range(CALLS):
                assert compiled(fg.ones(n)).tolist() == [2.0] * n


def test_outputs_that_need_backward_and_inputs_that_require_grad_are_refused():
    w = fg.ones(3, requires_grad=True)
    _refused(lambda x: (x * w).sum(), fg.ones(3), match="returns a tensor that requires grad")
    compiled = fg.compile(lambda x: (x * 2).detach())
    with pytest.warns(UserWarning, match="input requires grad"):
        for _ in range(CALLS):
            compiled(fg.ones(3, requires_grad=True))


def test_a_plan_keeps_its_memory_and_prints_one_line_per_kernel():
    compiled, params, batches = _replaying_mlp(4)
    plan = compiled.plan
    kept = len(plan.keep)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(50):  # (params still holds its references: fewer would record again)
        compiled(*batches[0])
    gc.collect()
    assert len(plan.keep) == kept and compiled.plan is plan
    assert len(gc.get_objects()) - before < 50  # nothing piles up per call
    lines = str(plan).splitlines()
    assert [int(line.split()[0]) for line in lines] == list(range(plan.ncalls))
    assert any(line.split()[1] == "gather" for line in lines)


def test_compile_takes_torch_arguments_and_works_as_a_decorator():
    @fg.compile(fullgraph=True, mode="reduce-overhead", dynamic=False)
    def f(x):
        return x * 3
    for _ in range(CALLS):
        assert f(fg.ones(2)).tolist() == [3.0, 3.0]
    assert fg.compile(f, disable=True) is f
    model = fg.nn.Linear(3, 2)
    compiled = fg.compile(model)
    assert list(compiled.parameters()) == list(model.parameters())  # a module's attributes
