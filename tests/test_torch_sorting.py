"""fastgrad against real PyTorch: sorting and what builds on it (sort, argsort, topk, kthvalue,
median, mode, unique, bincount, histc, histogram), the named tuples they return, and the corners
the op database does not reach: ties, NaN, stable order, empty tensors, gradients through zeros
(prod, cumprod) and ties (amax, median), cdist (which torch cannot differentiate in forward
mode), and the errors, with torch's exception types and words. Skipped without torch."""
import math
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import FLOATS, assert_same, both, compare, rand  # noqa: E402

NAN, INF = math.nan, math.inf
TIES = np.array([[3.0, 1, 3, NAN, 1, 2, NAN, 1], [2, 2, 0, 0, 5, 5, -1, 0]])


def same_pair(f, t):
    """Two (values, indices) results: the same fields, values and indices."""
    assert type(f).__name__ == type(t).__name__ and f.n_fields == t.n_fields
    for name in f._fields:
        assert_same(getattr(f, name), getattr(t, name))


def values_at_indices(f, x, dim):
    """For results whose index among equal elements torch leaves open: each index points at
    its value."""
    picked = np.take_along_axis(x, np.expand_dims(f.indices.numpy(), dim), dim)
    np.testing.assert_array_equal(np.squeeze(picked, dim), f.values.numpy())


# ---- sort -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS + ["int64"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_with_ties_and_nan(dtype, dim, descending):
    x = np.nan_to_num(TIES, nan=7).astype(dtype) if dtype == "int64" else TIES.astype(dtype)
    f, t = both(x)
    kwargs = dict(dim=dim, descending=descending, stable=True)
    same_pair(fg.sort(f, **kwargs), torch.sort(t, **kwargs))
    assert_same(fg.argsort(f, **kwargs), torch.argsort(t, **kwargs))
    same_pair(f.sort(dim=dim, descending=descending), t.sort(dim=dim, descending=descending))


def test_sort_of_bools_empty_and_0d():
    for x in (np.array([True, False, True, False]), np.zeros((0, 3)), np.zeros((2, 0)),
              np.array(2.5)):
        f, t = both(x)
        same_pair(fg.sort(f, stable=True), torch.sort(t, stable=True))
        kwargs = dict(dim=0, descending=True, stable=True)
        same_pair(fg.sort(f, **kwargs), torch.sort(t, **kwargs))


def test_sort_grad_fn_names_its_overload():
    f, t = both(np.ones(3), requires_grad=True)
    for kwargs in ({}, {"stable": False}, {"stable": True}):
        assert fg.sort(f, **kwargs).values.grad_fn.name() == \
            torch.sort(t, **kwargs).values.grad_fn.name()


GRAD_FNS = [
    lambda L, t: L.prod(t), lambda L, t: t.prod(1), lambda L, t: L.cumprod(t, 0),
    lambda L, t: L.amax(t, 1), lambda L, t: t.amin(), lambda L, t: L.logsumexp(t, 1),
    lambda L, t: L.var(t), lambda L, t: t.std(0), lambda L, t: L.topk(t, 2).values,
    lambda L, t: L.kthvalue(t, 2).values, lambda L, t: L.median(t), lambda L, t: t.median(0)[0],
    lambda L, t: L.mode(t).values, lambda L, t: L.norm(t, 3), lambda L, t: L.dist(t, t[0]),
    lambda L, t: L.cdist(t, t * 2, 1), lambda L, t: L.max(t, 1).values, lambda L, t: L.max(t),
    lambda L, t: L.var_mean(t, 1)[0], lambda L, t: L.var_mean(t)[1],
    lambda L, t: L.std_mean(t, 0, keepdim=True)[1],
]


@pytest.mark.parametrize("call", GRAD_FNS, ids=range(len(GRAD_FNS)))
def test_grad_fn_names(call):
    f, t = both(rand((3, 4), seed=2), requires_grad=True)
    assert call(fg, f).grad_fn.name() == call(torch, t).grad_fn.name()


def test_sort_gradient_goes_back_to_each_position():
    compare(lambda L, t: L.sort(t, 0, descending=True).values * 2, rand((4, 3), seed=2))
    compare(lambda L, t: t.sort(stable=True)[0], rand((3, 5), "float32", seed=3))


def test_return_types_print_unpack_and_name_fields():
    f, t = both(np.array([[1.0, 5.0], [4.0, 2.0]]))
    for name, call in (("max", lambda L, x: L.max(x, 1)), ("min", lambda L, x: x.min(0)),
                       ("sort", lambda L, x: L.sort(x)), ("topk", lambda L, x: x.topk(1)),
                       ("kthvalue", lambda L, x: L.kthvalue(x, 1)),
                       ("median", lambda L, x: x.median(1)), ("mode", lambda L, x: L.mode(x)),
                       ("histogram", lambda L, x: L.histogram(x, 2))):
        ours, theirs = call(fg, f), call(torch, t)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert isinstance(ours, tuple) and len(ours) == 2
        first, second = ours
        assert first is ours[0] and second is ours[1]
        assert type(ours).__name__ == name and type(ours) is getattr(fg.return_types, name)
    values, indices = fg.max(f, 1)
    assert fg.max(f, 1).values is not None and indices.dtype is fg.int64


# ---- topk, kthvalue, median, mode -----------------------------------------------------------
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, 1])
def test_topk(largest, dim):
    x = rand((5, 6), seed=4)
    f, t = both(x)
    for k in (0, 1, 3):
        same_pair(fg.topk(f, k, dim, largest), torch.topk(t, k, dim, largest))
    compare(lambda L, a: L.topk(a, 2, dim, largest).values, x)


def test_topk_with_nan_takes_nan_as_largest():
    f, t = both(np.array([3.0, NAN, 1.0, 2.0]))
    same_pair(fg.topk(f, 2), torch.topk(t, 2))
    same_pair(fg.topk(f, 2, largest=False), torch.topk(t, 2, largest=False))


@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_median_mode_values_and_where_they_are(keepdim):
    x = np.nan_to_num(TIES, nan=4.0)
    f, t = both(x)
    for k in range(1, 9):
        ours, theirs = fg.kthvalue(f, k, 1, keepdim), torch.kthvalue(t, k, 1, keepdim)
        assert_same(ours.values, theirs.values)
        if keepdim:
            np.testing.assert_array_equal(np.take_along_axis(x, ours.indices.numpy(), 1),
                                          ours.values.numpy())
    for dim in (0, 1):
        ours, theirs = fg.median(f, dim, keepdim), torch.median(t, dim, keepdim)
        assert_same(ours.values, theirs.values)
        same_pair(fg.mode(f, dim, keepdim), torch.mode(t, dim, keepdim))
        if not keepdim:
            values_at_indices(ours, x, dim)


def test_median_of_all_is_the_lower_one_and_nan_wins():
    for x in (np.array([4.0, 1.0, 3.0, 2.0]), np.array([[3.0, NAN], [1.0, 2.0]]), np.zeros(0),
              np.array([5, 1, 4], dtype=np.int64)):
        f, t = both(x)
        assert_same(fg.median(f), torch.median(t))
    f, t = both(np.array([[3.0, NAN, 1.0], [1.0, 2.0, 3.0]]))
    same_pair(fg.median(f, 1), torch.median(t, 1))


def test_median_of_all_shares_its_gradient_among_ties():
    compare(lambda L, t: L.median(t), np.array([1.0, 2.0, 2.0, 3.0, 2.0]))
    compare(lambda L, t: L.kthvalue(t, 2, 0).values, rand((4, 3), seed=5))
    compare(lambda L, t: t.mode(1).values, np.array([[1.0, 1.0, 2.0], [3.0, 0.5, 3.0]]))


# ---- unique, bincount, histograms ---------------------------------------------------------------
@pytest.mark.parametrize("flags", [(False, False), (True, False), (False, True), (True, True)])
def test_unique(flags):
    inverse, counts = flags
    for x in (np.array([[3, 1, 2], [1, 3, 3]]), np.array([2.0, NAN, 1.0, NAN, 2.0]),
              np.array([True, False, True]), np.zeros(0)):
        f, t = both(x)
        ours = fg.unique(f, return_inverse=inverse, return_counts=counts)
        theirs = torch.unique(t, return_inverse=inverse, return_counts=counts)
        for a, b in zip(*[r if isinstance(r, tuple) else (r,) for r in (ours, theirs)]):
            assert_same(a, b)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_along_a_dim_and_consecutive(dim):
    x = np.array([[1, 2, 1, 2], [0, 5, 0, 5], [1, 2, 1, 2]])
    f, t = both(x)
    for a, b in zip(fg.unique(f, dim=dim, return_inverse=True, return_counts=True),
                    torch.unique(t, dim=dim, return_inverse=True, return_counts=True)):
        assert_same(a, b)
    y = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    f, t = both(y)
    for a, b in zip(fg.unique_consecutive(f, return_inverse=True, return_counts=True),
                    torch.unique_consecutive(t, return_inverse=True, return_counts=True)):
        assert_same(a, b)


@pytest.mark.parametrize("call", [lambda L, x: L.unique(x), lambda L, x: L.unique(x, dim=0),
                                  lambda L, x: x.unique_consecutive(),
                                  lambda L, x: L.histogram(x, 3).bin_edges])
def test_no_derivative_where_torch_has_none(call):
    f, t = both(np.array([[2.0, 1.0], [2.0, 1.0]]), requires_grad=True)
    ours, theirs = call(fg, f), call(torch, t)
    assert ours.requires_grad and ours.grad_fn.name() == type(theirs.grad_fn).__name__
    assert repr(ours) == repr(theirs)
    with pytest.raises(Exception) as raised:
        theirs.sum().backward()
    with pytest.raises(type(raised.value), match=re.escape(str(raised.value))):
        ours.sum().backward()


def test_bincount():
    f, t = both(np.array([1, 3, 1, 0, 3, 3]))
    for kwargs in ({}, {"minlength": 8}, {"minlength": 2}):
        assert_same(fg.bincount(f, **kwargs), torch.bincount(t, **kwargs))
    for w in (np.linspace(0, 1, 6).astype(np.float32), np.linspace(0, 1, 6), np.arange(6)):
        (fw, tw) = both(w)
        assert_same(fg.bincount(f, fw), torch.bincount(t, tw))
    assert_same(fg.bincount(fg.tensor([], dtype=fg.int64)), torch.bincount(torch.tensor([], dtype=torch.int64)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_histc_and_histogram(dtype):
    x = rand((200,), dtype, seed=8, low=-3, high=3)
    f, t = both(x)
    assert_same(fg.histc(f), torch.histc(t))
    assert_same(fg.histc(f, 7, -1, 2), torch.histc(t, 7, -1, 2))
    same_pair(fg.histogram(f, 9), torch.histogram(t, 9))
    same_pair(fg.histogram(f, 4, range=(-1.0, 1.0), density=True),
                   torch.histogram(t, 4, range=(-1.0, 1.0), density=True))
    edges, weights = both(np.array([-3.0, -1.0, 0.0, 0.5, 3.0]).astype(dtype)), both(np.abs(x))
    same_pair(fg.histogram(f, edges[0], weight=weights[0]),
                   torch.histogram(t, edges[1], weight=weights[1]))
    for same in (np.full(4, 2.0), np.zeros(0)):
        f2, t2 = both(same.astype(dtype))
        assert_same(fg.histc(f2, 4), torch.histc(t2, 4))
        same_pair(fg.histogram(f2, 4), torch.histogram(t2, 4))


# ---- gradients torch takes care over ------------------------------------------------------------
@pytest.mark.parametrize("x", [[[1.0, 0.0, 3.0], [4.0, 5.0, 0.0]], [[0.0, 0.0, 3.0], [4.0, 5.0, 2.0]],
                               [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])
def test_prod_and_cumprod_gradients_with_zeros(x):
    x = np.array(x)
    compare(lambda L, t: L.prod(t), x)
    compare(lambda L, t: t.prod(1), x)
    compare(lambda L, t: L.prod(t, 0, keepdim=True), x)
    compare(lambda L, t: L.cumprod(t, 1), x)
    compare(lambda L, t: t.cumprod(0), x)


@pytest.mark.parametrize("call", [lambda L, t: L.cumprod(t, 1), lambda L, t: t.cumprod(0),
                                  lambda L, t: L.prod(t, 1), lambda L, t: t.prod()])
def test_prod_and_cumprod_forward_mode_with_zeros(call):
    x = np.array([[1.0, 0.0, 3.0, 2.0], [0.0, 5.0, 0.0, 2.0], [1.5, 2.0, 3.0, 0.5]])
    tangent = rand(x.shape, seed=4)
    results = []
    for L, ad in ((fg, fg.autograd.forward_ad), (torch, torch.autograd.forward_ad)):
        with ad.dual_level():
            out = ad.unpack_dual(call(L, ad.make_dual(L.tensor(x), L.tensor(tangent))))
            results.append(out.tangent)
    assert_same(*results)


def test_amax_amin_share_the_gradient_among_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
    compare(lambda L, t: L.amax(t, 1), x)
    compare(lambda L, t: t.amin((0, 1)), x)
    compare(lambda L, t: L.amax(t), x)


def test_var_std_forms():
    x = rand((3, 4), seed=9)
    for call in (lambda L, t: L.var(t, True), lambda L, t: L.std(t, 1, False, True),
                 lambda L, t: t.var(dim=(0, 1), correction=0), lambda L, t: L.std(t, axis=0),
                 lambda L, t: L.var_mean(t, 1)[1], lambda L, t: L.std_mean(t, correction=2)[1]):
        compare(call, x)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        compare(lambda L, t: L.std(t[:1], 0), x)
    compare(lambda L, t: L.std(t, 1), np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]]))  # std 0


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_float32_variance_of_large_values_is_as_accurate_as_torchs(dim):
    """A float32 mean of values near 1e4 is off by ~1e-3, enough to show in the variance: it is
    taken in double, as torch accumulates."""
    a = (1e4 + np.random.default_rng(0).standard_normal((300, 400))).astype(np.float32)
    f, t = both(a)
    np.testing.assert_allclose(fg.var(f, dim).numpy(), torch.var(t, dim).numpy(), rtol=2e-7)


def test_logsumexp_is_stable():
    x = np.array([[1000.0, 1000.0, -INF], [-INF, -INF, -INF], [INF, 1.0, 2.0]])
    assert_same(fg.logsumexp(fg.tensor(x), 1), torch.logsumexp(torch.tensor(x), 1))
    compare(lambda L, t: L.logsumexp(t * 400, 0), rand((3, 4), seed=2))
    assert_same(fg.logsumexp(fg.tensor([1, 2]), 0), torch.logsumexp(torch.tensor([1, 2]), 0))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, INF, 0.0])
@pytest.mark.parametrize("shapes", [((4, 3), (5, 3)), ((30, 2), (3, 2)), ((2, 3, 4), (2, 5, 4))])
def test_cdist(p, shapes):
    a, b = rand(shapes[0], seed=1), rand(shapes[1], seed=2)
    a[0] = b[..., 0, :] if a.ndim == 2 else a[0]  # a zero distance
    compare(lambda L, x, y: L.cdist(x, y, p), a, b)


def test_norms():
    x = rand((3, 4), seed=3)
    x[0, 0] = 0.0
    for call in (lambda L, t: L.norm(t, 0.5), lambda L, t: t.norm(INF, 0),
                 lambda L, t: L.norm(t, -INF, 1, True), lambda L, t: L.dist(t, t[0], 3),
                 lambda L, t: L.linalg.norm(t, INF), lambda L, t: L.linalg.norm(t, -1),
                 lambda L, t: L.linalg.vector_norm(t, 1.5, (0, 1)),
                 lambda L, t: L.linalg.matrix_norm(t, "fro", keepdim=True)):
        compare(call, x)


def test_methods_are_the_functions():
    x = rand((3, 4), seed=6)
    f, t = both(x)
    for name in ("allclose", "equal"):
        assert getattr(f, name)(f * 1.5) == getattr(t, name)(t * 1.5)
        assert getattr(f, name)(f) == getattr(t, name)(t)
    for call in (lambda L, a: a.histogram(3).hist, lambda L, a: a.unique_consecutive()):
        compare(call, x, grad=False)  # (no derivatives in torch)
    for call in (lambda L, a: a.dist(a * 2, 3), lambda L, a: a.histc(4),
                 lambda L, a: a.count_nonzero(0),
                 lambda L, a: a.logsumexp(0),
                 lambda L, a: a.argsort(1, True), lambda L, a: a.amin(1, True)):
        compare(call, x)


# ---- errors -----------------------------------------------------------------------------------
ERRORS = [
    lambda L: L.sort(L.ones(2, 3), 2), lambda L: L.topk(L.ones(3), 4),
    lambda L: L.topk(L.ones(3), -1), lambda L: L.kthvalue(L.ones(2, 3), 4, 1),
    lambda L: L.kthvalue(L.ones(2, 3), 0), lambda L: L.mode(L.ones(0)),
    lambda L: L.median(L.ones(2, 0), 1), lambda L: L.amax(L.ones(0, 3), 0),
    lambda L: L.amax(L.ones(0, 3)), lambda L: L.amin(L.ones(2), 3), lambda L: L.prod(L.ones(2), 1),
    lambda L: L.cumprod(L.ones(2), -2), lambda L: L.var(L.tensor([1, 2])),
    lambda L: L.prod(L.ones(2, 2), (0, 1)), lambda L: L.var(L.ones(2), unbiased=False, correction=0),
    lambda L: L.all(L.ones(2), 1), lambda L: L.count_nonzero(L.ones(2), 1),
    lambda L: L.unique(L.ones(2), dim=1), lambda L: L.bincount(L.tensor([1, -1])),
    lambda L: L.bincount(L.tensor([[1]])), lambda L: L.bincount(L.tensor([1]), minlength=-1),
    lambda L: L.bincount(L.tensor([1, 2]), weights=L.tensor([1.0])),
    lambda L: L.bincount(L.tensor([1.0])), lambda L: L.histc(L.tensor([1, 2])),
    lambda L: L.histc(L.ones(2), bins=0), lambda L: L.histc(L.ones(2), 4, 3, 1),
    lambda L: L.histc(L.tensor([1.0, NAN])), lambda L: L.histogram(L.tensor([1.0, NAN]), 4),
    lambda L: L.histogram(L.ones(2), 4, range=(3.0, 1.0)),
    lambda L: L.allclose(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.cdist(L.ones(2, 3), L.ones(3)), lambda L: L.cdist(L.ones(2, 3), L.ones(2, 2)),
    lambda L: L.cdist(L.ones(2, 3), L.ones(2, 3), -1), lambda L: L.norm(L.ones(2), 2, 1),
    lambda L: L.linalg.vector_norm(L.ones(2), "fro"), lambda L: L.norm(L.tensor([1, 2])),
    lambda L: L.linalg.matrix_norm(L.ones(2, 2), 3),
    lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(2, 3)),
    lambda L: L.einsum("ii", L.ones(2, 3)), lambda L: L.einsum("ij->k", L.ones(2, 3)),
    lambda L: L.einsum("ij,jk", L.ones(2, 3)), lambda L: L.einsum("i", L.ones(2), L.ones(2)),
    lambda L: L.einsum("ijk", L.ones(2, 3)),
]


@pytest.mark.parametrize("call", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(fg)
    words = str(theirs.value).splitlines()[0]
    words = re.sub(r"\[-nan, -nan\]", "[nan, nan]", words)
    assert words in str(ours.value) or str(ours.value).endswith(words.split("(): ")[-1])
