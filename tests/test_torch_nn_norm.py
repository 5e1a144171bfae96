"""Normalisation layers and embeddings against torch: F.layer_norm, F.batch_norm, F.group_norm,
F.normalize, F.embedding and nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d/2d, nn.Embedding (values, gradients, running
statistics over several steps, eval, state_dict, reprs, errors); and csrc/norm.c's kernels
against plain loops in float64."""
import numpy as np
import pytest

from torch_compare import FLOATS, assert_same, assert_same_error, both, compare, rand, torch

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
def test_batch_norm_kernels_match_loops(training):
    x, g = rand((3, 2, 4), seed=1), rand((3, 2, 4), seed=2)
    w, b = rand(2, seed=3), rand(2, seed=4)
    rm, rv = rand(2, seed=5), rand(2, seed=6, low=0.5)
    running = [fg.tensor(rm), fg.tensor(rv)]
    out, mean, invstd = KN.batch_norm(fg.tensor(x), fg.tensor(w), fg.tensor(b), *running,
                                      training, 0.25, 1e-5)
    gx, gw, gb = KN.batch_norm_backward(fg.tensor(g), fg.tensor(x), mean, invstd, fg.tensor(w),
                                        training, (True, True, True))
    for c in range(2):
        values = [x[n, c, k] for n in range(3) for k in range(4)]
        grads = [g[n, c, k] for n in range(3) for k in range(4)]
        m, r = _moments(values) if training else (rm[c], 1 / np.sqrt(rv[c] + 1e-5))
        if training:
            var = sum((v - m) ** 2 for v in values) / 11
            assert np.isclose(running[0].numpy()[c], 0.75 * rm[c] + 0.25 * m)
            assert np.isclose(running[1].numpy()[c], 0.75 * rv[c] + 0.25 * var)
        xhat = [(v - m) * r for v in values]
        sg, dot = sum(grads), sum(a * c for a, c in zip(grads, xhat))
        assert np.isclose(gw.numpy()[c], dot) and np.isclose(gb.numpy()[c], sg)
        for i, (n, k) in enumerate((n, k) for n in range(3) for k in range(4)):
            assert np.isclose(out.numpy()[n, c, k], xhat[i] * w[c] + b[c])
            want = grads[i] - (sg + xhat[i] * dot) / 12 if training else grads[i]
            assert np.isclose(gx.numpy()[n, c, k], want * r * w[c])


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
