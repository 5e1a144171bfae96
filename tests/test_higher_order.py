"""Forward mode (JVPs through every op) and second derivatives (create_graph), against PyTorch;
the behaviour of autograd.grad and of the forward_ad API. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from fastgrad.autograd import forward_ad as fwad  # noqa: E402
from ops_db import DIFFERENTIABLE, inputs  # noqa: E402
import torch.autograd.forward_ad as torch_fwad  # noqa: E402

TOL = dict(rtol=1e-9, atol=1e-11)

CASES = [case for case in DIFFERENTIABLE if case.torch]
IDS = [case.name for case in CASES]


def lib_tensors(L, arrays, requires_grad=False):
    return [L.tensor(a.copy(), dtype=L.float64, requires_grad=requires_grad) for a in arrays]


def close(f, t):
    assert tuple(f.shape) == tuple(t.shape)
    expected = t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.detach().numpy()
    np.testing.assert_allclose(f.detach().numpy(), expected, **TOL)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_matches_torch(case):
    fn = case.fn
    primals, tangents = inputs(case, 1), inputs(case, 2)
    results = []
    for L, ad in ((fg, fwad), (torch, torch_fwad)):
        with ad.dual_level():
            duals = [ad.make_dual(p, t) for p, t in zip(lib_tensors(L, primals), lib_tensors(L, tangents))]
            out = ad.unpack_dual(fn(L, *duals))
            results.append(out)
    close(results[0].primal, results[1].primal)
    close(results[0].tangent, results[1].tangent)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_derivative_matches_torch(case):
    """d/dx <grad_x <f(x), u>, v>: the gradient of a gradient built with create_graph."""
    fn = case.fn
    xs, u = inputs(case, 1), None
    results = []
    for L in (fg, torch):
        leaves = lib_tensors(L, xs, requires_grad=True)
        out = fn(L, *leaves)
        u = np.random.default_rng(3).uniform(-2, 2, tuple(out.shape))
        grads = L.autograd.grad(out, leaves, L.tensor(u, dtype=L.float64), create_graph=True)
        vs = [np.random.default_rng(4).uniform(-2, 2, tuple(g.shape)) for g in grads]
        total = sum((g * L.tensor(v, dtype=L.float64)).sum() for g, v in zip(grads, vs))
        if not total.requires_grad:  # a function linear in its inputs: zero second derivative
            results.append(None)
            continue
        results.append(L.autograd.grad(total, leaves, allow_unused=True))
    if results[1] is None or results[0] is None:
        assert results[0] is None or all(g is None or not g.numpy().any() for g in results[0])
        return
    for f, t in zip(*results):
        if t is None:
            assert f is None or not f.numpy().any()
        else:
            close(f, t)


def test_hessian_of_quadratic_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    A, x = fg.tensor(a), fg.tensor(rng.standard_normal(4), requires_grad=True)
    (g,) = fg.autograd.grad(x @ A @ x, x, create_graph=True)
    rows = [fg.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(4)]
    np.testing.assert_allclose(np.stack(rows), a + a.T, rtol=1e-12)


def test_backward_create_graph_makes_differentiable_grads():
    x = fg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    first = x.grad
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0, 18.0])


def test_grad_returns_without_touching_dot_grad():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    w = fg.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = fg.autograd.grad((x * w).sum(), x)
    assert gx.tolist() == [3.0, 4.0]
    assert x.grad is None and w.grad is None and not gx.requires_grad


def test_grad_with_respect_to_an_intermediate_tensor():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    gh, gx = fg.autograd.grad(y, (h, x))
    assert gh.tolist() == [6.0, 12.0] and gx.tolist() == [18.0, 36.0]


def test_grad_outputs_and_several_outputs():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = fg.autograd.grad([x * 2, x * x], x, [fg.tensor([1.0, 1.0]), fg.tensor([0.5, 2.0])])
    assert g.tolist() == [3.0, 10.0]


def test_grad_unused_input():
    x = fg.tensor([1.0], requires_grad=True)
    z = fg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        fg.autograd.grad((x * 2).sum(), [x, z])
    assert fg.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)[1] is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        fg.autograd.grad((x * 2).sum(), fg.tensor([1.0]))


def test_grad_frees_the_graph_unless_retained():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp()).sum()
    fg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        fg.autograd.grad(y, x)
    y = (x.exp()).sum()
    first = fg.autograd.grad(y, x, retain_graph=True)[0]
    np.testing.assert_array_equal(fg.autograd.grad(y, x)[0].numpy(), first.numpy())


def test_forward_ad_api():
    x = fg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="dual_level"):
        fwad.make_dual(x, fg.ones(2))
    with fwad.dual_level():
        with pytest.raises(ValueError, match=r"shape \(3,\).*\(2,\)"):
            fwad.make_dual(x, fg.ones(3))
        with pytest.raises(RuntimeError, match="Nested"):
            with fwad.dual_level():
                pass
        d = fwad.make_dual(x, fg.tensor([1.0, 0.0]))
        y = d * d
        primal, tangent = fwad.unpack_dual(y)
        assert primal.tolist() == [1.0, 4.0] and tangent.tolist() == [2.0, 0.0]
        assert fwad.unpack_dual(x).tangent is None  # the original is not a dual
        assert fwad.unpack_dual(y.argmax()).tangent is None  # integer outputs carry none
    assert fwad.unpack_dual(y).tangent is None  # tangents end with their level


def test_forward_over_reverse_tangent_is_differentiable():
    """A tangent computed from tensors that require grad records a graph of its own."""
    x = fg.tensor([0.5, 1.5], requires_grad=True)
    with fwad.dual_level():
        d = fwad.make_dual(x, fg.tensor([1.0, 1.0]))
        tangent = fwad.unpack_dual((d * d * d).sum()).tangent  # sum 3 x^2
    tangent.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 9.0])  # 6 x


def test_create_graph_through_an_inplace_view_write_says_so():
    x = fg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[0:1].mul_(x[1:2])
    g = fg.autograd.grad(y.sum(), x, create_graph=False)[0]
    assert g.tolist() == [2.0, 2.0, 1.0]  # first derivatives work
    y = x * 1
    y[0:1].mul_(x[1:2])
    with pytest.raises(NotImplementedError, match="CopySlices"):
        fg.autograd.grad(y.sum(), x, create_graph=True)


def test_inplace_op_carries_the_tangent():
    with fwad.dual_level():
        d = fwad.make_dual(fg.tensor([1.0, 2.0]), fg.tensor([1.0, 1.0]))
        y = d * 1
        y.mul_(d)
        assert fwad.unpack_dual(y).tangent.tolist() == [2.0, 4.0]


def test_forward_mode_write_into_a_view_raises_instead_of_a_stale_tangent():
    with fwad.dual_level():
        z = fwad.make_dual(fg.zeros(3, 4, dtype=fg.float64), fg.ones(3, 4, dtype=fg.float64)) * 1
        for write in (lambda: z.__setitem__(([0, 1], 0), 7.0), lambda: z.__setitem__((slice(None), 0), 7.0)):
            with pytest.raises(NotImplementedError, match="in-place write into a view"):
                write()
        z.fill_(2.0)  # the whole tensor: its tangent becomes zero, as torch's
        assert fwad.unpack_dual(z).tangent.abs().sum().item() == 0.0


def test_forward_ad_imports_as_in_torch():
    import fastgrad.autograd.forward_ad as fw
    assert fw.dual_level is fwad.dual_level and fw.make_dual is fwad.make_dual
