"""fastgrad.func: every transform against torch.func (skipped where torch is not installed), and
the properties that need no reference: the Hessian of x A x is A + A^T, the two Jacobian layouts
are transposes, forward and reverse mode agree, transforms nest, results carry no graph."""
import re

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import func
from ops_db import DIFFERENTIABLE, inputs

try:
    import torch
    import torch.func as tfunc
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")

TOL = dict(rtol=1e-10, atol=1e-12)

# Every differentiable case of the op database that torch spells the same way.
CASES = [case for case in DIFFERENTIABLE if case.torch]
IDS = [case.name for case in CASES]


def data(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, size=s) for s in shapes]


def fg_args(arrays):
    return [fg.tensor(a) for a in arrays]


def torch_args(arrays):
    return [torch.tensor(a) for a in arrays]


def check(ours, theirs):
    """Nested tuples of fastgrad tensors against the same structure of torch tensors."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            check(o, t)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.grad_fn is None and not ours.requires_grad  # plain results
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOL)


def scalarized(fn):
    """A 0-d function of the same inputs, for grad and hessian."""
    return lambda L, *xs: (fn(L, *xs) * fn(L, *xs)).sum()


# ---- against torch.func -----------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jacobians_match_torch(case, transform):
    fn, shapes = case.fn, case.shapes
    arrays = inputs(case, 0)
    argnums = tuple(range(len(shapes)))
    ours = getattr(func, transform)(lambda *xs: fn(fg, *xs), argnums)(*fg_args(arrays))
    theirs = getattr(tfunc, transform)(lambda *xs: fn(torch, *xs), argnums)(*torch_args(arrays))
    check(ours, theirs)


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vjp_and_jvp_match_torch(case):
    fn, shapes = case.fn, case.shapes
    arrays = inputs(case, 0)
    out_shape = tuple(fn(fg, *fg_args(arrays)).shape)
    cotangent, *tangents = data([out_shape] + shapes, seed=1)
    out, vjp_fn = func.vjp(lambda *xs: fn(fg, *xs), *fg_args(arrays))
    t_out, t_vjp_fn = tfunc.vjp(lambda *xs: fn(torch, *xs), *torch_args(arrays))
    check(out, t_out)
    check(vjp_fn(fg.tensor(cotangent)), t_vjp_fn(torch.tensor(cotangent)))
    check(vjp_fn(fg.tensor(2 * cotangent)), t_vjp_fn(torch.tensor(2 * cotangent)))  # again
    check(func.jvp(lambda *xs: fn(fg, *xs), tuple(fg_args(arrays)), tuple(fg_args(tangents))),
          tfunc.jvp(lambda *xs: fn(torch, *xs), tuple(torch_args(arrays)),
                    tuple(torch_args(tangents))))


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_grad_and_hessian_match_torch(case):
    fn, shapes = case.fn, case.shapes
    f = scalarized(fn)
    arrays = inputs(case, 0)
    argnums = tuple(range(len(shapes)))
    check(func.grad(lambda *xs: f(fg, *xs), argnums)(*fg_args(arrays)),
          tfunc.grad(lambda *xs: f(torch, *xs), argnums)(*torch_args(arrays)))
    check(func.grad_and_value(lambda *xs: f(fg, *xs))(*fg_args(arrays)),
          tfunc.grad_and_value(lambda *xs: f(torch, *xs))(*torch_args(arrays)))
    check(func.hessian(lambda *xs: f(fg, *xs), argnums)(*fg_args(arrays)),
          tfunc.hessian(lambda *xs: f(torch, *xs), argnums)(*torch_args(arrays)))


@needs_torch
def test_tuple_outputs_and_aux_match_torch():
    def fn(L, a, b):
        return (L.mm(a, b), (a * a).sum()), a.sum()
    arrays = data([(2, 3), (3, 2)])
    ours = func.jacrev(lambda *xs: fn(fg, *xs), (0, 1), has_aux=True)(*fg_args(arrays))
    theirs = tfunc.jacrev(lambda *xs: fn(torch, *xs), (0, 1), has_aux=True)(*torch_args(arrays))
    check(ours, theirs)
    ours = func.jacfwd(lambda *xs: fn(fg, *xs), 1, has_aux=True)(*fg_args(arrays))
    theirs = tfunc.jacfwd(lambda *xs: fn(torch, *xs), 1, has_aux=True)(*torch_args(arrays))
    check(ours, theirs)
    g = lambda L, x: ((x * x).sum(), x.exp())  # noqa: E731
    check(func.grad(lambda x: g(fg, x), has_aux=True)(fg.tensor(arrays[0])),
          tfunc.grad(lambda x: g(torch, x), has_aux=True)(torch.tensor(arrays[0])))


# ---- properties -------------------------------------------------------------------------------
def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    A = fg.tensor(data([(4, 4)])[0])  # not symmetric
    x = fg.tensor(data([(4,)], seed=2)[0])
    H = func.hessian(lambda x: x @ A @ x)(x)
    np.testing.assert_allclose(H.numpy(), (A + A.T).numpy(), **TOL)
    grad = func.grad(lambda x: x @ A @ x)(x)
    np.testing.assert_allclose(grad.numpy(), ((A + A.T) @ x).numpy(), **TOL)


SHAPES = {"scalar": (), "vector": (3,), "matrix": (2, 3)}


@pytest.mark.parametrize("y_kind", SHAPES)
@pytest.mark.parametrize("x_kind", SHAPES)
def test_jacobian_layouts_and_modes(x_kind, y_kind):
    """The docstring's table: numerator y.shape + x.shape, denominator x.shape + y.shape, its
    transpose; forward and reverse mode give the same numbers."""
    x_shape, y_shape = SHAPES[x_kind], SHAPES[y_kind]
    W = fg.tensor(data([y_shape + (int(np.prod(x_shape)),)])[0])

    def f(x):  # y_k = sin(sum_j W_kj x_j) * x_0: every y element depends on every x element
        flat = x.reshape(-1)
        return fg.sin((W * flat).sum(dim=-1)) * flat[0]

    x = fg.tensor(data([x_shape], seed=3)[0])
    num = func.jacobian(f, x)
    den = func.jacobian(f, x, layout="denominator")
    assert num.shape == y_shape + x_shape
    assert den.shape == x_shape + y_shape
    m, n = int(np.prod(y_shape)), int(np.prod(x_shape))
    np.testing.assert_allclose(den.numpy().reshape(n, m), num.numpy().reshape(m, n).T, **TOL)
    for layout in ("numerator", "denominator"):
        forward = func.jacobian(f, x, layout=layout, mode="forward")
        reverse = func.jacobian(f, x, layout=layout, mode="reverse")
        assert forward.shape == reverse.shape
        np.testing.assert_allclose(forward.numpy(), reverse.numpy(), **TOL)
    # Column j of the numerator layout is the directional derivative along e_j.
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        _, tangent = func.jvp(f, (x,), (fg.tensor(e.reshape(x_shape)),))
        np.testing.assert_allclose(num.numpy().reshape(m, n)[:, j], tangent.numpy().reshape(m),
                                   **TOL)


def test_scalar_by_vector_denominator_layout_is_the_gradient():
    x = fg.tensor([1.0, -2.0, 0.5], dtype=fg.float64)
    f = lambda x: (x * x * x).sum()  # noqa: E731
    np.testing.assert_allclose(func.jacobian(f, x, layout="denominator").numpy(),
                               (3 * x * x).numpy(), **TOL)


def test_transforms_nest():
    x = fg.tensor(data([(3,)])[0])
    f = lambda x: (x.exp() * x.sin()).sum()  # noqa: E731
    expected = func.hessian(f)(x)
    for nested in (func.jacrev(func.jacfwd(f)), func.jacrev(func.grad(f))):
        np.testing.assert_allclose(nested(x).numpy(), expected.numpy(), **TOL)
    # d2/dx2 of exp(x) sin(x) = 2 exp(x) cos(x), on the diagonal.
    np.testing.assert_allclose(expected.numpy(), np.diag((2 * x.exp() * x.cos()).numpy()), **TOL)
    # Third derivative of x^4 at 0-d x: 24 x.
    t = fg.tensor(1.5, dtype=fg.float64)
    third = func.grad(func.grad(func.grad(lambda x: x ** 4)))(t)
    assert third.item() == pytest.approx(36.0, rel=1e-12)


def test_results_are_plain_and_inputs_untouched():
    x = fg.tensor([1.0, 2.0], dtype=fg.float64)
    for result in (func.grad(lambda x: (x * x).sum())(x), func.jacrev(fg.exp)(x),
                   func.jacfwd(fg.exp)(x), func.vjp(fg.exp, x)[0], func.jvp(fg.exp, (x,), (x,))[1]):
        assert result.grad_fn is None and not result.requires_grad
    assert x.grad is None and not x.requires_grad and x._version[0] == 0


def test_input_that_requires_grad_gets_a_differentiable_result():
    """As with torch.func: the transform's result is a function of the input that autograd
    can differentiate again."""
    x = fg.tensor([0.5, -1.0], dtype=fg.float64, requires_grad=True)
    g = func.grad(lambda x: (x ** 3).sum())(x)  # 3 x^2
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (6 * x.detach()).numpy(), **TOL)


def test_outputs_independent_of_an_input_give_zeros():
    a, b = fg.tensor([1.0, 2.0], dtype=fg.float64), fg.tensor([3.0], dtype=fg.float64)
    ja, jb = func.jacrev(lambda a, b: a * 2, (0, 1))(a, b)
    np.testing.assert_array_equal(jb.numpy(), np.zeros((2, 1)))
    np.testing.assert_array_equal(ja.numpy(), 2 * np.eye(2))
    assert func.grad(lambda a, b: a.sum(), 1)(a, b).tolist() == [0.0]
    assert func.jacfwd(lambda a, b: a * 2, 1)(a, b).tolist() == [[0.0], [0.0]]


def test_custom_function_inside_transforms():
    class Cube(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * g * x * x

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return 3 * t * x * x

    x = fg.tensor([0.5, -2.0], dtype=fg.float64)
    expected = np.diag(3 * x.numpy() ** 2)
    np.testing.assert_allclose(func.jacrev(Cube.apply)(x).numpy(), expected, **TOL)
    np.testing.assert_allclose(func.jacfwd(Cube.apply)(x).numpy(), expected, **TOL)
    np.testing.assert_allclose(func.hessian(lambda x: Cube.apply(x).sum())(x).numpy(),
                               np.diag(6 * x.numpy()), **TOL)


def test_errors():
    x = fg.tensor([1.0, 2.0], dtype=fg.float64)
    with pytest.raises(RuntimeError, match="Expected f.*to return a scalar Tensor, got tensor "
                                           "with 1 dims"):
        func.grad(fg.exp)(x)
    with pytest.raises(RuntimeError, match="Got argnums=1, but only 1 positional inputs"):
        func.jacrev(fg.exp, 1)(x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        func.jacrev(fg.exp, [0])(x)
    with pytest.raises(RuntimeError, match="floating point tensors, got torch.int64"):
        func.jacrev(fg.exp)(fg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=re.escape("output of function f should be a tuple: "
                                                     "(output, aux)")):
        func.grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Expected primals and tangents to be tuples"):
        func.jvp(fg.exp, x, x)
    with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
        func.jacfwd(func.jacfwd(lambda x: x.exp().sum()))(x)
    with pytest.raises(ValueError, match="layout must be 'numerator' or 'denominator'"):
        func.jacobian(fg.exp, x, layout="row")
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward'"):
        func.jacobian(fg.exp, x, mode="backward")
