"""fastgrad against real PyTorch, fastgrad.nn.functional: softmax, log_softmax, cross_entropy,
mse_loss, relu, sigmoid: the same inputs through both libraries give the same values, dtypes,
shapes, gradients, reprs and errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import rand, both, assert_same, compare, FLOATS, run_both  # noqa: E402
from torch_compare import assert_same_error  # noqa: E402


# ---- fastgrad.nn.functional: softmax, log_softmax, cross_entropy, mse_loss -------------------
import fastgrad.nn.functional  # noqa: E402,F401  (fg.nn.functional, as torch.nn.functional)


def nnf(L):
    return L.nn.functional


SOFTMAX_SPELLINGS = {
    "F": lambda L, name, x, dim: getattr(nnf(L), name)(x, dim=dim),
    "torch": lambda L, name, x, dim: getattr(L, name)(x, dim),
    "method": lambda L, name, x, dim: getattr(x, name)(dim),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1),
                                       ((2, 3, 4), -1), ((2, 3, 4), 0), ((), 0)], ids=str)
@pytest.mark.parametrize("spelling", SOFTMAX_SPELLINGS)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_vs_torch(name, spelling, shape, dim, dtype):
    compare(lambda L, x: SOFTMAX_SPELLINGS[spelling](L, name, x, dim), rand(shape, dtype, low=-4, high=4))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_a_transposed_view_and_dtype_argument(name):
    compare(lambda L, x: getattr(nnf(L), name)(x.t(), dim=1, dtype=L.float64) * 2,
            rand((4, 3), "float32"))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_implicit_dim_warns_as_torch(name):
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 2)]:
        f, t = both(rand(shape))
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            got = getattr(nnf(fg), name)(f)
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            want = getattr(nnf(torch), name)(t)
        assert_same(got, want)


def thousands(shape, dtype, seed=0):
    """Logits of +-1000 (and some 0), where a naive exp overflows."""
    return np.random.default_rng(seed).choice([-1000.0, 0.0, 1000.0], shape).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", ["softmax", "log_softmax", "mean", "sum", "none"])
def test_logits_of_a_thousand_match_torch_without_nan(case, dtype):
    x = thousands((6, 5), dtype)
    x[0] = [1000, -1000, 1000, -1000, 1000]  # ties at the top
    target = np.array([0, 1, 2, 3, 4, 1])

    def fn(L, x, target):
        if case in ("softmax", "log_softmax"):
            return getattr(nnf(L), case)(x, dim=1)
        return nnf(L).cross_entropy(x, target, reduction=case)

    for layout in (lambda a: a, lambda a: np.ascontiguousarray(a.T).T):
        compare(fn, layout(x), target)
        f = fg.tensor(layout(x), requires_grad=True)
        out = fn(fg, f, fg.tensor(target))
        out.sum().backward()
        assert np.isfinite(out.detach().numpy()).all() and np.isfinite(f.grad.numpy()).all()


CE_SHAPES = [((4, 5), (4,)), ((5,), ()), ((2, 4, 3), (2, 3)), ((2, 4, 3, 2), (2, 3, 2)),
             ((2, 3, 2, 1, 2), (2, 2, 1, 2)), ((1, 3), (1,))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", CE_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_vs_torch(reduction, shapes, dtype):
    shape, target_shape = shapes
    classes = shape[0] if len(shape) == 1 else shape[1]
    target = np.random.default_rng(2).integers(0, classes, target_shape)
    compare(lambda L, x, t: nnf(L).cross_entropy(x, t, reduction=reduction),
            rand(shape, dtype, low=-3, high=3), target)
    f, t = fg.tensor(rand(shape, dtype), requires_grad=True), torch.tensor(rand(shape, dtype), requires_grad=True)
    f_loss = nnf(fg).cross_entropy(f, fg.tensor(target), reduction=reduction)
    t_loss = nnf(torch).cross_entropy(t, torch.tensor(target), reduction=reduction)
    assert repr(f_loss.grad_fn).split(" ")[0] == repr(t_loss.grad_fn).split(" ")[0]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_ignore_index_vs_torch(reduction, ignore_index):
    target = np.array([2, ignore_index, 0, 2, 1])
    compare(lambda L, x, t: nnf(L).cross_entropy(x, t, ignore_index=ignore_index, reduction=reduction),
            rand((5, 3)), target)


def test_cross_entropy_when_every_target_is_ignored_vs_torch():
    def fn(L):
        x = L.tensor(rand((2, 3)), requires_grad=True)
        loss = nnf(L).cross_entropy(x, L.tensor([-100, -100]))
        loss.backward()
        return [loss, x.grad]
    run_both(fn)


def test_cross_entropy_of_an_empty_batch_vs_torch():
    for reduction in ("mean", "sum", "none"):
        f = nnf(fg).cross_entropy(fg.zeros(0, 3), fg.zeros(0, dtype=fg.int64), reduction=reduction)
        t = nnf(torch).cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long),
                                     reduction=reduction)
        assert_same(f, t)


def test_cross_entropy_legacy_reduce_arguments_vs_torch():
    for kwargs in ({"reduce": False}, {"size_average": False}, {"size_average": True}):
        f, t = both(rand((3, 4)))
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            got = nnf(fg).cross_entropy(f, fg.tensor([0, 1, 3]), **kwargs)
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            want = nnf(torch).cross_entropy(t, torch.tensor([0, 1, 3]), **kwargs)
        assert_same(got, want)


def test_cross_entropy_errors_match_torch():
    cases = [((3, 5), [1, 7, 4]), ((3, 5), [1, -3, 4]), ((3, 5), [1, 0]), ((3, 5), [[1, 0, 2]]),
             ((2, 5, 3), [[0, 9, 0], [0, 0, 0]])]
    for shape, target in cases:
        f_x, t_x = both(rand(shape))
        with pytest.raises(Exception) as want:
            nnf(torch).cross_entropy(t_x, torch.tensor(target))
        with pytest.raises(want.type) as got:
            nnf(fg).cross_entropy(f_x, fg.tensor(target))
        assert str(want.value).rstrip(".") in str(got.value)  # ours adds the op and the shapes
    for reduction in ("avg", "mean "):
        with pytest.raises(ValueError, match=f"^{reduction} is not a valid value for reduction$"):
            nnf(fg).cross_entropy(fg.zeros(2, 3), fg.tensor([0, 1]), reduction=reduction)


MSE_CASES = [((3, 4), (3, 4), "float64", "float64"), ((3, 4), (3, 4), "float32", "float32"),
             ((2, 3), (2, 3), "float32", "float64"), ((3, 4), (4,), "float64", "float64"),
             ((), (), "float32", "float32")]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", MSE_CASES, ids=str)
def test_mse_loss_vs_torch(case, reduction, recwarn):
    sa, sb, da, db = case
    compare(lambda L, a, b: nnf(L).mse_loss(a, b, reduction=reduction),
            rand(sa, da, seed=1), rand(sb, db, seed=2))
    f, t = both(rand(sa, da), requires_grad=True)
    names = [repr(nnf(L).mse_loss(x, x.detach() * 2, reduction=reduction).grad_fn).split(" ")[0]
             for L, x in ((fg, f), (torch, t))]
    assert names[0] == names[1]


def test_mse_loss_size_mismatch_warns_and_raises_as_torch():
    for L in (fg, torch):
        with pytest.warns(UserWarning, match="Using a target size"), \
                pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\)"):
            nnf(L).mse_loss(L.zeros(3, 5), L.zeros(4, 5))


@pytest.mark.parametrize("name", ["relu", "sigmoid"])
def test_relu_sigmoid_vs_torch(name):
    compare(lambda L, x: getattr(nnf(L), name)(x * 1.0), rand((3, 4)))


def test_relu_inplace_vs_torch():
    def fn(L):
        x = L.tensor(rand((3, 4)), requires_grad=True)
        y = x * 2
        out = nnf(L).relu(y, inplace=True)
        (out * L.tensor(rand((3, 4), seed=5))).sum().backward()
        return [out, y, x.grad]
    run_both(fn)
    assert repr(nnf(fg).relu(fg.ones(2, requires_grad=True) * 1, inplace=True).grad_fn).startswith("<ReluBackward0")


def test_fused_backward_of_a_float64_upstream_gradient_vs_torch():
    """A cast's rule passes a float64 gradient back into a float32 graph: the fused kernels
    must read it as float64."""
    def fn(L):
        x = L.tensor(rand((2, 3), "float32"), requires_grad=True)
        w = L.tensor(rand((2, 3), seed=4))
        losses = [nnf(L).softmax(x, 1).double() * w, nnf(L).log_softmax(x, 0).double() * w,
                  nnf(L).cross_entropy(x, L.tensor([0, 2]), reduction="none").double() * w[:, 0]]
        grads = []
        for loss in losses:
            (g,) = L.autograd.grad(loss.sum(), x)
            grads.append(g)
        return grads
    run_both(fn)


# Forward mode and second derivatives of the fused ops are checked with every case of
# tests/ops_db.py in test_higher_order; mse_loss with a broadcast target warns, so it has its own.
NN_HIGHER = {
    "mse_mean broadcast": (lambda L, x: nnf(L).mse_loss(x * x, x.sum(0)), (3, 4)),
}


def _higher_data(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, shape)


@pytest.mark.filterwarnings("ignore:Using a target size")  # mse_mean broadcasts
@pytest.mark.parametrize("case", NN_HIGHER)
def test_nn_jvp_matches_torch(case):
    import torch.autograd.forward_ad as torch_fwad
    from fastgrad.autograd import forward_ad as fwad
    fn, shape = NN_HIGHER[case]
    primal, tangent = _higher_data(shape, 1), _higher_data(shape, 2)
    results = []
    for L, ad in ((fg, fwad), (torch, torch_fwad)):
        with ad.dual_level():
            dual = ad.make_dual(L.tensor(primal), L.tensor(tangent))
            results.append(ad.unpack_dual(fn(L, dual)))
    assert_same(results[0].primal, results[1].primal)
    assert_same(results[0].tangent, results[1].tangent)


@pytest.mark.filterwarnings("ignore:Using a target size")  # mse_mean broadcasts
@pytest.mark.parametrize("case", NN_HIGHER)
def test_nn_second_derivative_matches_torch(case):
    fn, shape = NN_HIGHER[case]
    results = []
    for L in (fg, torch):
        x = L.tensor(_higher_data(shape, 1), requires_grad=True)
        out = fn(L, x)
        u = L.tensor(_higher_data(tuple(out.shape), 3))
        (g,) = L.autograd.grad(out, x, u, create_graph=True)
        (gg,) = L.autograd.grad((g * L.tensor(_higher_data(shape, 4))).sum(), x)
        results.append((g, gg))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


@pytest.mark.parametrize("dtype", FLOATS)
def test_attention_of_a_query_that_sees_no_key_vs_torch(dtype):
    """torch's safe softmax: zeros for that query, and no NaN in any gradient."""
    mask = np.array([[True, False, True], [False, False, False]])
    for attn_mask in (mask, np.where(mask, 0.0, -np.inf).astype(dtype)):
        compare(lambda L, q, k, v, m: L.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=m), rand((2, 2, 4), dtype), rand((2, 3, 4), dtype, seed=1),
            rand((2, 3, 5), dtype, seed=2), attn_mask, grad=True)


def test_attention_dropout_draws_as_torch_and_errors():
    q, k, v = (rand((2, 3, 4, 5), "float32", seed=s) for s in range(3))

    def attend(L, *tensors):
        L.manual_seed(3)
        return L.nn.functional.scaled_dot_product_attention(*tensors, dropout_p=0.4)
    compare(attend, q, k, v)
    attend = lambda L, **kw: L.nn.functional.scaled_dot_product_attention(  # noqa: E731
        L.ones(2, 3), kw.pop("key", L.ones(2, 3)), L.ones(2, 3), **kw)
    assert_same_error(lambda L: attend(L, key=L.ones(2, 3, dtype=L.float64)))
    assert_same_error(lambda L: attend(L, attn_mask=L.ones(2, 2, dtype=L.int64)))
    assert_same_error(lambda L: attend(L, attn_mask=L.ones(2, 2, dtype=L.bool), is_causal=True))
