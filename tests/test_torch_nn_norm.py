"""Normalisation layers and embeddings against torch: F.layer_norm, F.batch_norm, F.group_norm,
F.instance_norm, F.normalize, F.embedding (max_norm, scale_grad_by_freq) and nn.LayerNorm,
nn.GroupNorm, nn.BatchNorm1d/2d/3d, nn.InstanceNorm1d/2d/3d, the lazy norms, nn.Embedding
(values, gradients, running statistics over several steps, eval, state_dict, reprs, errors,
float16 inputs); and csrc/norm.c's kernels against plain loops in float64."""
import numpy as np
import pytest

from torch_compare import (FLOATS, assert_same, assert_same_error, both, compare, rand,
                           run_both, torch)

import fastgrad as fg
from fastgrad import _kernels_norm as KN


# ---- the kernels against loops -----------------------------------------------------------------
def _moments(row):
    m = sum(row) / len(row)
    return m, 1 / np.sqrt(sum((v - m) ** 2 for v in row) / len(row) + 1e-5)


def test_layer_norm_kernels_match_loops():
    x, w, b, g = rand((3, 5), seed=1), rand(5, seed=2), rand(5, seed=3), rand((3, 5), seed=4)
    out, mean, rstd = KN.layer_norm(fg.tensor(x), fg.tensor(w), fg.tensor(b), 3, 5, 1e-5, (3, 1))
    gx, gw, gb = KN.layer_norm_backward(fg.tensor(g), fg.tensor(x), mean, rstd, fg.tensor(w), 3,
                                        (5,), (True, True, True))
    want_gw, want_gb = np.zeros(5), np.zeros(5)
    for i in range(3):
        m, r = _moments(x[i])
        assert np.isclose(mean.numpy()[i, 0], m) and np.isclose(rstd.numpy()[i, 0], r)
        xhat = [(v - m) * r for v in x[i]]
        gy = [g[i, j] * w[j] for j in range(5)]
        mean_gy, mean_gyx = sum(gy) / 5, sum(a * c for a, c in zip(gy, xhat)) / 5
        for j in range(5):
            assert np.isclose(out.numpy()[i, j], xhat[j] * w[j] + b[j])
            assert np.isclose(gx.numpy()[i, j], r * (gy[j] - mean_gy - xhat[j] * mean_gyx))
            want_gw[j] += g[i, j] * xhat[j]
            want_gb[j] += g[i, j]
    np.testing.assert_allclose(gw.numpy(), want_gw)
    np.testing.assert_allclose(gb.numpy(), want_gb)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(3, 2, 4), (6, 2)])  # (N, C): rows four at a time, then one
def test_batch_norm_kernels_match_loops(training, shape):
    x, g = rand(shape, seed=1), rand(shape, seed=2)
    w, b = rand(2, seed=3), rand(2, seed=4)
    rm, rv = rand(2, seed=5), rand(2, seed=6, low=0.5)
    running = [fg.tensor(rm), fg.tensor(rv)]
    out, mean, invstd = KN.batch_norm(fg.tensor(x), fg.tensor(w), fg.tensor(b), *running,
                                      training, 0.25, 1e-5)
    gx, gw, gb = KN.batch_norm_backward(fg.tensor(g), fg.tensor(x), mean, invstd, fg.tensor(w),
                                        training, (True, True, True))
    n_, inner = shape[0], x[0, 0].size
    x, g = x.reshape(n_, 2, inner), g.reshape(n_, 2, inner)
    out, gx = out.numpy().reshape(x.shape), gx.numpy().reshape(x.shape)
    count = n_ * inner
    for c in range(2):
        values = [x[n, c, k] for n in range(n_) for k in range(inner)]
        grads = [g[n, c, k] for n in range(n_) for k in range(inner)]
        m, r = _moments(values) if training else (rm[c], 1 / np.sqrt(rv[c] + 1e-5))
        if training:
            var = sum((v - m) ** 2 for v in values) / (count - 1)
            assert np.isclose(running[0].numpy()[c], 0.75 * rm[c] + 0.25 * m)
            assert np.isclose(running[1].numpy()[c], 0.75 * rv[c] + 0.25 * var)
        xhat = [(v - m) * r for v in values]
        sg, dot = sum(grads), sum(a * c for a, c in zip(grads, xhat))
        assert np.isclose(gw.numpy()[c], dot) and np.isclose(gb.numpy()[c], sg)
        for i, (n, k) in enumerate((n, k) for n in range(n_) for k in range(inner)):
            assert np.isclose(out[n, c, k], xhat[i] * w[c] + b[c])
            want = grads[i] - (sg + xhat[i] * dot) / count if training else grads[i]
            assert np.isclose(gx[n, c, k], want * r * w[c])


def test_batch_norm_kernels_give_the_same_bits_on_one_thread_and_two():
    # channels split between threads (each channel's sums in one order whatever the count)
    x, g = fg.tensor(rand((257, 512), seed=1)), fg.tensor(rand((257, 512), seed=2))
    w, b = fg.tensor(rand(512, seed=3)), fg.tensor(rand(512, seed=4))
    threads, results = fg.get_num_threads(), []
    try:
        for n in (1, 2):
            fg.set_num_threads(n)
            out, mean, invstd = KN.batch_norm(x, w, b, None, None, True, 0.1, 1e-5)
            grads = KN.batch_norm_backward(g, x, mean, invstd, w, True, (True, True, True))
            results.append([t.numpy() for t in (out, mean, invstd, *grads)])
    finally:
        fg.set_num_threads(threads)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


# ---- the functions ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
def test_layer_norm_and_its_parameters_gradients_match_torch(dtype):
    # (times a ramp: the gradient of a plain sum would be 0 up to rounding)
    compare(lambda L, x, w, b: L.nn.functional.layer_norm(x, (3, 4), w, b, 1e-3) *
            L.arange(12, dtype=x.dtype).view(3, 4),
            rand((2, 3, 4), dtype), rand((3, 4), dtype, 1), rand((3, 4), dtype, 2))
    compare(lambda L, x, b: L.layer_norm(x.t(), [5], None, b) * x.t(), rand((5, 2), dtype),
            rand(5, dtype, 1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_matches_torch(dtype):
    compare(lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b, True),
            rand((4, 3, 2, 2), dtype), rand(3, dtype, 1), rand(3, dtype, 2))
    compare(lambda L, x, w: L.nn.functional.batch_norm(
        x, L.zeros(3, dtype=x.dtype) + 0.5, L.ones(3, dtype=x.dtype) * 2, w), rand((4, 3), dtype),
        rand(3, dtype, 1))


def test_double_backward_in_the_weights_matches_torch():
    def fn(L, x, w, b):
        y = L.nn.functional.layer_norm(x, (4,), w, b) + L.nn.functional.batch_norm(
            x, None, None, w.flip(0), None, True).sum()
        gx, gw = L.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        return (gx * gx).sum() + (gw * x[0]).sum()
    compare(fn, rand((3, 4)), rand(4, seed=1), rand(4, seed=2))


def test_normalize_and_embedding_match_torch():
    compare(lambda L, x: L.nn.functional.normalize(x, p=3.0, dim=-1), rand((3, 4)))
    compare(lambda L, w: L.nn.functional.embedding(L.tensor([[3, 0, 3]], dtype=L.int32), w,
                                                   padding_idx=-1), rand((4, 2)))


def test_batch_norm_updates_the_running_statistics_in_place_as_torch():
    x = rand((5, 3, 2))
    fr, tr = both(np.zeros(3)), both(np.ones(3))
    for _ in range(3):
        fg.nn.functional.batch_norm(fg.tensor(x), fr[0], tr[0], training=True, momentum=0.2)
        torch.nn.functional.batch_norm(torch.tensor(x), fr[1], tr[1], training=True, momentum=0.2)
        x = x * 1.5 + 0.25
    assert_same(fr[0], fr[1])
    assert_same(tr[0], tr[1])


ERRORS = [
    lambda L, x: L.nn.functional.layer_norm(x, (3,)),
    lambda L, x: L.nn.functional.layer_norm(x, (4,), L.ones(3)),
    lambda L, x: L.nn.functional.layer_norm(x, (4,), None, L.ones(2)),
    lambda L, x: L.nn.functional.layer_norm(x, []),
    lambda L, x: L.nn.functional.layer_norm(x.long(), (4,)),
    lambda L, x: L.nn.functional.layer_norm(x, (4,), L.ones(4, dtype=L.float64)),
    lambda L, x: L.nn.functional.layer_norm(x.double(), (4,), L.ones(4)),
    lambda L, x: L.nn.functional.batch_norm(x[:1], None, None, training=True),
    lambda L, x: L.nn.functional.batch_norm(x, L.zeros(3), L.ones(4)),
    lambda L, x: L.nn.functional.batch_norm(x, L.zeros(4), L.ones(4), L.ones(2)),
    lambda L, x: L.nn.functional.batch_norm(x, None, None),
    lambda L, x: L.nn.functional.batch_norm(x, L.zeros(4, dtype=L.float64), L.ones(4)),
    lambda L, x: L.nn.BatchNorm1d(4)(x.view(3, 4, 1, 1)),
    lambda L, x: L.nn.BatchNorm2d(4)(x),
    lambda L, x: L.nn.BatchNorm1d(4)(x[:1]),
    lambda L, x: L.nn.functional.embedding(L.tensor([3]), x),
    lambda L, x: L.nn.functional.embedding(L.tensor([1.0]), x),
    lambda L, x: L.nn.functional.embedding(L.tensor([1]), x, padding_idx=3),
    lambda L, x: L.nn.functional.embedding(L.tensor([1]), x[0]),
    lambda L, x: L.nn.Embedding(3, 2, padding_idx=-4),
    lambda L, x: L.nn.Embedding.from_pretrained(x[0]),
    lambda L, x: L.nn.functional.normalize(x.long()),
    lambda L, x: L.nn.functional.group_norm(x[0], 2),
    lambda L, x: L.nn.functional.group_norm(x, 3),
    lambda L, x: L.nn.functional.group_norm(x, 2, L.ones(3)),
    lambda L, x: L.nn.functional.group_norm(x.long(), 2),
    lambda L, x: L.nn.GroupNorm(3, 4),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    assert_same_error(lambda L: fn(L, L.tensor(rand((3, 4)).astype("float32"))))


# ---- the modules ------------------------------------------------------------------------------
def _pair(make):
    """The module made in both libraries from the same seed."""
    fg.manual_seed(0)
    torch.manual_seed(0)
    return make(fg), make(torch)


def _step(mods, x, training=True):
    outs = []
    for m, L in zip(mods, (fg, torch)):
        m.train(training)
        t = L.tensor(x, requires_grad=True)
        y = m(t)
        (y * L.tensor(np.arange(y.numel(), dtype=x.dtype).reshape(y.shape) % 5)).sum().backward()
        outs.append((y, t.grad))
    assert_same(outs[0][0], outs[1][0])
    assert_same(outs[0][1], outs[1][1])


@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.BatchNorm1d(3), (4, 3)),
    (lambda L: L.nn.BatchNorm1d(3, momentum=None, affine=False), (4, 3, 2)),
    (lambda L: L.nn.BatchNorm2d(3, eps=1e-3, bias=False), (2, 3, 2, 2)),
    (lambda L: L.nn.BatchNorm1d(3, track_running_stats=False), (4, 3)),
])
def test_batch_norm_modules_train_and_eval_as_torch(make, shape):
    mods = _pair(make)
    for step in range(3):
        _step(mods, rand(shape, "float32", seed=step) * (step + 1))
    _step(mods, rand(shape, "float32", seed=9), training=False)
    f, t = (m.state_dict() for m in mods)
    assert list(f) == list(t)
    for key in t:
        assert_same(f[key], t[key])
    for (_, p), (_, q) in zip(mods[0].named_parameters(), mods[1].named_parameters()):
        assert_same(p.grad, q.grad)
    assert repr(mods[0]) == repr(mods[1])


def test_layer_norm_and_group_norm_modules_as_torch():
    for make in (lambda L: L.nn.LayerNorm(4), lambda L: L.nn.LayerNorm([2, 4], bias=False),
                 lambda L: L.nn.LayerNorm(4, elementwise_affine=False),
                 lambda L: L.nn.GroupNorm(1, 2), lambda L: L.nn.GroupNorm(2, 2, affine=False)):
        mods = _pair(make)
        _step(mods, rand((3, 2, 4), "float32"))
        assert repr(mods[0]) == repr(mods[1])
        assert list(mods[0].state_dict()) == list(mods[1].state_dict())


def test_embedding_module_as_torch():
    mods = _pair(lambda L: L.nn.Embedding(5, 3, padding_idx=1))
    assert_same(mods[0].weight, mods[1].weight)
    for m, L in zip(mods, (fg, torch)):
        m(L.tensor([[1, 2], [4, 1]])).pow(2).sum().backward()
    assert_same(mods[0].weight.grad, mods[1].weight.grad)
    assert repr(mods[0]) == repr(mods[1])
    pre = _pair(lambda L: L.nn.Embedding.from_pretrained(L.ones(2, 3), padding_idx=0))
    assert repr(pre[0]) == repr(pre[1]) and not pre[0].weight.requires_grad
    other = _pair(lambda L: L.nn.Embedding(4, 2, max_norm=1.0, sparse=True, norm_type=1.0))
    assert repr(other[0]) == repr(other[1])


# ---- nn2: BatchNorm3d, instance norm, the lazy norms, embedding's max_norm and
# scale_grad_by_freq ----------------------------------------------------------------------------
@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.BatchNorm3d(2), (2, 2, 3, 2, 2)),
    (lambda L: L.nn.InstanceNorm1d(3), (2, 3, 4)),
    (lambda L: L.nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (2, 3, 4)),
    (lambda L: L.nn.InstanceNorm2d(3, momentum=None, track_running_stats=True), (3, 2, 4)),
    (lambda L: L.nn.InstanceNorm3d(2, affine=True, bias=False), (2, 2, 2, 3, 2)),
])
def test_more_norm_modules_train_and_eval_as_torch(make, shape):
    test_batch_norm_modules_train_and_eval_as_torch(make, shape)


def test_instance_norm_function_and_errors_as_torch():
    x, rm, rv = rand((2, 3, 5)), rand(3, low=-1, high=1), rand(3, low=0.5, high=2)
    w = rand(3, low=0.5, high=1.5)
    compare(lambda L, x, w: L.nn.functional.instance_norm(x, weight=w, bias=w * 2), x, w)

    def moving(L):  # the running statistics move towards the batch's mean of the samples'
        t_rm, t_rv = L.tensor(rm), L.tensor(rv)
        return [L.nn.functional.instance_norm(L.tensor(x), t_rm, t_rv, momentum=0.3), t_rm,
                t_rv]

    run_both(moving)
    run_both(lambda L: [L.nn.functional.instance_norm(L.tensor(x), L.tensor(rm), L.tensor(rv),
                                                      use_input_stats=False)])
    for shape in ((2, 3), (2, 3, 1)):
        assert_same_error(lambda L: L.nn.functional.instance_norm(L.ones(shape)))
    assert_same_error(lambda L: L.nn.InstanceNorm1d(3)(L.ones(2, 2, 3, 4)))
    assert_same_error(lambda L: L.nn.InstanceNorm2d(3, affine=True)(L.ones(2, 4, 3, 4)))
    assert_same_error(lambda L: L.nn.BatchNorm3d(3)(L.ones(2, 3, 4)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        fg.nn.InstanceNorm1d(3)(fg.ones(2, 4, 3))


@pytest.mark.parametrize("name", ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyInstanceNorm3d"])
def test_lazy_norms_initialize_as_torch(name):
    shape = {"LazyBatchNorm1d": (4, 3), "LazyBatchNorm2d": (2, 3, 2, 2)}.get(name, (2, 3, 2, 2, 2))
    mods = _pair(lambda L: getattr(L.nn, name)(momentum=0.2))
    assert repr(mods[0]) == repr(mods[1])
    assert [repr(v) for v in mods[0].state_dict().values()] == \
        [repr(v) for v in mods[1].state_dict().values()]
    for _ in range(2):
        _step(mods, rand(shape, "float32"))
    assert type(mods[0]).__name__ == type(mods[1]).__name__ == name[4:]
    for (k, f), (_, t) in zip(mods[0].state_dict().items(), mods[1].state_dict().items()):
        assert_same(f, t)
    assert repr(mods[0]) == repr(mods[1])


def test_loading_into_lazy_modules_materializes_them_as_torch():
    source = torch.nn.Sequential(torch.nn.BatchNorm2d(3), torch.nn.Linear(2, 4))
    source[0].running_mean.fill_(0.5)
    state = source.state_dict()
    for L in (fg, torch):
        m = L.nn.Sequential(L.nn.LazyBatchNorm2d(), L.nn.LazyLinear(4))
        keys = m.load_state_dict({k: L.tensor(v.numpy()) for k, v in state.items()})
        assert not keys.missing_keys and not keys.unexpected_keys
        assert type(m[0]).__name__ == "LazyBatchNorm2d"  # until its first call, as torch's
        assert tuple(m[0].running_mean.shape) == (3,) and tuple(m[1].weight.shape) == (4, 2)
        np.testing.assert_array_equal(m[0].running_mean.numpy(), 0.5)
        out = m(L.ones(1, 3, 2, 2))
        assert tuple(out.shape) == (1, 3, 2, 4)
        assert [type(c).__name__ for c in m] == ["BatchNorm2d", "Linear"]
    assert isinstance(fg.nn.LazyBatchNorm1d().running_mean, fg.nn.UninitializedBuffer)


@pytest.mark.parametrize("kwargs", [dict(max_norm=1.5), dict(max_norm=2.0, norm_type=1.0),
                                    dict(scale_grad_by_freq=True),
                                    dict(scale_grad_by_freq=True, padding_idx=1, max_norm=1.0)])
def test_embedding_max_norm_and_scale_grad_by_freq_as_torch(kwargs):
    weight, index = rand((6, 4), "float32", low=-2, high=2), [[1, 3, 1], [5, 0, 1]]
    mods = _pair(lambda L: L.nn.Embedding.from_pretrained(L.tensor(weight), freeze=False,
                                                           **kwargs))
    for m, L in zip(mods, (fg, torch)):
        (m(L.tensor(index)) ** 2).sum().backward()
    assert_same(mods[0].weight, mods[1].weight)  # renormalized in place, as torch's
    assert_same(mods[0].weight.grad, mods[1].weight.grad)
    assert repr(mods[0]) == repr(mods[1])


def test_embedding_sparse_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="sparse=True"):
        fg.nn.Embedding(3, 2, sparse=True)(fg.tensor([0]))


# ---- nn2: float16 inputs (computed in float, as torch's CPU kernels), group norm's node -------
HALF_NORMS = {
    "layer_norm": lambda L, x, w: L.nn.functional.layer_norm(x, (4,), w, w * 0.5),
    "batch_norm": lambda L, x, w: L.nn.functional.batch_norm(x, None, None, w[:3], w[:3], True),
    "batch_norm eval": lambda L, x, w: L.nn.functional.batch_norm(
        x, w[:3].detach() * 0.1, w[:3].detach(), w[:3], None, False),
    "group_norm": lambda L, x, w: L.nn.functional.group_norm(x, 3, w[:3], w[:3]),
}


@pytest.mark.parametrize("param_dtype", ["float16", "float32"])
@pytest.mark.parametrize("name", HALF_NORMS)
def test_float16_norms_as_torch(name, param_dtype):
    x = rand((2, 3, 4), "float16", seed=3)
    results = []
    for L in (fg, torch):
        t = L.tensor(x, requires_grad=True)
        w = L.tensor(np.linspace(0.5, 1.5, 4).astype(param_dtype), requires_grad=True)
        y = HALF_NORMS[name](L, t, w)
        (y.float() * L.arange(24.0).reshape(2, 3, 4) / 24).sum().backward()
        results.append((y.grad_fn.name(), y, t.grad, w.grad))
    assert results[0][0] == results[1][0]
    for ours, theirs in zip(results[0][1:], results[1][1:]):
        assert_same(ours, theirs, dict(rtol=2e-3, atol=2e-3))


def test_float16_running_statistics_move_as_torch():
    x = rand((4, 3, 2), "float16", seed=5)
    stats = []
    for L in (fg, torch):
        m = L.nn.BatchNorm1d(3).half()
        m(L.tensor(x))
        stats.append((m.running_mean, m.running_var))
    for ours, theirs in zip(*stats):
        assert_same(ours, theirs, dict(rtol=1e-3, atol=1e-4))
