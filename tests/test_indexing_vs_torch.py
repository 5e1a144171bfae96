"""Advanced indexing, gather, index_select, scatter_add and index_put_ against PyTorch: values,
shapes, dtypes, grad_fn names, gradients, tangents, second derivatives and error messages.
Skipped where torch is not installed."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from fastgrad.autograd import forward_ad as fwad  # noqa: E402
import torch.autograd.forward_ad as torch_fwad  # noqa: E402

DATA = np.random.default_rng(3).standard_normal((2, 3, 4))
MASK = DATA > 0

# Keys for a (2, 3, 4) tensor; a callable builds one from the library (for tensor entries).
KEYS = [
    [0, 1], [1, 1, 0], ([0, 1], [2, 0]), (slice(None), [1, 0]), (0, slice(None), [1, 2]),
    ([0, 1], slice(None), [1, 2]), (Ellipsis, [1, 2]), (None, [1], None, [1, 2]),
    ([[0], [1]], slice(None), [1, 2]), (slice(1, None), [0]), ([0], slice(1, None), [0]),
    True, False, ([0, 0, 1],), ([0, -1], [-1, -3]), (range(2), [0, 2]), ([[0, 1], [1, 0]],),
    ([0, 1], 2), ([],), ([1, True],), ([0.7, 1.2],), (slice(None), slice(None), [3, 0, 3, -4]),
    (Ellipsis, None, [0]), (slice(None, None, 2), [2, 1], slice(1, 3)),
    lambda L: L.tensor([[1, 0], [0, 1]]), lambda L: (L.tensor([0, 1]), slice(None), L.tensor(2)),
    lambda L: L.tensor(MASK), lambda L: L.tensor(MASK[:, :, 0]),
    lambda L: (slice(None), L.tensor(MASK[0])), lambda L: (0, L.tensor(MASK[0])),
    lambda L: (L.tensor(MASK[:, 0, 0]), slice(None), [1, 2]),
    lambda L: (Ellipsis, L.tensor(MASK[0, 0])),
    lambda L: L.tensor(True), lambda L: (L.tensor([True, False]), L.tensor([0, 2])),
]
BAD_KEYS = [
    [2], (slice(None), [3]), ([-3],), ([0, 1], [0, 1, 2]), ([0], [5]),
    lambda L: L.tensor([0.0]), lambda L: L.tensor(MASK[0, :2]), lambda L: (0, L.tensor(MASK[0, :, :2])),
    ([0], [0], [0], [0]), lambda L: L.tensor(np.ones((2, 2), bool)), lambda L: L.tensor(MASK[0]),
    lambda L: (L.tensor([[True], [False]]), L.tensor([0, 2])),
]


def key_for(key, L):
    return key(L) if callable(key) else key


def pair(dtype="float64", requires_grad=True):
    return (fg.tensor(DATA, dtype=getattr(fg, dtype), requires_grad=requires_grad),
            torch.tensor(DATA, dtype=getattr(torch, dtype), requires_grad=requires_grad))


def same(f, t):
    assert tuple(f.shape) == tuple(t.shape)
    assert repr(f.dtype) == repr(t.dtype)
    np.testing.assert_allclose(f.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


def same_error(fn_f, fn_t):
    with pytest.raises(Exception) as expected:
        fn_t()
    with pytest.raises(type(expected.value)) as got:
        fn_f()
    assert str(expected.value) in str(got.value)  # ours may add the op and the sizes around it


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lists read as tuples warn in both libraries
        yield


@pytest.mark.parametrize("key", range(len(KEYS)))
def test_getitem_values_and_gradients(key):
    key = KEYS[key]
    xf, xt = pair()
    yf, yt = xf[key_for(key, fg)], xt[key_for(key, torch)]
    same(yf, yt)
    assert yf.grad_fn.name() == yt.grad_fn.name()
    w = np.random.default_rng(4).standard_normal(tuple(yt.shape))
    (yf * fg.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    same(xf.grad, xt.grad)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("key", [0, 2, 6, 26])
def test_getitem_dtypes(dtype, key):
    xf, xt = pair("float64", requires_grad=False)
    xf, xt = xf.to(getattr(fg, dtype)), xt.to(getattr(torch, dtype))
    same(xf[key_for(KEYS[key], fg)], xt[key_for(KEYS[key], torch)])


@pytest.mark.parametrize("key", range(len(BAD_KEYS)))
def test_getitem_errors(key):
    xf, xt = pair()
    key = BAD_KEYS[key]
    same_error(lambda: xf[key_for(key, fg)], lambda: xt[key_for(key, torch)])


def f64(data):
    return lambda L: L.tensor(data, dtype=L.float64)


PUTS = [
    (lambda L: L.tensor(MASK), 0.0), ([0], f64(DATA[1])), ([1], 2.5),
    (([0, 0], [1, 1]), f64([7.0, 8.0])), ((slice(None), [3, 0]), 1.0),
    (([0, 1], slice(None), [1, 2]), f64([[1.0], [2.0]])), ((1, [2, 0], [3, 3]), f64([5.0, 6.0])),
    ([0], f64([[[[1.0]]]])), ([0], f64([1.0, 2.0])), ([0], lambda L: L.tensor([1, 2, 3, 4])),
    ([0], lambda L: L.tensor([1.0, 2.0, 3.0, 4.0])), ([2], 1.0), (([0, 1], [0, 1]), f64(DATA[0, 0])),
]


@pytest.mark.parametrize("case", range(len(PUTS)))
def test_setitem(case):
    key, value = PUTS[case]
    xf, xt = pair(requires_grad=False)

    def put(x, L):
        x[key_for(key, L)] = key_for(value, L)
    try:
        put(xt, torch)
    except Exception:
        same_error(lambda: put(xf, fg), lambda: put(xt, torch))
        return
    put(xf, fg)
    same(xf, xt)


def test_setitem_records_index_put():
    results = []
    for L in (fg, torch):
        x = L.tensor(DATA, requires_grad=True)
        w = L.tensor([2.0, 3.0], dtype=L.float64, requires_grad=True)
        y = x * 2
        y[[0, 1], [1, 1], [0, 3]] = w
        y[y > 1] = 0.0
        z = y[1:]
        z[:, [1], [0]] = w[0] * 5
        (y * L.tensor(DATA)).sum().backward()
        results.append((y, x.grad, w.grad))
    for f, t in zip(*results):
        same(f, t)


def test_setitem_on_a_leaf_fails_as_in_torch():
    xf, xt = pair()
    with pytest.raises(RuntimeError) as expected:
        xt[[0]] = 1.0
    with pytest.raises(RuntimeError) as got:
        xf[[0]] = 1.0
    assert str(got.value) == "index_put_(): " + str(expected.value)  # fastgrad names the op


INDEX = np.array([[[0, 2, 2, 1]], [[1, 1, 0, 2]]])
ALONG = {
    "gather": lambda L, x: x.gather(1, L.tensor(INDEX)),
    "gather_last": lambda L, x: L.gather(x, -1, L.tensor([[[3, 3], [0, 1], [2, 2]]])),
    "index_select": lambda L, x: L.index_select(x, 1, L.tensor([2, 0, 2])),
    "index_select_scalar": lambda L, x: x.index_select(2, L.tensor(1)),
    "scatter_add": lambda L, x: L.scatter_add(x * 1, 1, L.tensor(INDEX), x[:, :1] ** 2),
    "scatter_add_": lambda L, x: (x * 1).scatter_add_(2, L.tensor([[[0, 0]], [[3, 3]]]), x[:, :1, 1:3] * 3),
    "index_then_gather": lambda L, x: x[[1, 0, 1]].gather(0, L.tensor([[[0] * 4] * 3, [[2] * 4] * 3])),
}


@pytest.mark.parametrize("case", ALONG)
def test_along_values_and_gradients(case):
    xf, xt = pair()
    yf, yt = ALONG[case](fg, xf), ALONG[case](torch, xt)
    same(yf, yt)
    assert yf.grad_fn.name() == yt.grad_fn.name()
    w = np.random.default_rng(5).standard_normal(tuple(yt.shape))
    (yf * fg.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    same(xf.grad, xt.grad)


ALONG_ERRORS = [
    lambda L, x: x.gather(1, L.tensor([[[3]]])), lambda L, x: x.gather(2, L.tensor([[[-1]]])),
    lambda L, x: x.gather(0, L.tensor([0])), lambda L, x: x.gather(0, L.tensor([[[0]] * 4])),
    lambda L, x: x.gather(0, L.tensor([[[0.0]]])), lambda L, x: x.gather(1, L.tensor([[[0]] * 3] * 3)),
    lambda L, x: x.index_select(0, L.tensor([2])), lambda L, x: x.index_select(1, L.tensor([-1])),
    lambda L, x: x.index_select(2, L.tensor([4])), lambda L, x: x.index_select(1, L.tensor([[1]])),
    lambda L, x: x.index_select(1, L.tensor([1.0])),
    lambda L, x: x.scatter_add(1, L.tensor([[[3]]]), x),
    lambda L, x: x.scatter_add(1, L.tensor([[[0, 1]]]), x[:1, :1, :1]),
    lambda L, x: x.scatter_add(1, L.tensor([[[0]]]), x.float()),
    lambda L, x: x.scatter_add(1, L.tensor([[[0.0]]]), x),
    lambda L, x: x.scatter_add(1, L.tensor([0]), x),
]


@pytest.mark.parametrize("case", range(len(ALONG_ERRORS)))
def test_along_errors(case):
    xf, xt = pair(requires_grad=False)
    same_error(lambda: ALONG_ERRORS[case](fg, xf), lambda: ALONG_ERRORS[case](torch, xt))


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_along_dtypes(dtype):
    xf, xt = pair(requires_grad=False)
    xf, xt = xf.to(getattr(fg, dtype)), xt.to(getattr(torch, dtype))
    for case in ("gather", "index_select"):
        same(ALONG[case](fg, xf), ALONG[case](torch, xt))
    same(fg.scatter_add(xf, 1, fg.tensor(INDEX), xf[:, :1]),
         torch.scatter_add(xt, 1, torch.tensor(INDEX), xt[:, :1]))


def test_nonzero():
    for x in (DATA, MASK, np.zeros((2, 0)), np.array(3.0), np.array(0.0)):
        same(fg.nonzero(fg.tensor(x)), torch.nonzero(torch.tensor(x)))


HIGHER = {
    "index": lambda L, x: x[[1, 0, 1], :, [3, 3, 0]],
    "mask": lambda L, x: x[L.tensor(MASK)],
    "gather": ALONG["gather"],
    "index_select": ALONG["index_select"],
    "scatter_add": ALONG["scatter_add"],
}


@pytest.mark.parametrize("case", HIGHER)
def test_jvp_and_second_derivative(case):
    fn = HIGHER[case]
    tangent = np.random.default_rng(6).standard_normal(DATA.shape)
    tangents, seconds = [], []
    for L, ad in ((fg, fwad), (torch, torch_fwad)):
        with ad.dual_level():
            dual = ad.make_dual(L.tensor(DATA), L.tensor(tangent))
            tangents.append(ad.unpack_dual(fn(L, dual)).tangent)
        x = L.tensor(DATA, requires_grad=True)
        y = fn(L, x) ** 3
        (g,) = L.autograd.grad(y, x, L.ones_like(y), create_graph=True)
        seconds.append(L.autograd.grad((g * L.tensor(tangent)).sum(), x)[0])
    same(*tangents)
    same(*seconds)


WRITE_ERRORS = {
    "one_hot too small": lambda L, x: L.nn.functional.one_hot(L.tensor([0, 5]), 3),
    "one_hot negative": lambda L, x: L.nn.functional.one_hot(L.tensor([-1])),
    "one_hot float": lambda L, x: L.nn.functional.one_hot(L.tensor([1.0])),
    "one_hot empty": lambda L, x: L.nn.functional.one_hot(L.tensor([], dtype=L.long)),
    "take beyond": lambda L, x: L.take(x, L.tensor([6])),
    "take float index": lambda L, x: L.take(x, L.tensor([1.0])),
    "index_fill beyond": lambda L, x: x.index_fill(1, L.tensor([3]), 0.0),
    "index_fill 1-d value": lambda L, x: x.index_fill(1, L.tensor([0]), L.ones(2)),
    "index_add beyond": lambda L, x: x.index_add(0, L.tensor([2]), L.ones(1, 3)),
    "masked_select int mask": lambda L, x: x.masked_select(L.tensor([1, 0, 1])),
    "scatter bad reduce": lambda L, x: x.scatter(0, L.tensor([[0]]), 1.0, reduce="max"),
    "scatter beyond": lambda L, x: x.scatter(0, L.tensor([[2]]), 1.0),
    "scatter dtypes": lambda L, x: x.scatter(0, L.tensor([[1]]), L.ones(1, 1, dtype=L.float32)),
}


@pytest.mark.parametrize("name", sorted(WRITE_ERRORS))
def test_errors_of_writes_along_an_axis_match_torch(name):
    x = np.arange(6.0).reshape(2, 3)
    same_error(lambda: WRITE_ERRORS[name](fg, fg.tensor(x)),
               lambda: WRITE_ERRORS[name](torch, torch.tensor(x)))


def test_scatter_multiply_has_no_gradient_as_in_torch():
    for L in (fg, torch):
        x = L.ones(3, requires_grad=True)
        y = (x * 1).scatter(0, L.tensor([0, 0, 1]), L.tensor([2.0, 3.0, 4.0]), reduce="multiply")
        assert y.grad_fn.name().endswith("NotImplemented")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()
