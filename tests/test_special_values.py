"""NaN, +inf, -inf and empty tensors through every op, forward and backward.

IEEE arithmetic decides what comes out (inf - inf and 0 * inf are NaN, a NaN anywhere in a
row of a matrix product makes that row NaN, ...) and PyTorch decides the rest (the gradient of
relu at NaN, the sum of nothing, which empty reductions raise). The first half states the most
important cases as explicit expectations computed with numpy, so they run everywhere, also in
CI's sanitizer pass without torch; the second half runs every op against torch itself."""

import numpy as np
import pytest

import fastgrad as fg
from ops_db import BINARY, COMPARISONS, MORE, UNARY, VS_TORCH, inputs
import reference as ref

NAN, INF = float("nan"), float("inf")
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 1.0, -2.5, 3.0]
FLOATS = ["float32", "float64"]
TOL = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-13),
       "long float32 sums": dict(rtol=1e-4, atol=1e-4)}
EMPTY_SHAPES = [(0,), (0, 3), (3, 0), (2, 0, 4)]


def special(dtype="float64"):
    return np.array(SPECIAL, dtype)


def pairs(dtype="float64"):
    """Every special value against every other: two arrays of len(SPECIAL) ** 2."""
    x = special(dtype)
    return np.repeat(x, len(x)), np.tile(x, len(x))


def upstream(shape, dtype, seed=1):
    """A reproducible upstream gradient, away from zero so that no product hides a NaN."""
    return np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype(dtype)


def values(t):
    return np.asarray(t.detach().numpy())


def assert_values(actual, expected, dtype=None, zero_sign=True):
    """Same shape and values, NaN where expected has NaN, infinities of the same sign, and
    unless told otherwise the same sign on zeros (abs(-0.) is 0.; gradients, whose zeros come
    from masks in one library and products in another, are not held to it)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected)
        return
    tol = TOL[str(dtype or actual.dtype)]
    np.testing.assert_allclose(actual, expected, equal_nan=True, **tol)
    if not zero_sign:
        return
    zeros = (expected == 0) & (actual == 0)
    np.testing.assert_array_equal(np.signbit(actual[zeros]), np.signbit(expected[zeros]),
                                  err_msg="the sign of a zero differs")


def leaf(array, lib=fg):
    return lib.tensor(np.array(array), requires_grad=np.asarray(array).dtype.kind == "f")


# ---- explicit expectations (numpy only) --------------------------------------------------------
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def rule(e, *arrays):
    """The op's rule on one element (ops_db), element by element: IEEE's results."""
    out_dtype = np.bool_ if e.comparison else arrays[0].dtype
    return ref.elementwise(e.scalar, *arrays, out_dtype=out_dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("e", UNARY, ids=[e.name for e in UNARY])
def test_unary_ops_on_special_values(e, dtype):
    x = special(dtype)
    t = leaf(x)
    y = getattr(fg, e.name)(t)
    g = upstream(x.shape, dtype)
    y.backward(fg.tensor(g))
    expected = rule(e, x)
    assert_values(values(y), expected)
    with np.errstate(all="ignore"):
        assert_values(t.grad.numpy(), (g * e.derivative(x, expected)).astype(dtype),
                      zero_sign=False)


def test_relu_passes_the_gradient_at_nan_also_when_differentiated_twice():
    # without and with create_graph (the same rows): g at NaN, as torch
    x = leaf([NAN, -1.0, 0.0, 2.0])
    (gx,) = fg.autograd.grad(fg.relu(x).sum(), x, create_graph=True)
    assert_values(gx.detach().numpy(), [1.0, 0.0, 0.0, 1.0])
    x = leaf([NAN, -1.0, 0.0, 2.0])
    (gx,) = fg.autograd.grad(fg.relu(x).sum(), x)
    assert_values(gx.numpy(), [1.0, 0.0, 0.0, 1.0])


def test_rules_stop_nan_and_inf_of_the_upstream_gradient_where_torch_does():
    g = fg.tensor([NAN, INF, -INF, NAN, 1.0, NAN])
    x = leaf([0.0, 0.0, 1.0, 2.0, 0.0, -0.0])
    fg.sign(x).backward(g)  # sign is flat: zeros, whatever g holds
    assert_values(x.grad.numpy(), np.zeros(6), zero_sign=False)
    x = leaf([0.0, 0.0, 1.0, 2.0, 0.0, -0.0])
    (x * 1).fill_(3.0).backward(g)
    assert_values(x.grad.numpy(), np.zeros(6), zero_sign=False)
    x = leaf([0.0, 0.0, 1.0, 2.0, 0.0, -0.0])
    fg.abs(x).backward(g)  # g * sign(x): NaN and inf times 0 at 0 are NaN
    assert_values(x.grad.numpy(), [NAN, NAN, -INF, NAN, 0.0, NAN], zero_sign=False)
    # 0 ** b: flat for b >= 0, g * inf * log(0) for b < 0, NaN for NaN
    b = leaf([-1.0, 0.0, 2.0, NAN, -0.5])
    (0.0 ** b).backward(fg.ones(5, dtype=fg.float64))
    assert_values(b.grad.numpy(), [-INF, 0.0, 0.0, NAN, -INF], zero_sign=False)
    b = leaf([-1.0, 0.0, 2.0])
    (fg.zeros(3, dtype=fg.float64) ** b).backward(fg.tensor([1.0, NAN, NAN]))
    assert_values(b.grad.numpy(), [-INF, NAN, NAN], zero_sign=False)  # torch multiplies by g


def test_cat_skips_one_dimensional_empty_tensors_as_torch():
    a, b = leaf(np.zeros(0)), leaf(np.ones((2, 3)))
    for dim in (0, 1, -1):
        out = fg.cat([a, b, a], dim)
        assert out.shape == (2, 3)
        out.sum().backward()
    assert a.grad.shape == (0,) and b.grad.shape == (2, 3)
    assert fg.cat([fg.zeros(0, dtype=fg.float64), fg.zeros(2, 3)]).dtype == fg.float64
    assert fg.cat([fg.zeros(0), fg.zeros(0)]).shape == (0,)
    with pytest.raises(RuntimeError):
        fg.cat([fg.zeros(0, 3), fg.zeros(2, 4)])  # only the 1-d (0,) is skipped


def test_cross_entropy_gradient_of_an_ignored_row_is_nan_only_where_its_softmax_is():
    # torch: log_softmax's backward of the zero gradient an ignored row gets, 0 - exp(y) * 0
    x = leaf([[1.0, 2.0, INF], [NAN, 0.0, 1.0], [1.0, 2.0, 3.0], [-INF, 0.0, 1.0]])
    target = fg.tensor([-100, -100, -100, 0])
    last = _sigmoid(np.array([-1.0, 1.0]))
    for create_graph in (False, True):  # the same rows, without and with a graph of their own
        loss = fg.nn.functional.cross_entropy(x, target, reduction="sum")
        assert_values(values(loss), np.array(INF))
        (gx,) = fg.autograd.grad(loss, x, create_graph=create_graph)
        assert_values(values(gx), [[NAN] * 3, [NAN] * 3, [0.0] * 3, [-1.0, *last]],
                      zero_sign=False)


def test_abs_of_negative_zero_is_positive_zero():
    assert_values(values(fg.abs(fg.tensor([-0.0, 0.0, -1.0, NAN]))), [0.0, 0.0, 1.0, NAN])
    assert_values(values(fg.tensor([-0.0, -2.0]).float().abs()), np.array([0.0, 2.0], "float32"))


FLOAT_MORE = [e for e in MORE if "float64" in e.dtypes]
MORE_UNARY = [e for e in FLOAT_MORE if e.arity == 1]
MORE_BINARY = [e for e in FLOAT_MORE if e.arity == 2]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("e", MORE_UNARY, ids=[e.name for e in MORE_UNARY])
def test_more_unary_ops_on_special_values(e, dtype):
    """frac and the tests of values (isnan, signbit, ...), and frac's gradient: g everywhere."""
    x = special(dtype)
    t = leaf(x)
    y = getattr(fg, e.name)(t)
    assert_values(values(y), rule(e, x))
    if e.derivative is not None:
        g = upstream(x.shape, dtype)
        y.backward(fg.tensor(g))
        assert_values(t.grad.numpy(), (g * e.derivative(x, None)).astype(dtype), zero_sign=False)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("e", BINARY + COMPARISONS + MORE_BINARY,
                         ids=[e.name for e in BINARY + COMPARISONS + MORE_BINARY])
def test_binary_ops_on_every_pair_of_special_values(e, dtype):
    a, b = pairs(dtype)
    out = values(getattr(fg, e.name)(fg.tensor(a), fg.tensor(b)))
    assert_values(out, rule(e, a, b))


def test_lerp_on_special_values():
    """Every special value as start, end and weight: torch's two forms by |weight| < 0.5."""
    x = special()
    a, b, w = (np.array(v).reshape(-1) for v in np.meshgrid(x, x, x, indexing="ij"))
    out = values(fg.lerp(fg.tensor(a), fg.tensor(b), fg.tensor(w)))
    assert_values(out, rule(MORE[[e.name for e in MORE].index("lerp")], a, b, w))


@pytest.mark.parametrize("dtype", FLOATS)
def test_products_of_elementwise_gradients_follow_ieee(dtype):
    a, b = pairs(dtype)
    ta, tb = leaf(a), leaf(b)
    (ta * tb + ta / tb).backward(fg.ones(a.shape, dtype=getattr(fg, dtype)))
    with np.errstate(all="ignore"):
        assert_values(ta.grad.numpy(), (b + 1 / b).astype(dtype))  # 1 * inf ... 1 / 0 = inf
        assert_values(tb.grad.numpy(), (a - a / b / b).astype(dtype))


def test_scalar_special_values_broadcast_as_ieee_says():
    x = special()
    t = fg.tensor(x)
    with np.errstate(all="ignore"):
        assert_values(values(t * INF), x * INF)  # 0 * inf = nan
        assert_values(values(t - INF), x - INF)  # inf - inf = nan
        assert_values(values(INF - t), INF - x)
        assert_values(values(t / 0.0), x / 0.0)
        assert_values(values(0.0 * t), 0.0 * x)
        assert_values(values(t ** 0), np.ones_like(x))  # nan ** 0 = 1
        assert_values(values(1.0 ** t), np.ones_like(x))  # 1 ** nan = 1


def ieee_matmul(a, b):
    """a @ b as the sum of products, each computed: no shortcut can skip a 0 * inf or a NaN."""
    with np.errstate(all="ignore"):
        return (a[..., :, :, None] * b[..., None, :, :]).sum(axis=-2)


def poisoned(shape, dtype, seed):
    """Random data with a NaN, an inf, a -inf, a zero row and a zero column in it."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=shape).astype(dtype)
    m, n = shape[-2:]
    x[..., m // 3, n // 2] = NAN
    x[..., m // 2, n // 3] = INF
    x[..., (2 * m) // 3, n - 1] = -INF
    x[..., m - 1, :] = 0
    x[..., :, 0] = 0
    return x


# (m, k, n): tiny (direct), gemv-shaped, row vector times matrix, and large enough for the
# blocked, packed and threaded gemm with ragged edges and more than one k slice.
PRODUCT_SHAPES = [(3, 4, 5), (7, 6, 1), (1, 9, 7), (33, 17, 29), (130, 600, 40)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m,k,n", PRODUCT_SHAPES)
@pytest.mark.parametrize("layout", ["nn", "tn", "nt"])
def test_matrix_products_propagate_nan_and_inf_times_zero(m, k, n, layout, dtype):
    a = poisoned((m, k), dtype, seed=m)
    b = poisoned((k, n), dtype, seed=n).T.copy().T if layout == "nt" else poisoned((k, n), dtype, n)
    ta = fg.tensor(a.T.copy()).t() if layout == "tn" else fg.tensor(a)
    tb = fg.tensor(b.T.copy()).t() if layout == "nt" else fg.tensor(b)
    ta.requires_grad_(True)
    tb.requires_grad_(True)
    out = fg.mm(ta, tb)
    expected = ieee_matmul(a, b)
    assert np.isnan(expected).any() and np.isfinite(expected).any()
    loose = "long float32 sums" if dtype == "float32" else "float32"  # orders of summation differ
    assert_values(values(out), expected.astype(dtype), loose)
    g = poisoned((m, n), dtype, seed=3)  # the backward products see NaN and inf too
    out.backward(fg.tensor(g))
    assert_values(ta.grad.numpy(), ieee_matmul(g, b.T).astype(dtype), loose)
    assert_values(tb.grad.numpy(), ieee_matmul(a.T, g).astype(dtype), loose)


@pytest.mark.parametrize("dtype", FLOATS)
def test_vector_products_propagate_nan(dtype):
    x = special(dtype)
    for a, b in ((x, np.zeros_like(x)), (np.ones_like(x), x), (x[3:], x[3:])):
        with np.errstate(all="ignore"):
            expected = (a * b).sum()
        assert_values(values(fg.dot(fg.tensor(a), fg.tensor(b))), expected)
        m = np.stack([a, np.zeros_like(a), np.ones_like(a), a[::-1]])
        assert_values(values(fg.mv(fg.tensor(m), fg.tensor(b))), ieee_matmul(m, b[:, None])[:, 0])
        assert_values(values(fg.mv(fg.tensor(m.T.copy()).t(), fg.tensor(b))),
                      ieee_matmul(m, b[:, None])[:, 0])
    # one long dot (split into chunks) with a NaN at its very end, one with inf * 0
    n = 4 * 65536 + 5
    a, b = np.ones(n, dtype), np.zeros(n, dtype)
    a[-1] = NAN
    assert np.isnan(values(fg.dot(fg.tensor(a), fg.tensor(b))))
    a[-1], b[7] = 1.0, INF
    a[7] = 0.0
    assert np.isnan(values(fg.dot(fg.tensor(a), fg.tensor(b))))
    assert np.isnan(values(fg.mm(fg.tensor(a[None]), fg.tensor(b[:, None]))))


def test_batched_matmul_propagates_nan():
    a = poisoned((2, 3, 5, 4), "float64", seed=0)
    b = poisoned((3, 4, 6), "float64", seed=1)
    ta, tb = leaf(a), leaf(b)
    out = fg.matmul(ta, tb)
    assert_values(values(out), ieee_matmul(a, b))
    g = upstream(out.shape, "float64")
    out.backward(fg.tensor(g))
    assert_values(ta.grad.numpy(), ieee_matmul(g, np.swapaxes(b, -1, -2)))
    assert_values(tb.grad.numpy(), ieee_matmul(np.swapaxes(a, -1, -2), g).sum(0))


ROWS = np.array([[1.0, 2.0, 3.0, 4.0],
                 [1.0, NAN, INF, 2.0],
                 [INF, -INF, 1.0, 2.0],
                 [-INF, 0.0, -INF, 5.0],
                 [INF, INF, 1.0, INF]])


@pytest.mark.parametrize("dtype", FLOATS)
def test_reductions_of_special_values(dtype):
    x = ROWS.astype(dtype)
    t = fg.tensor(x)
    with np.errstate(all="ignore"):
        for dim in (None, 0, 1):
            assert_values(values(t.sum(dim)), x.sum(dim))
            assert_values(values(t.mean(dim)), x.mean(dim))
            assert_values(values(t.norm(dim=dim)), np.sqrt((x * x).sum(dim)))
            assert_values(values(t.argmax(dim)), np.argmax(x, dim))  # the first NaN
            assert_values(values(t.argmin(dim)), np.argmin(x, dim))
        for dim in (0, 1):
            assert_values(values(t.max(dim).values), np.max(x, dim))  # NaN wins
            assert_values(values(t.min(dim).values), np.min(x, dim))
            assert_values(values(t.max(dim).indices), np.argmax(x, dim))
            assert_values(values(t.cumsum(dim)), np.cumsum(x, dim))  # inf + -inf = nan onward
    assert np.isnan(values(t.max())) and np.isnan(values(t.min()))
    assert_values(values(t[2:].max()), np.array(INF, dtype))
    assert_values(values(t[2:].min()), np.array(-INF, dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_large_reductions_keep_a_late_nan(dtype):
    # past the sizes where sums go pairwise and reductions split across threads
    for shape in ((4 * 65536 + 3,), (700, 400)):
        x = np.ones(shape, dtype)
        x.reshape(-1)[-1] = NAN
        t = fg.tensor(x)
        for dim in (None,) + tuple(range(len(shape))):
            assert_values(values(t.sum(dim)), x.sum(dim), "float32")
            assert_values(values(t.max() if dim is None else t.max(dim).values), x.max(dim))
        assert values(t.argmax()) == x.size - 1
        x.reshape(-1)[-1], x.reshape(-1)[0] = INF, -INF
        assert np.isnan(values(fg.tensor(x).sum()))


def test_gradients_of_extremes_with_nan_and_ties_of_inf():
    t = leaf([1.0, NAN, 3.0, NAN])
    t.max().backward()
    assert_values(t.grad.numpy(), [0.0, 0.5, 0.0, 0.5])  # the NaNs are the maximum
    t = leaf([INF, 1.0, INF])
    t.max().backward()
    assert_values(t.grad.numpy(), [0.5, 0.0, 0.5])
    t = leaf([[1.0, NAN, 3.0], [-INF, 2.0, -INF]])
    t.max(1).values.sum().backward()
    assert_values(t.grad.numpy(), [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    t = leaf([[1.0, NAN, 3.0], [-INF, 2.0, -INF]])
    t.min(1).values.sum().backward()
    assert_values(t.grad.numpy(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_norm_gradient_at_zero_inf_and_nan():
    t = leaf([[0.0, 0.0], [INF, 1.0], [NAN, 1.0], [3.0, 4.0]])
    t.norm(dim=1).sum().backward()
    assert_values(t.grad.numpy(), [[0.0, 0.0], [NAN, 0.0], [NAN, NAN], [0.6, 0.8]])


def test_softmax_rows_with_infinities():
    x = np.array([[1.0, 2.0, -INF], [-INF, -INF, -INF], [INF, 1.0, 2.0], [NAN, 1.0, 2.0]])
    t = leaf(x)
    out = fg.softmax(t, 1)
    row0 = np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()
    assert_values(values(out), [[row0[0], row0[1], 0.0], [NAN] * 3, [NAN] * 3, [NAN] * 3])
    assert_values(values(fg.log_softmax(fg.tensor(x[:1]), 1)), [[*np.log(row0), -INF]])


# ---- empty tensors (numpy only) ----------------------------------------------------------------
@pytest.mark.parametrize("shape", EMPTY_SHAPES)
def test_empty_reductions(shape):
    t = leaf(np.zeros(shape))
    assert_values(values(t.sum()), np.array(0.0))
    assert np.isnan(values(t.mean()))
    assert_values(values(t.norm()), np.array(0.0))
    for op in (fg.max, fg.min, fg.argmax, fg.argmin):
        with pytest.raises(RuntimeError if op in (fg.max, fg.min) else IndexError, match="numel"):
            op(t)  # the error types are torch's
    (t.sum() + t.norm()).backward()
    assert t.grad.shape == shape
    for dim in range(len(shape)):
        kept = shape[:dim] + shape[dim + 1:]
        assert_values(values(t.sum(dim)), np.zeros(kept))
        assert_values(values(t.mean(dim)), np.full(kept, NAN if shape[dim] == 0 else 0.0))
        assert_values(values(t.cumsum(dim)), np.zeros(shape))
        if shape[dim] == 0:
            for op in (fg.max, fg.min, fg.argmax, fg.argmin):
                with pytest.raises(IndexError, match="non-zero size"):
                    op(t, dim)
        else:  # reducing a non-empty axis of an empty tensor is fine
            assert fg.max(t, dim).values.shape == kept
            assert fg.argmax(t, dim).shape == kept
            assert fg.argmin(t, dim, keepdim=True).shape == shape[:dim] + (1,) + shape[dim + 1:]


def test_empty_products():
    a, b = leaf(np.zeros((3, 0))), leaf(np.zeros((0, 4)))
    out = fg.mm(a, b)
    assert_values(values(out), np.zeros((3, 4)))
    out.backward(fg.ones(3, 4, dtype=fg.float64))
    assert a.grad.shape == (3, 0) and b.grad.shape == (0, 4)
    a, b = leaf(np.zeros((0, 3))), leaf(np.ones((3, 4)))
    out = fg.mm(a, b)
    assert out.shape == (0, 4)
    out.sum().backward()
    assert_values(b.grad.numpy(), np.zeros((3, 4)))
    assert_values(values(fg.dot(fg.zeros(0), fg.zeros(0))), np.array(0.0, "float32"))
    assert_values(values(fg.mv(fg.zeros(3, 0), fg.zeros(0))), np.zeros(3, "float32"))
    assert_values(values(fg.matmul(fg.zeros(2, 3, 0), fg.zeros(0, 5))), np.zeros((2, 3, 5), "float32"))
    assert fg.bmm(fg.zeros(0, 2, 3), fg.zeros(0, 3, 4)).shape == (0, 2, 4)


@pytest.mark.parametrize("shape", EMPTY_SHAPES)
def test_empty_elementwise_and_views(shape):
    t = leaf(np.zeros(shape))
    out = fg.sigmoid(t) * 2 + fg.relu(t) / (t + 1) - fg.exp(t).abs()
    out = fg.cat([out.reshape(-1), fg.stack([t, t]).flatten()]).sum()
    out.backward()
    assert_values(t.grad.numpy(), np.zeros(shape))


def test_empty_losses():
    x, y = leaf(np.zeros((0, 3))), fg.zeros(0, dtype=fg.int64)
    assert np.isnan(values(fg.nn.functional.cross_entropy(x, y)))
    assert_values(values(fg.nn.functional.cross_entropy(x, y, reduction="sum")), np.array(0.0))
    assert np.isnan(values(fg.nn.functional.mse_loss(x, x.detach())))
    loss = fg.nn.functional.mse_loss(x, x.detach(), reduction="sum")
    assert_values(values(loss), np.array(0.0))
    loss.backward()
    assert x.grad.shape == (0, 3)


# ---- against torch: every op, special values and empty tensors ---------------------------------
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _run(lib, fn, arrays, grad_out):
    """fn(lib, *leaves) and, when its (first) output requires grad, the leaves' gradients after
    backward(grad_out(shape, dtype))."""
    leaves = [lib.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(lib, *leaves)
    outs = tuple(out) if isinstance(out, tuple) else (out,)
    if not outs[0].requires_grad:
        return outs, None
    dtype = str(outs[0].dtype).split(".")[-1]
    outs[0].backward(lib.tensor(grad_out(tuple(outs[0].shape), dtype)))
    return outs, [leaf.grad for leaf in leaves]


def _builtin_type(exc):
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


def compare(torch, fn, arrays, grad_out=upstream, zero_sign=True):
    """fn through fastgrad and torch: the same outputs (dtype, shape, values with NaN and inf
    where torch has them) and gradients, or errors of the same kind where torch raises."""
    arrays = [np.asarray(a) for a in arrays]
    try:
        t_outs, t_grads = _run(torch, fn, arrays, grad_out)
    except Exception as exc:  # noqa: BLE001  (whatever torch raises, fastgrad must too)
        with pytest.raises(_builtin_type(exc)):
            _run(fg, fn, arrays, grad_out)
        return
    f_outs, f_grads = _run(fg, fn, arrays, grad_out)
    assert len(f_outs) == len(t_outs)
    for f, t in zip(f_outs, t_outs):
        assert repr(f.dtype) == repr(t.dtype)
        assert_values(values(f), values(t), zero_sign=zero_sign)
    assert (f_grads is None) == (t_grads is None)
    for f, t in zip(f_grads or (), t_grads or ()):
        assert (f is None) == (t is None)
        if t is not None:
            assert_values(f.numpy(), values(t), zero_sign=False)


def _masked_zero(L, x):
    y = x * 1
    y[x != x] = 0.0  # the usual NaN clean-up: index_put_ through a mask
    return y


def _idx(*values):
    return np.array(values, dtype=np.int64)


UNARY_CASES = {
    **{e.name: e.spellings()["function"] for e in UNARY},
    "F.relu": lambda L, x: L.nn.functional.relu(x),
    "square": lambda L, x: x ** 2, "cube": lambda L, x: x ** 3, "root": lambda L, x: x.abs() ** 0.5,
    # (torch computes x ** 0.5 as sqrt(x), so that (-inf) ** 0.5 is nan there, not C's and
    # IEEE's inf: compared where the two agree)
    "x**0": lambda L, x: x ** 0, "x**-1": lambda L, x: x ** -1, "x**-2": lambda L, x: x ** -2,
    "2**x": lambda L, x: 2 ** x, "0**x": lambda L, x: 0.0 ** x, "1**x": lambda L, x: 1.0 ** x,
    "x*0": lambda L, x: x * 0.0, "x*inf": lambda L, x: x * INF, "x+inf": lambda L, x: x + INF,
    "x-inf": lambda L, x: x - INF, "inf-x": lambda L, x: INF - x, "x/0": lambda L, x: x / 0.0,
    "1/x": lambda L, x: 1 / x, "0/x": lambda L, x: 0.0 / x, "x/inf": lambda L, x: x / INF,
    "x*nan": lambda L, x: x * NAN, "clone": lambda L, x: x.clone(),
    "to other dtype": lambda L, x: x.double() if x.dtype == L.float32 else x.float(),
    "masked zero": _masked_zero,
    "where nan": lambda L, x: L.where(x != x, 0.0, x),
    "inplace": lambda L, x: (x * 1).add_(INF).mul_(x),
    "nonzero": lambda L, x: L.nonzero(x), "bool": lambda L, x: x.bool(),
    "fill_": lambda L, x: (x * 1).fill_(2.0), "zero_": lambda L, x: (x * 1).zero_() + x,
    "x*x": lambda L, x: x * x, "x-x": lambda L, x: x - x, "x/x": lambda L, x: x / x,
    **{e.name: e.spellings()["function"] for e in MORE_UNARY},
    "nan_to_num": lambda L, x: L.nan_to_num(x),
    "nan_to_num values": lambda L, x: x.nan_to_num(nan=1.5, posinf=2.0, neginf=-3.0),
    "nan_to_num_": lambda L, x: L.nan_to_num_(x * 1, posinf=1e300),
    "x//2": lambda L, x: x // 2, "3//x": lambda L, x: 3 // x, "x%-2": lambda L, x: x % -2.0,
    "3%x": lambda L, x: 3 % x, "fmod(x,2)": lambda L, x: L.fmod(x, 2.0),
    "div trunc": lambda L, x: L.div(x, 0.75, rounding_mode="trunc"),
    "div floor": lambda L, x: x.div(-0.75, rounding_mode="floor"),
    "lerp to 2": lambda L, x: L.lerp(x, L.full_like(x, 2.0), 0.25),
    "lerp from 2": lambda L, x: L.lerp(L.full_like(x, 2.0), x, 0.75),
    "logical_not": lambda L, x: L.logical_not(x),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(UNARY_CASES))
def test_unary_special_values_match_torch(torch, op, dtype):
    compare(torch, UNARY_CASES[op], [special(dtype)])
    # upstream gradients holding NaN and inf, through each rule, also where x is 0
    for shift in (3, 4):
        compare(torch, UNARY_CASES[op], [special(dtype)],
                grad_out=lambda shape, dtype: np.roll(special(dtype), shift))


BINARY_CASES = {
    **{e.name: e.spellings()["function"] for e in BINARY + COMPARISONS},
    "max": lambda L, a, b: L.max(a, b), "min": lambda L, a, b: L.min(a, b),
    "where": lambda L, a, b: L.where(a > b, a, b),
    **{e.name: e.spellings()["function"] for e in MORE_BINARY},
    "lerp by a tensor": lambda L, a, b: L.lerp(a, b, b * 0.125),
    "isclose": lambda L, a, b: L.isclose(a, b),
    "isclose equal_nan": lambda L, a, b: L.isclose(a, b, rtol=0.5, atol=1.0, equal_nan=True),
    "logical_and": lambda L, a, b: L.logical_and(a, b),
    "logical_xor": lambda L, a, b: L.logical_xor(a, b),
    "where number": lambda L, a, b: L.where(a > b, a, 0.0),
    "matmul of columns": lambda L, a, b: L.matmul(a.reshape(8, 8), b.reshape(8, 8)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(BINARY_CASES))
@pytest.mark.parametrize("broadcast", [False, True])
def test_binary_special_values_match_torch(torch, op, dtype, broadcast):
    a, b = pairs(dtype)
    if broadcast:  # (8, 1) against (1, 8): the gradients sum NaN and inf over the broadcast
        if op == "matmul of columns":
            return
        a, b = special(dtype)[:, None], special(dtype)[None, :]
    # torch's float32 vector kernels return either zero as max(-0., 0.)
    compare(torch, BINARY_CASES[op], [a, b], zero_sign=op not in ("max", "maximum", "min", "minimum"))


def with_specials(array, offset):
    """array with NaN, +-inf and +-0 written at a few positions (which, turning with offset)."""
    flat = array.reshape(-1).copy()
    for i, v in enumerate((NAN, INF, -INF, 0.0, -0.0)):
        if flat.size > 1:
            flat[(offset + 3 * i) % flat.size] = v
    return flat.reshape(array.shape)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", VS_TORCH, ids=[c.name for c in VS_TORCH])
def test_every_case_of_the_op_database_on_special_values_matches_torch(torch, case, dtype):
    """Each case of tests/ops_db.py with NaN, infinities and signed zeros among its inputs:
    torch's values and gradients (the signs of zeros are not compared here)."""
    arrays = [with_specials(a, i).astype(dtype) for i, a in enumerate(inputs(case, 1))]
    compare(torch, case.fn, arrays, zero_sign=False)


REDUCTIONS = {
    "sum": lambda L, x: x.sum(), "sum0": lambda L, x: x.sum(0), "sum1": lambda L, x: x.sum(1),
    "sum1 keepdim": lambda L, x: x.sum(1, keepdim=True),
    "sum (0, 1)": lambda L, x: x.sum((0, 1)),
    "mean": lambda L, x: x.mean(), "mean0": lambda L, x: x.mean(0),
    "mean1": lambda L, x: x.mean(1, keepdim=True),
    "max": lambda L, x: x.max(), "max0": lambda L, x: x.max(0), "max1": lambda L, x: x.max(1),
    "max1 keepdim": lambda L, x: L.max(x, 1, keepdim=True),
    "min": lambda L, x: x.min(), "min0": lambda L, x: x.min(0), "min1": lambda L, x: x.min(1),
    "argmax": lambda L, x: x.argmax(), "argmax0": lambda L, x: x.argmax(0),
    "argmax1": lambda L, x: L.argmax(x, 1, keepdim=True),
    "argmin": lambda L, x: x.argmin(), "argmin0": lambda L, x: x.argmin(0),
    "argmin1": lambda L, x: x.argmin(1),
    "norm": lambda L, x: x.norm(), "norm0": lambda L, x: x.norm(dim=0),
    "norm1": lambda L, x: L.norm(x, dim=1, keepdim=True), "norm p1": lambda L, x: x.norm(p=1),
    "norm p1 dim1": lambda L, x: x.norm(p=1, dim=1),
    "cumsum0": lambda L, x: x.cumsum(0), "cumsum1": lambda L, x: L.cumsum(x, dim=1),
    "softmax0": lambda L, x: L.softmax(x, 0), "softmax1": lambda L, x: x.softmax(1),
    "log_softmax0": lambda L, x: L.log_softmax(x, 0),
    "log_softmax1": lambda L, x: L.nn.functional.log_softmax(x, dim=1),
    "F.softmax1": lambda L, x: L.nn.functional.softmax(x, dim=1),
}
MATRICES = {
    "nan and inf": ROWS,
    "inf and -inf": ROWS[2:],  # ties of inf, a row of -inf, no NaN
    "all -inf row": np.array([[-INF, -INF, -INF], [1.0, 2.0, 3.0], [INF, INF, INF]]),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("matrix", sorted(MATRICES))
@pytest.mark.parametrize("op", sorted(REDUCTIONS))
def test_reductions_of_special_values_match_torch(torch, op, matrix, dtype):
    compare(torch, REDUCTIONS[op], [MATRICES[matrix].astype(dtype)])
    compare(torch, REDUCTIONS[op], [MATRICES[matrix].astype(dtype)],
            grad_out=lambda shape, dtype: np.full(shape, INF, dtype))


def _cross_entropy(reduction):
    def loss(L, x, target):
        return L.nn.functional.cross_entropy(x, target, reduction=reduction)
    return loss


def _mse(reduction):
    return lambda L, x, y: L.nn.functional.mse_loss(x, y, reduction=reduction)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_of_special_values_match_torch(torch, reduction, dtype):
    logits = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, INF], [-INF, 0.0, 1.0], [NAN, 0.0, 1.0],
                       [-INF, -INF, -INF], [1.0, -INF, 2.0]], dtype)
    compare(torch, _cross_entropy(reduction), [logits, _idx(0, 1, 0, 2, 1, 2)])
    compare(torch, _cross_entropy(reduction), [logits, _idx(2, 2, 2, 2, 0, 0)])
    compare(torch, _cross_entropy(reduction), [logits, _idx(*[-100] * 6)])  # all ignored: 0 / 0
    a, b = pairs(dtype)
    compare(torch, _mse(reduction), [a, b])


def poisoned_or_scalar(shape, dtype):
    """An upstream gradient for a product: poisoned matrices, NaN for a dot's scalar."""
    if len(shape) < 2:
        return np.full(shape, NAN if not shape else 1.0, dtype)
    return poisoned(shape, dtype, seed=5)


PRODUCT_CASES = {
    "dot": ((8,), (8,), lambda L, a, b: L.dot(a, b)),
    "mv": ((5, 8), (8,), lambda L, a, b: L.mv(a, b)),
    "mv of a transpose": ((8, 5), (8,), lambda L, a, b: L.mv(a.t(), b)),
    "mm": ((5, 8), (8, 6), lambda L, a, b: L.mm(a, b)),
    "mm of transposes": ((8, 5), (6, 8), lambda L, a, b: a.t() @ b.t()),
    "row times matrix": ((8,), (8, 6), lambda L, a, b: L.matmul(a, b)),
    "bmm": ((3, 5, 8), (3, 8, 6), lambda L, a, b: L.bmm(a, b)),
    "batched matmul": ((2, 3, 5, 8), (3, 8, 6), lambda L, a, b: L.matmul(a, b)),
    "large mm": ((70, 130), (130, 90), lambda L, a, b: L.mm(a, b)),
    "expanded rows": ((1, 8), (8, 6), lambda L, a, b: a.expand(5, 8) @ b),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(PRODUCT_CASES))
def test_products_of_special_values_match_torch(torch, op, dtype):
    a_shape, b_shape, fn = PRODUCT_CASES[op]
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, s).astype(dtype) for s in (a_shape, b_shape))
    a.reshape(-1)[[1, 5, 7]] = NAN, INF, 0.0
    b.reshape(-1)[[2, 5, -1]] = -INF, 0.0, INF
    compare(torch, fn, [a, b], grad_out=lambda shape, dtype: poisoned_or_scalar(shape, dtype))


SHAPE_CASES = {
    "reshape": lambda L, x: x.reshape(2, 2, 2, 8), "view": lambda L, x: x.view(-1),
    "transpose": lambda L, x: x.transpose(0, 1), "t": lambda L, x: x.t(),
    "permute": lambda L, x: x.reshape(2, 4, 8).permute(2, 0, 1),
    "expand": lambda L, x: x[:1].expand(3, 8), "flatten": lambda L, x: L.flatten(x),
    "squeeze": lambda L, x: L.squeeze(x[:1]), "unsqueeze": lambda L, x: x.unsqueeze(1),
    "cat": lambda L, x: L.cat([x, x * 2], 1), "stack": lambda L, x: L.stack([x, -x], 2),
    "select": lambda L, x: x[1], "slice": lambda L, x: x[:, 1:6:2], "ellipsis": lambda L, x: x[..., -1],
    "index list": lambda L, x: x[[0, 2, 0]],  # a repeated row accumulates its gradient
    "index pair": lambda L, x: x[[0, 1, 1], [2, 3, 3]],
    "mask": lambda L, x: x[x > 0], "index and slice": lambda L, x: x[L.tensor(_idx(7, 1)), 2:],
    "gather": lambda L, x: L.gather(x, 1, L.tensor(_idx(0, 0, 7, 3).reshape(1, 4).repeat(8, 0))),
    "index_select": lambda L, x: L.index_select(x, 1, L.tensor(_idx(3, 3, 0))),
    "scatter_add": lambda L, x: L.zeros(8, 8, dtype=x.dtype).scatter_add(
        0, L.tensor(_idx(1, 1, 1, 1, 1, 1, 1, 1).reshape(1, 8).repeat(8, 0)), x),
    "scatter_add into": lambda L, x: x.scatter_add(1, L.tensor(_idx(0, 0, 5).reshape(1, 3)),
                                                   x[:1, :3] * 2),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(SHAPE_CASES))
def test_views_and_indexing_of_special_values_match_torch(torch, op, dtype):
    x = np.stack([np.roll(special(dtype), i) for i in range(8)])
    compare(torch, SHAPE_CASES[op], [x])
    compare(torch, SHAPE_CASES[op], [x], grad_out=lambda shape, dtype: np.full(shape, NAN, dtype))


# ---- empty tensors against torch ---------------------------------------------------------------
def _empty_cases(shape):
    n = len(shape)
    cases = {e.name: e.spellings()["function"] for e in UNARY}
    cases.update({
        "x*2": lambda L, x: x * 2, "x**2": lambda L, x: x ** 2, "2**x": lambda L, x: 2 ** x,
        "x/x": lambda L, x: x / x, "max(x, x)": lambda L, x: L.maximum(x, -x),
        "x<x": lambda L, x: x < x, "where": lambda L, x: L.where(x > 0, x, 1.0),
        "broadcast add": lambda L, x: x + x.sum(0, keepdim=True),
        "broadcast mul": lambda L, x: x * L.ones(shape[-1:], dtype=x.dtype),
        "sum": lambda L, x: x.sum(), "mean": lambda L, x: x.mean(), "norm": lambda L, x: x.norm(),
        "norm p1": lambda L, x: x.norm(p=1), "max": lambda L, x: x.max(),
        "min": lambda L, x: x.min(), "argmax": lambda L, x: x.argmax(),
        "argmin": lambda L, x: x.argmin(keepdim=True),
        "reshape": lambda L, x: x.reshape(-1), "reshape 0 -1": lambda L, x: x.reshape(0, -1),
        "view": lambda L, x: x.view(shape[::-1]), "flatten": lambda L, x: x.flatten(),
        "view of a transpose": lambda L, x: x.transpose(0, -1).view(-1),
        "transpose": lambda L, x: x.transpose(0, -1), "permute": lambda L, x: x.permute(
            *reversed(range(n))),
        "unsqueeze": lambda L, x: x.unsqueeze(0), "expand": lambda L, x: x.expand(2, *shape),
        "stack": lambda L, x: L.stack([x, x], -1), "slice": lambda L, x: x[1:],
        "index": lambda L, x: x[L.tensor(_idx())], "mask": lambda L, x: x[x > 0],
        "cat with 1-d empty": lambda L, x: L.cat([L.zeros(0, dtype=x.dtype), x, x]),
        "clone": lambda L, x: x.clone(), "mse": _mse("mean"), "mse sum": _mse("sum"),
    })
    cases["mse"] = lambda L, x: L.nn.functional.mse_loss(x, x.detach() + 1)
    cases["mse sum"] = lambda L, x: L.nn.functional.mse_loss(x, x.detach(), reduction="sum")
    for d in range(n):
        cases.update({
            f"sum{d}": (lambda d: lambda L, x: x.sum(d))(d),
            f"mean{d}": (lambda d: lambda L, x: x.mean(d, keepdim=True))(d),
            f"max{d}": (lambda d: lambda L, x: x.max(d))(d),
            f"min{d}": (lambda d: lambda L, x: L.min(x, d))(d),
            f"argmax{d}": (lambda d: lambda L, x: x.argmax(d))(d),
            f"argmin{d}": (lambda d: lambda L, x: x.argmin(d, keepdim=True))(d),
            f"norm{d}": (lambda d: lambda L, x: x.norm(dim=d))(d),
            f"cumsum{d}": (lambda d: lambda L, x: x.cumsum(d))(d),
            f"softmax{d}": (lambda d: lambda L, x: x.softmax(d))(d),
            f"log_softmax{d}": (lambda d: lambda L, x: L.log_softmax(x, d))(d),
            f"cat{d}": (lambda d: lambda L, x: L.cat([x, x], d))(d),
            f"index_select{d}": (lambda d: lambda L, x: L.index_select(
                x, d, L.tensor(_idx(*([0] if shape[d] else [])))))(d),
            f"gather{d}": (lambda d: lambda L, x: L.gather(x, d, L.zeros(
                shape[:d] + (min(shape[d], 1),) + shape[d + 1:], dtype=L.int64)))(d),
            f"scatter_add{d}": (lambda d: lambda L, x: x.scatter_add(d, L.zeros(
                shape, dtype=L.int64), x * 2) if shape[d] else x)(d),
        })
    return cases


@pytest.mark.parametrize("shape", EMPTY_SHAPES, ids=str)
def test_empty_tensors_through_every_op_match_torch(torch, shape):
    for dtype in FLOATS:
        for name, fn in _empty_cases(shape).items():
            try:
                compare(torch, fn, [np.zeros(shape, dtype)])
            except BaseException as exc:
                raise AssertionError(f"{name} on {shape} {dtype}") from exc


EMPTY_PRODUCTS = [
    ((3, 0), (0, 4), "mm"), ((0, 3), (3, 4), "mm"), ((3, 4), (4, 0), "mm"), ((0, 0), (0, 0), "mm"),
    ((3, 0), (3, 0), "mm"), ((3, 0), (0,), "mv"), ((0, 3), (3,), "mv"), ((0,), (0,), "dot"),
    ((0, 2, 3), (0, 3, 4), "bmm"), ((2, 3, 0), (2, 0, 4), "bmm"), ((2, 0, 3), (3, 4), "matmul"),
    ((0,), (0, 3), "matmul"), ((3, 0), (0,), "matmul"), ((2, 3, 0), (0, 5), "matmul"),
    ((2, 1, 3, 0), (4, 0, 2), "matmul"), ((0, 1, 3), (5, 3, 2), "matmul"),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a_shape,b_shape,op", EMPTY_PRODUCTS, ids=str)
def test_empty_products_match_torch(torch, a_shape, b_shape, op, dtype):
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, s).astype(dtype) for s in (a_shape, b_shape))
    compare(torch, lambda L, a, b: getattr(L, op)(a, b), [a, b])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_empty_cross_entropy_matches_torch(torch, reduction):
    compare(torch, _cross_entropy(reduction), [np.zeros((0, 3)), _idx()])
    compare(torch, _cross_entropy(reduction), [np.zeros((0, 3, 2)), np.zeros((0, 2), np.int64)])
    compare(torch, _cross_entropy(reduction), [np.zeros((2, 3, 0)), np.zeros((2, 0), np.int64)])
    compare(torch, _cross_entropy(reduction), [np.zeros((2, 0)), _idx(0, 0)])  # no classes


def test_printing_special_values_and_empty_tensors_matches_torch(torch):
    for array in (special(), special("float32"), np.zeros((0, 3)), np.zeros((2, 0, 4), "float32"),
                  np.array([NAN, 1e10, -INF]), np.array(NAN)):
        assert repr(fg.tensor(array)) == repr(torch.tensor(array))


NO_FORWARD_MODE = {"x//2", "3//x", "3%x"}  # torch has none: both raise (test_torch_elementwise)


@pytest.mark.parametrize("op", sorted(set(UNARY_CASES) - NO_FORWARD_MODE - {
    "masked zero", "inplace", "fill_", "zero_", "nonzero", "bool", "to other dtype"}))
def test_forward_mode_tangents_of_special_values_match_torch(torch, op):
    x, tangent = special(), np.roll(special(), 3)  # NaN and inf tangents, also at 0
    fn = UNARY_CASES[op]
    f_out, f_tangent = fg.func.jvp(lambda a: fn(fg, a), (fg.tensor(x),), (fg.tensor(tangent),))
    t_out, t_tangent = torch.func.jvp(lambda a: fn(torch, a), (torch.tensor(x),),
                                      (torch.tensor(tangent),))
    assert_values(values(f_out), values(t_out))
    assert_values(values(f_tangent), values(t_tangent), zero_sign=False)


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_cross_entropy_with_no_classes_and_every_target_ignored(reduction):
    """Zero classes leave nothing to read: every target must be ignore_index, and the gradient
    is empty (the kernel once read a row maximum out of the empty rows)."""
    x = fg.zeros(2, 0, requires_grad=True)
    loss = fg.nn.functional.cross_entropy(x, fg.tensor([-100, -100]), reduction=reduction)
    assert loss.tolist() == ([0.0, 0.0] if reduction == "none" else 0.0)
    loss.backward(fg.ones_like(loss))
    assert x.grad.shape == (2, 0)
