"""fastgrad against real PyTorch, reductions (sum, mean, max/min, argmax/argmin, cumsum, norm) and
products: the same inputs through both libraries give the same values, dtypes, shapes,
gradients, reprs and errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import rand, compare, FLOATS  # noqa: E402


# ---- reductions ---------------------------------------------------------------------------
SUM_MEAN_ARGS = [
    {}, {"dim": 0}, {"dim": 1}, {"dim": -1}, {"dim": 2, "keepdim": True},
    {"dim": (0, 2)}, {"dim": [0, 1]}, {"dim": [-1, 0], "keepdim": True},
    {"axis": 1}, {"axis": 0, "keepdims": True}, {"axis": [0, 2], "keepdims": True},
    {"dim": 1, "keepdims": True},
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", SUM_MEAN_ARGS, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_sum_mean(op, kwargs, dtype):
    x = rand((2, 3, 4), dtype, seed=6)
    compare(lambda L, t: getattr(t, op)(**kwargs), x)
    compare(lambda L, t: getattr(L, op)(t, **kwargs), x)


def test_sum_positional_dim():
    x = rand((2, 3), "float32")
    compare(lambda L, t: t.sum(1, True), x)
    compare(lambda L, t: L.mean(t, 0), x)


EXTREME_ARGS = [{"dim": 0}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"axis": 0},
                {"axis": 1, "keepdims": True}]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_all(op, dtype):
    compare(lambda L, t: getattr(t, op)(), rand((3, 4), dtype, seed=7))
    compare(lambda L, t: getattr(L, op)(t), rand((3, 4), dtype, seed=7))


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_all_with_ties(op):
    """torch spreads the gradient of a full max/min evenly over tied extremes."""
    x = np.array([[1.0, 3.0, 3.0], [-2.0, 3.0, -2.0]])
    compare(lambda L, t: getattr(t, op)(), x)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", EXTREME_ARGS, ids=str)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_dim(op, kwargs, dtype):
    x = rand((3, 4), dtype, seed=8)
    compare(lambda L, t: getattr(t, op)(**kwargs)[0], x)
    compare(lambda L, t: getattr(L, op)(t, **kwargs)[0], x)
    compare(lambda L, t: getattr(t, op)(**kwargs)[1], x)


def test_max_dim_named_fields():
    x = rand((3, 4), "float32")
    compare(lambda L, t: t.max(dim=1).values, x)
    compare(lambda L, t: t.min(dim=1).indices, x)


@pytest.mark.parametrize("kwargs", [{}, *EXTREME_ARGS], ids=str)
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, kwargs):
    x = rand((3, 4), "float64", seed=9)
    compare(lambda L, t: getattr(t, op)(**kwargs), x)
    compare(lambda L, t: getattr(L, op)(t, **kwargs), x)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_ties_pick_first(op):
    compare(lambda L, t: getattr(t, op)(), np.array([1.0, 5.0, -3.0, 5.0, -3.0]))
    compare(lambda L, t: getattr(t, op)(dim=1), np.array([[2.0, 2.0], [0.0, 0.0]]))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [{"dim": 0}, {"dim": 1}, {"dim": -1}, {"axis": 0}], ids=str)
def test_cumsum(kwargs, dtype):
    x = rand((3, 4), dtype, seed=10)
    compare(lambda L, t: t.cumsum(**kwargs), x)
    compare(lambda L, t: L.cumsum(t, **kwargs), x)


def test_cumsum_int64_stays_int64():
    compare(lambda L, t: t.cumsum(0), np.array([1, 2, 3], dtype=np.int64))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call", [
    lambda L, t: t.norm(), lambda L, t: L.norm(t), lambda L, t: t.norm(dim=1),
    lambda L, t: t.norm(dim=0, keepdim=True), lambda L, t: L.norm(t, 2),
], ids=["method", "function", "dim1", "dim0-keepdim", "p=2"])
def test_norm(call, dtype):
    compare(call, rand((3, 4), dtype, seed=11))


def test_norm_vector():
    compare(lambda L, t: t.norm(), rand((5,), "float32", seed=12))


# ---- products -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op,sa,sb", [
    ("dot", (5,), (5,)), ("mv", (3, 4), (4,)), ("mm", (3, 4), (4, 2)),
    ("matmul", (4,), (4,)), ("matmul", (3, 4), (4,)), ("matmul", (4,), (4, 3)),
    ("matmul", (3, 4), (4, 5)), ("matmul", (2, 3, 4), (4, 5)), ("matmul", (4,), (2, 4, 5)),
    ("matmul", (2, 3, 4), (4,)), ("matmul", (1, 3, 4), (2, 4, 5)), ("matmul", (2, 3, 4), (2, 4, 5)),
    ("matmul", (3, 4), (2, 4, 5)), ("bmm", (2, 3, 4), (2, 4, 5)),
], ids=str)
def test_products(op, sa, sb, dtype):
    a, b = rand(sa, dtype, seed=13), rand(sb, dtype, seed=14)
    compare(lambda L, x, y: getattr(L, op)(x, y), a, b)
    compare(lambda L, x, y: getattr(x, op)(y) if op != "bmm" else L.bmm(x, y), a, b)
    if op == "matmul":
        compare(lambda L, x, y: x @ y, a, b)


def test_outer_promotes_names_its_gradient_and_errors_as_torch():
    def run(L):
        a, b = L.arange(3.0, requires_grad=True), L.arange(4, dtype=L.float64)
        out = [L.outer(a, b), L.ger(L.arange(3), L.arange(2)), a.outer(b).grad_fn.name()]
        for bad in (lambda: L.outer(L.ones(2, 2), b), lambda: L.ger(a, L.ones(2, 2)),
                    lambda: L.outer(2, a), lambda: L.ger(a, 3)):
            try:
                bad()
            except (RuntimeError, TypeError) as e:
                out.append((type(e).__name__, str(e)))
        return out
    ours, theirs = run(fg), run(torch)
    for a, b in zip(ours[:2], theirs[:2]):
        assert repr(a.dtype) == repr(b.dtype)
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    assert ours[2:] == theirs[2:]


def test_matmul_transposed_input():
    a, b = rand((4, 3), "float32", seed=15), rand((4, 5), "float32", seed=16)
    compare(lambda L, x, y: x.t() @ y, a, b)
    compare(lambda L, x, y: x.T @ y, a, b)
