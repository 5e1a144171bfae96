"""Pooling, padding, dropout and the small shape layers against torch: values, indices,
gradients, reprs and errors; the pooling kernels against a plain for-loop reference. (Gradients
by finite differences, double backward, forward mode and compile replay of the functional ops
come from their Cases in ops_db.)"""
import itertools
import math

import numpy as np
import pytest

from torch_compare import both, rand, to_np, torch

import fastgrad as fg
from fastgrad import _kernels_pool as KP
from fastgrad._fastgrad_c import lib

F, TF = fg.nn.functional, torch.nn.functional


# ---- the kernels against a for-loop reference (float64) -----------------------------------------
def _windows(op, o, out, size, k, s, p, d):
    """The input positions of output o's window along one axis, and its padded size."""
    if op in (lib.FG_POOL_ADAPTIVE_AVG, lib.FG_POOL_ADAPTIVE_MAX):
        lo, hi = math.floor(o * size / out), math.ceil((o + 1) * size / out)
        return list(range(lo, hi)), hi - lo
    taps = [o * s - p + i * d for i in range(k)]
    padded = min(o * s - p + k, size + p) - (o * s - p)
    return [t for t in taps if 0 <= t < size], padded


def reference_pool(op, x, out_hw, k=(1, 1), s=(1, 1), p=(0, 0), d=(1, 1), include_pad=True,
                   divisor=None):
    """(values, flat indices or None, d values / d x as a function of g)."""
    n, c, h, w = x.shape
    oh, ow = out_hw
    out = np.zeros((n, c, oh, ow))
    index = np.zeros((n, c, oh, ow), np.int64)
    weights = {}  # (n, c, i, j) -> [(input h, input w, weight)]
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        hs, ph = _windows(op, i, oh, h, k[0], s[0], p[0], d[0])
        ws, pw = _windows(op, j, ow, w, k[1], s[1], p[1], d[1])
        cells = [(y, z) for y in hs for z in ws]
        if op in (lib.FG_POOL_MAX, lib.FG_POOL_ADAPTIVE_MAX):
            y, z = max(cells, key=lambda yz: x[b, ch, yz[0], yz[1]])
            out[b, ch, i, j], index[b, ch, i, j] = x[b, ch, y, z], y * w + z
            weights[b, ch, i, j] = [(y, z, 1.0)]
            continue
        count = divisor or (ph * pw if include_pad and op == lib.FG_POOL_AVG else len(cells))
        out[b, ch, i, j] = sum(x[b, ch, y, z] for y, z in cells) / count
        weights[b, ch, i, j] = [(y, z, 1.0 / count) for y, z in cells]

    def backward(g):
        gx = np.zeros(x.shape)
        for (b, ch, i, j), cells in weights.items():
            for y, z, weight in cells:
                gx[b, ch, y, z] += weight * g[b, ch, i, j]
        return gx
    return out, index, backward


KERNEL_CASES = [  # op, input shape, output (h, w), window arguments
    (lib.FG_POOL_MAX, (2, 3, 5, 6), (3, 3), dict(k=(3, 2), s=(2, 2), p=(1, 1), d=(1, 1))),
    (lib.FG_POOL_MAX, (1, 2, 7, 6), (2, 3), dict(k=(2, 3), s=(3, 2), p=(1, 1), d=(2, 1))),
    (lib.FG_POOL_AVG, (2, 2, 5, 6), (3, 3), dict(k=(3, 3), s=(2, 2), p=(1, 1))),
    (lib.FG_POOL_AVG, (2, 2, 5, 6), (3, 3), dict(k=(3, 3), s=(2, 2), p=(1, 1),
                                                include_pad=False)),
    (lib.FG_POOL_AVG, (1, 2, 4, 5), (2, 4), dict(k=(2, 2), s=(2, 1), divisor=3)),
    (lib.FG_POOL_ADAPTIVE_AVG, (2, 3, 5, 7), (3, 4), {}),
    (lib.FG_POOL_ADAPTIVE_AVG, (1, 1, 3, 4), (5, 6), {}),
    (lib.FG_POOL_ADAPTIVE_MAX, (2, 2, 7, 5), (3, 2), {}),
]


@pytest.mark.parametrize("op,shape,out_hw,window", KERNEL_CASES)
def test_pool_kernels_match_a_loop(op, shape, out_hw, window):
    x = rand(shape[:2] + shape[:1:-1]).transpose(0, 1, 3, 2)  # strided, not contiguous
    expected, index, backward = reference_pool(op, x, out_hw, **window)
    geom = KP.geometry(shape, out_hw, window.get("k", (1, 1)), window.get("s", (1, 1)),
                       window.get("p", (0, 0)), window.get("d", (1, 1)),
                       window.get("include_pad", True), window.get("divisor"))
    out, indices = KP.pool2d(op, fg.tensor(x), geom)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)
    g = rand(out.shape, seed=1)
    if indices is not None:
        np.testing.assert_array_equal(indices.numpy(), index)
    gx = KP.pool2d_backward(op, fg.tensor(g), indices, geom)  # adaptive: g / kh / kw, as torch
    np.testing.assert_allclose(gx.numpy(), backward(g), rtol=1e-13)


def test_pool_kernels_refuse_hostile_arguments():
    x = fg.zeros(1, 1, 4, 4, dtype=fg.float64)
    with pytest.raises(ValueError):  # a negative size
        KP.pool2d(lib.FG_POOL_AVG, x, KP.geometry((1, 1, 4, -4), (2, 2), (2, 2), (2, 2)))
    with pytest.raises(ValueError):  # a zero stride
        KP.pool2d(lib.FG_POOL_MAX, x, KP.geometry((1, 1, 4, 4), (2, 2), (2, 2), (0, 2)))
    with pytest.raises(ValueError):  # adaptive windows over an empty plane
        KP.pool2d(lib.FG_POOL_ADAPTIVE_AVG, x, KP.geometry((1, 1, 0, 4), (2, 2)))
    with pytest.raises(TypeError):  # integers: max pooling only
        KP.pool2d(lib.FG_POOL_AVG, fg.zeros(1, 1, 4, 4, dtype=fg.int64),
                  KP.geometry((1, 1, 4, 4), (2, 2), (2, 2), (2, 2)))
    bad = fg.tensor([[[[0, 16]]]])  # 16 is outside a 4 x 4 plane
    with pytest.raises(RuntimeError, match="invalid max index 16"):
        KP.pool2d_backward(lib.FG_POOL_MAX, fg.ones(1, 1, 1, 2, dtype=fg.float64), bad,
                           KP.geometry((1, 1, 4, 4), (1, 2), (2, 2), (2, 2)))


# ---- the functions against torch -----------------------------------------------------------------
POOLS = [
    ("max_pool2d", (3,), dict(stride=2, padding=1, return_indices=True)),
    ("max_pool2d", ((2, 3),), dict(stride=(1, 2), dilation=(2, 1), ceil_mode=True,
                                   return_indices=True)),
    ("max_pool1d", (3, 2, 1), dict(ceil_mode=True, return_indices=True)),
    ("avg_pool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", ((2, 3),), dict(divisor_override=-2)),
    ("avg_pool1d", (3, 2, 1), dict(ceil_mode=True)),
    ("adaptive_avg_pool2d", ((3, None),), {}),
    ("adaptive_avg_pool1d", (4,), {}),
    ("adaptive_max_pool2d", ((4, 3),), dict(return_indices=True)),
    ("adaptive_max_pool1d", (3,), dict(return_indices=True)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn,args,kwargs", POOLS, ids=[p[0] for p in POOLS])
def test_pools_match_torch(fn, args, kwargs, dtype):
    shape = (2, 3, 6, 5) if fn.endswith("2d") else (2, 3, 7)
    data = rand(shape, dtype)
    data.flat[::7] = -np.inf
    data.flat[5] = np.nan  # NaN wins the window, as in torch
    ours, theirs = (getattr(lib_F, fn)(x, *args, **kwargs)
                    for lib_F, x in zip((F, TF), both(data)))
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(to_np(ours[1]), to_np(theirs[1]))
        ours, theirs = ours[0], theirs[0]
    tol = dict(rtol=1e-6) if dtype == "float32" else dict(rtol=1e-13)
    np.testing.assert_allclose(to_np(ours), to_np(theirs), **tol)
    x, tx = both(rand(shape[1:], dtype), requires_grad=True)  # unbatched, with gradients
    ours, theirs = getattr(F, fn)(x, *args, **kwargs), getattr(TF, fn)(tx, *args, **kwargs)
    if kwargs.get("return_indices"):
        ours, theirs = ours[0], theirs[0]
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    g = rand(tuple(theirs.shape), dtype, seed=2)
    ours.backward(fg.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)


def test_max_pool_of_integers_matches_torch():
    x, tx = both(np.random.default_rng(0).integers(-9, 9, (2, 3, 5, 6)))
    ours, theirs = F.max_pool2d(x, 3, 2, 1, return_indices=True), TF.max_pool2d(
        tx, 3, 2, 1, return_indices=True)
    for o, t in zip(ours, theirs):
        assert repr(o.dtype) == repr(t.dtype)
        np.testing.assert_array_equal(o.numpy(), to_np(t))


def test_double_backward_matches_torch():
    for fn, args in (("max_pool2d", (2,)), ("avg_pool2d", (3, 2, 1)),
                     ("adaptive_avg_pool2d", (3,)), ("adaptive_max_pool2d", (3,))):
        results = []
        for L, x in zip((fg, torch), both(rand((1, 2, 5, 4)), requires_grad=True)):
            y = getattr(L.nn.functional, fn)(x, *args)
            g, = L.autograd.grad((y * y).sum(), x, create_graph=True)
            gg, = L.autograd.grad((g * g).sum(), x)
            results.append((g.grad_fn.name(), to_np(gg)))
        assert results[0][0] == results[1][0]
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-13)


ERRORS = [
    ("max_pool2d", (4, 4), ((1, 2, 3),), {}),
    ("max_pool2d", (3, 4, 4), (2, (1, 2, 3)), {}),
    ("max_pool2d", (3, 4, 4), (2,), dict(padding=(1, 2, 3))),
    ("max_pool2d", (3, 4, 4), (2,), dict(dilation=(1, 2, 3))),
    ("max_pool2d", (3, 4, 4), (0,), {}),
    ("max_pool2d", (3, 4, 4), (0, 1), {}),
    ("max_pool2d", (3, 4, 4), (2,), dict(padding=-1)),
    ("max_pool2d", (3, 4, 4), (2,), dict(dilation=0)),
    ("max_pool2d", (3, 4, 4), (2,), dict(padding=2)),
    ("max_pool2d", (3, 4, 4), (3,), dict(padding=2, dilation=2)),
    ("max_pool2d", (3, 4, 4), (5,), {}),
    ("max_pool2d", (4,), (2,), {}),
    ("max_pool2d", (2, 0, 4, 4), (2,), {}),
    ("avg_pool2d", (3, 4, 4), (5,), {}),
    ("avg_pool2d", (3, 4, 4), (2,), dict(padding=2)),
    ("avg_pool2d", (3, 4, 4), ((1, 2, 3),), {}),
    ("avg_pool2d", (3, 4, 4), (2,), dict(divisor_override=0)),
    ("avg_pool2d", (4,), (2,), {}),
    ("avg_pool1d", (3, 4), (5,), {}),
    ("avg_pool1d", (2, 3, 4, 4), (2,), {}),
    ("avg_pool1d", (3, 4), ((1, 2),), {}),
    ("max_pool1d", (3, 4), ((1, 2),), dict(return_indices=True)),
    *[("max_pool1d", shape, args, kwargs) for shape in ((3, 4), (2, 3, 4, 4)) for args, kwargs in (
        ((5,), {}), ((2,), dict(padding=2)), ((2, 0), {}), (((1, 2),), {}), ((2, (1, 2)), {}),
        ((2,), dict(padding=-1)), ((2,), dict(dilation=0)), ((2,), dict(padding=(1, 1))))],
    ("adaptive_avg_pool2d", (3, 4, 4), ((1, 2, 3),), {}),
    ("adaptive_avg_pool2d", (4,), (2,), {}),
    ("adaptive_avg_pool2d", (3, 4, 4), (-1,), {}),
    ("adaptive_avg_pool2d", (2, 3, 0, 4), (2,), {}),
    ("adaptive_avg_pool2d", (4,), ((2, None),), {}),
    ("adaptive_avg_pool1d", (2, 3, 4, 4), (2,), {}),
    ("adaptive_max_pool2d", (3, 4, 4), ((1, 2, 3),), {}),
    ("adaptive_max_pool2d", (4,), (2,), {}),
]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  the error itself is compared
        return type(e), str(e)
    return None, None


@pytest.mark.parametrize("fn,shape,args,kwargs", ERRORS)
def test_errors_match_torch(fn, shape, args, kwargs):
    x, tx = both(rand(shape))
    ours = _error(lambda: getattr(F, fn)(x, *args, **kwargs))
    theirs = _error(lambda: getattr(TF, fn)(tx, *args, **kwargs))
    assert theirs[0] is not None and ours == theirs


def test_torch_namespace_pools():
    x, tx = both(rand((2, 3, 6)))
    for fn, args in (("max_pool1d", (2,)), ("avg_pool1d", (3, 2, 1)),
                     ("adaptive_avg_pool1d", (4,))):
        np.testing.assert_allclose(getattr(fg, fn)(x, *args).numpy(),
                                   to_np(getattr(torch, fn)(tx, *args)), rtol=1e-13)
    ours, theirs = fg.max_pool1d_with_indices(x, 3), torch.max_pool1d_with_indices(tx, 3)
    np.testing.assert_array_equal(ours[1].numpy(), to_np(theirs[1]))
    y, ty = both(rand((1, 2, 5, 5)))
    np.testing.assert_array_equal(fg.max_pool2d(y, 2, [], 1, 1, True).numpy(),
                                  to_np(torch.max_pool2d(ty, 2, [], 1, 1, True)))


# ---- padding -------------------------------------------------------------------------------------
PADS = [((2, 3, 4), (1, 2), "constant", 1.5), ((2, 3, 4), (-1, 2, 1, -2), "constant", None),
        ((2, 3, 4), (3, 1), "reflect", None), ((2, 3, 4), (-1, 2), "reflect", None),
        ((2, 3, 4, 5), (2, 1, 3, 2), "reflect", 0.0), ((2, 3, 4), (3, -1, 2, 1), "replicate", None),
        ((1, 2, 3, 4, 5), (3, 1, 1, 2, 2, 1), "replicate", None),
        ((2, 3, 4), (3, -1), "circular", None), ((2, 3, 4), (1, -2, 2, 3), "circular", None)]


@pytest.mark.parametrize("shape,pad,mode,value", PADS)
def test_pad_matches_torch(shape, pad, mode, value):
    x, tx = both(rand(shape), requires_grad=True)
    ours, theirs = F.pad(x, pad, mode, value), TF.pad(tx, pad, mode, value)
    np.testing.assert_array_equal(ours.detach().numpy(), to_np(theirs))
    assert ours.grad_fn.name() == theirs.grad_fn.name().rpartition("::")[2]
    g = rand(tuple(theirs.shape), seed=3)
    ours.backward(fg.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-14)


def test_pad_of_integers_truncates_the_value():
    x, tx = both(np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(F.pad(x, (1, 2), value=-1.5).numpy(),
                                  to_np(TF.pad(tx, (1, 2), value=-1.5)))


PAD_ERRORS = [((2, 3, 4), (1, 2, 3), {}), ((2, 3, 4), (1,) * 8, {}), ((2, 3, 4), (-3, -2), {}),
              ((2, 3, 4), (1, 1), dict(mode="foo")), ((2, 3, 4), (4, 1), dict(mode="reflect")),
              ((2, 3, 4), (5, 1), dict(mode="circular")),
              ((2, 3, 4), (1, 2), dict(mode="replicate", value=1.0)),
              ((4,), (1, 2), dict(mode="replicate")), ((2, 3, 4), (1,) * 6, dict(mode="reflect")),
              ((2, 3, 0), (1, 2), dict(mode="reflect")), ((2, 3, 4), (1.5, 2), {})]


@pytest.mark.parametrize("shape,pad,kwargs", PAD_ERRORS)
def test_pad_errors_match_torch(shape, pad, kwargs):
    x, tx = both(rand(shape))
    theirs = _error(lambda: TF.pad(tx, pad, **kwargs))
    assert theirs[0] is not None and _error(lambda: F.pad(x, pad, **kwargs)) == theirs


# ---- dropout -------------------------------------------------------------------------------------
DROPOUTS = [("dropout", (3, 50), 0.3), ("dropout", (2, 3, 4), 0.8), ("dropout1d", (4, 6, 3), 0.5),
            ("dropout1d", (6, 3), 0.5), ("dropout2d", (3, 5, 2, 2), 0.4),
            ("dropout3d", (2, 3, 2, 1, 2), 0.5), ("dropout3d", (4, 2, 1, 2), 0.5)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn,shape,p", DROPOUTS)
def test_dropout_masks_equal_torchs_after_manual_seed(fn, shape, p, dtype):
    x, tx = both(rand(shape, dtype, low=0.5, high=1.5), requires_grad=True)
    fg.manual_seed(7)
    torch.manual_seed(7)
    ours, theirs = getattr(F, fn)(x, p), getattr(TF, fn)(tx, p)
    np.testing.assert_array_equal(ours.detach().numpy(), to_np(theirs))
    assert 0 < (to_np(theirs) == 0).mean() < 1  # some dropped, some kept
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), to_np(tx.grad))
    # the generator moved on as torch's did
    np.testing.assert_array_equal(fg.rand(3).numpy(), torch.rand(3).numpy())


def test_dropout_in_place_eval_and_edge_probabilities():
    x = fg.ones(4, 5)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    fg.manual_seed(3)
    torch.manual_seed(3)
    y, ty = fg.ones(4, 5), torch.ones(4, 5)
    assert F.dropout(y, 0.5, inplace=True) is y
    TF.dropout(ty, 0.5, inplace=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    for p in (-0.1, 1.5):
        for ours, theirs in ((F.dropout, TF.dropout), (F.dropout2d, TF.dropout2d),
                             (fg.nn.Dropout, torch.nn.Dropout)):
            assert _error(lambda: ours(x, p)) == _error(lambda: theirs(torch.ones(4, 5), p))
    assert _error(lambda: F.dropout1d(fg.ones(2), 0.5)) == _error(
        lambda: TF.dropout1d(torch.ones(2), 0.5))


def test_dropout_modules_follow_train_and_eval():
    for name, shape in (("Dropout", (2, 3)), ("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 2, 2)),
                        ("Dropout3d", (2, 3, 2, 1, 2)), ("AlphaDropout", (4, 5)),
                        ("FeatureAlphaDropout", (4, 3, 2))):
        ours, theirs = getattr(fg.nn, name)(0.25), getattr(torch.nn, name)(0.25)
        assert repr(ours) == repr(theirs)
        x, tx = both(rand(shape, low=0.5, high=1.5))
        fg.manual_seed(5)
        torch.manual_seed(5)
        np.testing.assert_array_equal(ours(x).numpy(), to_np(theirs(tx)))
        ours.eval()
        assert ours(x) is x


@pytest.mark.parametrize("fn,shape", [("alpha_dropout", (3, 40)),
                                      ("feature_alpha_dropout", (4, 6, 3))])
def test_alpha_dropout_equals_torchs_after_manual_seed(fn, shape):
    x, tx = both(rand(shape, "float32"), requires_grad=True)
    fg.manual_seed(11)
    torch.manual_seed(11)
    ours, theirs = getattr(F, fn)(x, 0.3, True), getattr(TF, fn)(tx, 0.3, True)
    np.testing.assert_allclose(ours.detach().numpy(), to_np(theirs), rtol=1e-6, atol=1e-6)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), to_np(tx.grad))
    assert getattr(F, fn)(x, 0.3) is x  # training is off by default, as torch's
    assert _error(lambda: F.feature_alpha_dropout(fg.ones(3), 0.5, True)) == _error(
        lambda: TF.feature_alpha_dropout(torch.ones(3), 0.5, True))


# ---- the layers ----------------------------------------------------------------------------------
LAYERS = [
    ("MaxPool2d", (3,), dict(stride=2, padding=1), (2, 3, 7, 6)),
    ("MaxPool2d", ((2, 3),), dict(dilation=2, ceil_mode=True, return_indices=True), (3, 7, 8)),
    ("MaxPool1d", (3, 1, 1), dict(return_indices=True), (2, 3, 7)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 7)),
    ("AvgPool2d", ((3, 2),), dict(ceil_mode=True, divisor_override=3), (2, 3, 7, 6)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 7)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 7, 6)),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), (3, 7, 6)),
    ("LPPool1d", (2, 3), {}, (2, 3, 7)),
    ("LPPool2d", (2, (2, 3)), dict(stride=2, ceil_mode=True), (2, 3, 7, 6)),
    ("LPPool2d", (float("inf"), 2), {}, (3, 4, 5)),
    ("Flatten", (), {}, (2, 3, 4, 5)),
    ("Flatten", (0, 2), {}, (2, 3, 4, 5)),
    ("Unflatten", (1, (2, 3)), {}, (4, 6, 5)),
    ("Unflatten", (-1, [5, -1]), {}, (4, 10)),
    ("Identity", (3, 4), dict(anything=1), (2, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
def test_layers_match_torch(name, args, kwargs, shape):
    ours, theirs = getattr(fg.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x, tx = both(rand(shape), requires_grad=True)
    out, tout = ours(x), theirs(tx)
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(out[1].numpy(), to_np(tout[1]))
        out, tout = out[0], tout[0]
    np.testing.assert_allclose(out.detach().numpy(), to_np(tout), rtol=1e-13)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), to_np(tx.grad), rtol=1e-13)


def test_layer_argument_errors_match_torch():
    for size in (3, (2, 1.5)):
        assert _error(lambda: fg.nn.Unflatten(1, size)) == _error(
            lambda: torch.nn.Unflatten(1, size))
    assert _error(lambda: fg.nn.Dropout(2)) == _error(lambda: torch.nn.Dropout(2))
    assert repr(fg.nn.Sequential(fg.nn.Flatten(), fg.nn.Dropout(0.1), fg.nn.Identity())) == repr(
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.1), torch.nn.Identity()))


# ---- nn2: max unpooling ----------------------------------------------------------------------
def test_max_unpool_layers_match_torch():
    runs = []
    for L in (fg, torch):
        x = L.tensor(rand((2, 3, 5, 6)), requires_grad=True)
        pooled, indices = L.nn.functional.max_pool2d(x, 2, return_indices=True)
        unpool = L.nn.MaxUnpool2d(2)
        out = unpool(pooled, indices, output_size=(5, 6))
        (out * L.arange(float(out.numel())).reshape(out.shape)).sum().backward()
        row, row_indices = L.nn.functional.max_pool1d(x[0].detach(), 3, 2, return_indices=True)
        out1 = L.nn.MaxUnpool1d(3, stride=2)(row, row_indices)
        runs.append((repr(unpool), repr(L.nn.MaxUnpool1d(3)), out.grad_fn.name(), out, x.grad,
                     out1))
    assert runs[0][:3] == runs[1][:3]
    for ours, theirs in zip(runs[0][3:], runs[1][3:]):
        np.testing.assert_array_equal(ours.detach().numpy(), to_np(theirs))


@pytest.mark.parametrize("indices,kwargs", [
    (lambda L: L.zeros(1, 1, 2, 2, dtype=L.long) + 20, {}),
    (lambda L: L.zeros(1, 1, 2, 2, dtype=L.long) - 1, {}),
    (lambda L: L.zeros(1, 1, 2, 2, dtype=L.long), dict(output_size=(7, 7))),
    (lambda L: L.zeros(1, 1, 2, 2, dtype=L.long), dict(output_size=(1, 2, 3))),
    (lambda L: L.zeros(1, 1, 2, 1, dtype=L.long), {}),
    (lambda L: L.zeros(1, 1, 2, 2, dtype=L.int32), {}),
])
def test_max_unpool_errors_match_torch(indices, kwargs):
    assert _error(lambda: F.max_unpool2d(fg.ones(1, 1, 2, 2), indices(fg), 2, **kwargs)) == \
        _error(lambda: TF.max_unpool2d(torch.ones(1, 1, 2, 2), indices(torch), 2, **kwargs))


# ---- nn2: pooling of narrower integers (max pools, in int64) and of float16 (in float32) ------
DTYPE_POOLS = [lambda F, x: F.max_pool2d(x, 2), lambda F, x: F.max_pool1d(x[0], 2),
               lambda F, x: F.adaptive_max_pool2d(x, 2), lambda F, x: F.avg_pool2d(x, 2),
               lambda F, x: F.adaptive_avg_pool2d(x, 3),
               lambda F, x: F.max_pool2d(x, 3, 1, 1, return_indices=True),
               lambda F, x: F.max_pool1d(x[0], 2, return_indices=True)]


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "bool", "float16"])
def test_pools_of_other_dtypes_as_torch(dtype):
    def run(L):
        x = (L.arange(32).reshape(1, 2, 4, 4) * 7 % 11).to(getattr(L, dtype))
        results = []
        for fn in DTYPE_POOLS:
            try:
                out = fn(L.nn.functional, x)
            except NotImplementedError as e:
                results.append(str(e))
                continue
            results.append([(repr(t.dtype), t.float().numpy().tolist())
                            for t in (out if isinstance(out, tuple) else (out,))])
        return results
    assert run(fg) == run(torch)


def test_float16_pool_gradients_as_torch():
    grads = []
    for L in (fg, torch):
        x = L.tensor(rand((1, 2, 5, 4), "float16"), requires_grad=True)
        F = L.nn.functional
        (F.avg_pool2d(x, 2, 1, 1) * 3 + F.max_pool2d(x, 2).sum() + F.adaptive_avg_pool2d(
            x, 3).sum()).sum().backward()
        grads.append(x.grad)
    assert repr(grads[0].dtype) == repr(grads[1].dtype)
    np.testing.assert_allclose(grads[0].float().numpy(), grads[1].float().numpy(), atol=1e-3)
