"""nn.init's structured and truncated initialisations against torch's after manual_seed (eye_,
dirac_, trunc_normal_ in both of its regimes, orthogonal_, sparse_), torch.linalg.qr and its
first and second derivatives against torch's, and the QR kernel against a Householder loop."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from fastgrad import _kernels_linalg as K  # noqa: E402

from torch_compare import assert_same  # noqa: E402


def both(init, shape, dtype="float32", seed=0):
    """init(nn.init module, tensor) in both libraries after manual_seed(seed), and whether the
    generators are left in the same state."""
    torch.manual_seed(seed)
    t = init(torch.nn.init, torch.empty(*shape, dtype=getattr(torch, dtype)))
    fg.manual_seed(seed)
    f = init(fg.nn.init, fg.empty(*shape, dtype=getattr(fg, dtype)))
    assert fg.rand(3).tolist() == torch.rand(3).tolist()  # as many draws taken
    return f, t


EXACT = [
    (lambda I, t: I.eye_(t), (3, 5)),
    (lambda I, t: I.dirac_(t), (2, 3, 5)),
    (lambda I, t: I.dirac_(t, groups=2), (4, 3, 3, 3)),
    (lambda I, t: I.dirac_(t), (3, 2, 3, 1, 3)),
    (lambda I, t: I.trunc_normal_(t), (30, 20)),  # normals, those outside redrawn
    (lambda I, t: I.trunc_normal_(t, 0.5, 2.0, -0.1, 0.2), (30, 20)),  # accepted uniforms
    (lambda I, t: I.trunc_normal_(t, std=0.02, a=-0.04, b=0.04, generator=None), (7,)),
    (lambda I, t: I.sparse_(t, 0.3), (10, 4)),
]


@pytest.mark.parametrize("init,shape", EXACT)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inits_draw_as_torch(init, shape, dtype):
    f, t = both(init, shape, dtype)
    np.testing.assert_array_equal(f.numpy(), t.numpy())


@pytest.mark.parametrize("shape", [(6, 4), (3, 2, 4), (5, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal_as_torch(shape, dtype):
    f, t = both(lambda I, x: I.orthogonal_(x, gain=2.0), shape, dtype)
    assert_same(f, t)  # to rounding: the QR decompositions round differently
    flat = f.numpy().reshape(shape[0], -1).astype(np.float64)
    small = flat @ flat.T if shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, 4 * np.eye(len(small)), atol=1e-5)


def test_trunc_normal_with_a_generator_and_its_warning():
    g, tg = fg.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    f = fg.nn.init.trunc_normal_(fg.empty(50), generator=g)
    t = torch.nn.init.trunc_normal_(torch.empty(50), generator=tg)
    np.testing.assert_array_equal(f.numpy(), t.numpy())
    assert f.min().item() >= -2 and f.max().item() <= 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fg.nn.init.trunc_normal_(fg.empty(3), mean=10.0)
        torch.nn.init.trunc_normal_(torch.empty(3), mean=10.0)
    assert [str(w.message) for w in caught[:1]] == [str(caught[1].message)]


@pytest.mark.parametrize("call", [
    lambda I, L: I.eye_(L.empty(3)),
    lambda I, L: I.dirac_(L.empty(3, 3)),
    lambda I, L: I.dirac_(L.empty(3, 3, 3), groups=2),
    lambda I, L: I.orthogonal_(L.empty(3)),
    lambda I, L: I.sparse_(L.empty(3, 3, 3), 0.1),
])
def test_init_errors_as_torch(call):
    raised = []
    for lib in (torch, fg):
        with pytest.raises(ValueError) as info:
            call(lib.nn.init, lib)
        raised.append(str(info.value))
    assert raised[0] == raised[1]


# ---- QR ------------------------------------------------------------------------------------------
def householder_qr(a, complete):
    """The for-loop reference: LAPACK's Householder QR (R's diagonal -sign(a_jj) |column|),
    Q accumulated as H_0 H_1 ... in float64."""
    a = np.array(a, dtype=np.float64)
    m, n = a.shape
    k = min(m, n)
    q = np.eye(m)
    for j in range(k):
        x = a[j:, j].copy()
        norm_rest = math.sqrt(sum(v * v for v in x[1:]))
        if norm_rest == 0:
            continue
        beta = -math.copysign(math.hypot(x[0], norm_rest), x[0])
        v = x / (x[0] - beta)
        v[0] = 1.0
        tau = (beta - x[0]) / beta
        for c in range(n):  # H = I - tau v v^T from the left on a, from the right on q
            a[j:, c] -= tau * v * sum(v[i] * a[j + i, c] for i in range(len(v)))
        for r in range(m):
            q[r, j:] -= tau * v * sum(q[r, j + i] * v[i] for i in range(len(v)))
    rows = m if complete else k
    return q[:, :rows], np.triu(a)[:rows]


SHAPES = [(5, 3), (3, 5), (4, 4), (1, 3), (3, 1), (0, 3), (3, 0)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("complete", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_qr_kernel_matches_loop(shape, complete, dtype):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    a[..., :1] *= (np.arange(shape[0]) == 0)[:, None] if shape[1] else 1  # a column with H = I
    m, n = shape
    rows = m if complete else min(m, n)
    q, r = K.qr(fg.tensor(a), rows, rows)
    want_q, want_r = householder_qr(a, complete)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(q.numpy(), want_q, **tol)
    np.testing.assert_allclose(r.numpy(), want_r, **tol)
    assert K.qr(fg.tensor(a), None, rows)[0] is None


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_linalg_qr_as_torch(shape, mode):
    a = np.random.default_rng(1).standard_normal(shape)
    f = fg.linalg.qr(fg.tensor(a), mode=mode)
    t = torch.linalg.qr(torch.tensor(a), mode=mode)
    assert type(f).__name__ == "linalg_qr" and repr(f).startswith("torch.return_types.linalg_qr(")
    assert_same(f.Q, t.Q)
    assert_same(f.R, t.R)
    f = fg.linalg.qr(fg.tensor(a.astype(np.float32)).transpose(-1, -2), mode=mode)
    t = torch.linalg.qr(torch.tensor(a.astype(np.float32)).transpose(-1, -2), mode=mode)
    assert_same(f.R, t.R, tol=dict(rtol=1e-5, atol=1e-5))


@pytest.mark.parametrize("call", [
    lambda L: L.linalg.qr(L.zeros(3)),
    lambda L: L.linalg.qr(L.zeros(3, 3, dtype=L.long)),
    lambda L: L.linalg.qr(L.zeros(3, 3), mode="x"),
    lambda L: L.linalg.qr(L.zeros(3, 3, dtype=L.half)),
    lambda L: L.linalg.qr(L.ones(3, 3, requires_grad=True), mode="r")[1].sum().backward(),
    lambda L: L.linalg.qr(L.ones(4, 3, requires_grad=True), mode="complete")[1].sum().backward(),
])
def test_qr_errors_as_torch(call):
    raised = []
    for lib in (torch, fg):
        with pytest.raises((RuntimeError, NotImplementedError)) as info:
            call(lib)
        raised.append((type(info.value), str(info.value)))
    assert raised[0] == raised[1]


@pytest.mark.parametrize("shape,mode", [((5, 3), "reduced"), ((3, 5), "reduced"),
                                        ((4, 4), "complete"), ((2, 3, 4), "complete")])
def test_qr_gradients_as_torch(shape, mode):
    """First and second derivatives of a loss reading both Q and R (the gradient is made of
    ops), in both regimes (m >= n, m < n)."""
    a = np.random.default_rng(2).standard_normal(shape)
    results = []
    for lib in (fg, torch):
        x = lib.tensor(a.copy(), requires_grad=True)
        q, r = lib.linalg.qr(x, mode=mode)
        assert q.grad_fn.name() == r.grad_fn.name() == "LinalgQrBackward0"
        weights = [lib.tensor(np.cos(np.arange(t.numel()) * k).reshape(tuple(t.shape)))
                   for k, t in ((1, q), (2, r))]
        loss = (q * weights[0]).sum() + (r * weights[1]).sum()
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        (g * g).sum().backward()
        results.append((g, x.grad))
    for f, t in zip(*results):
        assert_same(f, t)
