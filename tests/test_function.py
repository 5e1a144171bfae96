"""autograd.Function, user-defined ops: forward and backward, saved tensors, needs_input_grad,
non-tensor arguments, create_graph through a differentiable backward, forward mode through jvp,
PyTorch's checks of what backward returns; the same examples against torch where installed."""
import re

import numpy as np
import pytest

import fastgrad as fg
from fastgrad.autograd import Function, forward_ad, gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")

X = [0.5, -1.0, 2.0, 3.5]


def examples(L):
    """The example Functions, written once for either library."""

    class MyExp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)  # the output
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class MyClamp(L.autograd.Function):
        """Clamp to [lo, hi] (numbers): gradient 1 inside, 0 outside."""

        @staticmethod
        def forward(ctx, x, lo, hi):
            ctx.save_for_backward(x)  # an input
            ctx.lo, ctx.hi = lo, hi
            return L.minimum(L.maximum(x, L.full_like(x, lo)), L.full_like(x, hi))

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            inside = (x >= ctx.lo).double() * (x <= ctx.hi).double()
            return g * inside, None, None

    class MulAdd(L.autograd.Function):
        """a * b + k: gradients only for the inputs that need one."""

        @staticmethod
        def forward(ctx, a, k, b):
            ctx.save_for_backward(a, b)
            return a * b + k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ga = g * b if ctx.needs_input_grad[0] else None
            gb = g * a if ctx.needs_input_grad[2] else None
            return ga, None, gb

    return MyExp, MyClamp, MulAdd


def leaf(L, values=X):
    return L.tensor(np.asarray(values, np.float64), requires_grad=True)


MyExp, MyClamp, MulAdd = examples(fg)


def test_custom_exp_forward_backward_and_grad_fn():
    x = leaf(fg)
    y = MyExp.apply(x)
    np.testing.assert_allclose(y.detach().numpy(), np.exp(X), rtol=1e-15)
    assert re.fullmatch(r"<MyExpBackward object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert y.grad_fn.name() == "MyExpBackward"
    assert repr(y).endswith("grad_fn=<MyExpBackward>)")
    assert not y.is_leaf and y.requires_grad
    y.backward(fg.tensor([1.0, 2.0, 3.0, 4.0], dtype=fg.float64))
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X) * [1, 2, 3, 4], rtol=1e-15)
    assert gradcheck(MyExp.apply, leaf(fg))


def test_clamp_with_saved_input_and_number_arguments():
    x = leaf(fg)
    y = MyClamp.apply(x, -0.75, 2.5)
    assert y.tolist() == [0.5, -0.75, 2.0, 2.5]
    (y * fg.tensor([1.0, 2.0, 3.0, 4.0], dtype=fg.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0, 0.0]
    assert gradcheck(lambda x: MyClamp.apply(x, -0.75, 2.5), leaf(fg))


def test_needs_input_grad_and_none_gradients():
    a, b = leaf(fg, [1.0, 2.0]), fg.tensor([3.0, 4.0], dtype=fg.float64)
    ctx_seen = []

    class Spy(MulAdd):
        @staticmethod
        def forward(ctx, a, k, b):
            ctx_seen.append(ctx.needs_input_grad)
            return MulAdd.forward(ctx, a, k, b)

    Spy.apply(a, 10, b).sum().backward()
    assert ctx_seen == [(True, False, False)]
    assert a.grad.tolist() == [3.0, 4.0] and b.grad is None
    with fg.no_grad():  # as in torch: from requires_grad alone
        out = Spy.apply(a, 10, b)
    assert ctx_seen[-1] == (True, False, False) and out.grad_fn is None
    assert not out.requires_grad


def test_second_derivatives_through_a_differentiable_backward():
    # MyExp saves its output: the second derivative must flow back through MyExp's node.
    x = leaf(fg)
    (g,) = fg.autograd.grad(MyExp.apply(x).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = fg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp(X), rtol=1e-15)
    # MyClamp's backward multiplies by a constant mask: second derivative 0.
    x = leaf(fg)
    (g,) = fg.autograd.grad((MyClamp.apply(x, -0.75, 2.5) ** 2).sum(), x, create_graph=True)
    g.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 2.0, 0.0]
    assert gradgradcheck(MyExp.apply, leaf(fg))
    assert gradgradcheck(lambda a, b: MulAdd.apply(a, 2.0, b), (leaf(fg, [1.0, 2.0]),
                                                                leaf(fg, [3.0, -4.0])))


def test_forward_mode_through_jvp():
    class Square(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            return x * x * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x, None

        @staticmethod
        def jvp(ctx, t, tk):
            assert tk is None  # a number has no tangent
            (x,) = ctx.saved_tensors
            return 2 * t * x * 3

    x = fg.tensor(X, dtype=fg.float64)
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, fg.ones(4, dtype=fg.float64))
        tangent = forward_ad.unpack_dual(Square.apply(dual, 3)).tangent
        assert tangent.tolist() == [6 * v for v in X]
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            MyExp.apply(dual)


def test_new_style_setup_context():
    class Scale(Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = leaf(fg)
    Scale.apply(x, 3.0).sum().backward()
    assert x.grad.tolist() == [3.0] * 4


def test_mark_non_differentiable_and_integer_outputs():
    class Positive(Function):
        @staticmethod
        def forward(ctx, x):
            mask = (x > 0).double()
            ctx.mark_non_differentiable(mask)
            return mask

    class Count(Function):
        @staticmethod
        def forward(ctx, x):
            return (x > 0).long()

    x = leaf(fg)
    for fn in (Positive, Count):
        out = fn.apply(x)
        assert out.grad_fn is None and not out.requires_grad


def test_identity_forward_does_not_take_over_the_input():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = leaf(fg)
    y = Twice.apply(x)
    assert x.is_leaf and x.grad_fn is None and y.grad_fn.name() == "TwiceBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.0] * 4


def test_freed_graph_and_modified_saved_tensor_raise():
    x = leaf(fg)
    y = MyExp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()
    y = MyExp.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()  # retained: allowed once more
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(X), rtol=1e-15)
    a = fg.tensor(X, dtype=fg.float64)
    out = MulAdd.apply(leaf(fg), 1.0, a)
    a.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: "
                                           r"\[torch.float64 \[4\]\] is at version 1; "
                                           r"expected version 0 instead \(MulAddBackward\)"):
        out.sum().backward()


def bad(backward, n_args=1):
    """A Function x * 2 (with extra number arguments) whose backward is `backward`."""
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, *numbers):
            return x * 2

    Bad.backward = staticmethod(backward)
    return lambda x: Bad.apply(x, *range(n_args - 1))


@pytest.mark.parametrize("backward, n_args, message", [
    (lambda ctx, g: g, 2,
     r"function BadBackward returned an incorrect number of gradients \(expected 2, got 1\)"),
    (lambda ctx, g: (g, g), 2,
     r"function BadBackward returned a gradient different than None at position 2, but the "
     r"corresponding forward input was not a Variable"),
    (lambda ctx, g: g[:2], 1,
     r"Function BadBackward returned an invalid gradient at index 0 - got \[2\] but expected "
     r"shape compatible with \[4\]"),
])
def test_checks_what_backward_returns(backward, n_args, message):
    with pytest.raises(RuntimeError, match=message):
        bad(backward, n_args)(leaf(fg)).sum().backward()


def test_extra_none_gradients_and_broadcast_gradients_are_accepted():
    fn = bad(lambda ctx, g: (2 * g, None, None))  # trailing Nones beyond the inputs
    x = leaf(fg)
    fn(x).sum().backward()
    assert x.grad.tolist() == [2.0] * 4
    fn = bad(lambda ctx, g: 2 * g.expand(3, 4))  # summed back to the input's shape
    x = leaf(fg)
    fn(x).sum().backward()
    assert x.grad.tolist() == [6.0] * 4


def split_function(L):
    """Two outputs, one of them saved for backward; its backward reads both gradients."""

    class SplitExp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            e = x.exp()
            ctx.save_for_backward(e, w)
            return e * w, x * 3

        @staticmethod
        def backward(ctx, g_scaled, g_tripled):
            e, w = ctx.saved_tensors
            return g_scaled * e * w + 3 * g_tripled, (g_scaled * e).sum()

    return SplitExp


@pytest.mark.parametrize("uses", ["both", "first", "second"])
def test_several_outputs(uses):
    results = []
    for L in (fg, torch) if torch is not None else (fg,):
        x, w = leaf(L), L.tensor(0.5, dtype=L.float64, requires_grad=True)
        a, b = split_function(L).apply(x, w)
        loss = {"both": lambda: (a * b).sum(), "first": lambda: a.sum(), "second": lambda: (b * b).sum()}[uses]()
        loss.backward()
        results.append((a.tolist(), b.tolist(), x.grad.tolist(), None if w.grad is None else w.grad.item()))
    e = np.exp(X)
    expected_x = {"both": 1.5 * e * np.array(X) + 1.5 * e,
                  "first": 0.5 * e, "second": 18 * np.array(X)}[uses]
    np.testing.assert_allclose(results[0][2], expected_x, rtol=1e-12)
    for theirs in results[1:]:
        np.testing.assert_allclose(results[0][2], theirs[2], rtol=1e-12)
        assert results[0][3] == pytest.approx(theirs[3], rel=1e-12)


def test_several_outputs_second_derivative_and_freed_graph():
    class ExpAndDouble(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)  # a saved output: differentiable again under create_graph
            return y, x * 2

        @staticmethod
        def backward(ctx, gy, gz):
            (y,) = ctx.saved_tensors
            return gy * y + 2 * gz

    x = leaf(fg)
    y, z = ExpAndDouble.apply(x)
    (gx,) = fg.autograd.grad(y.sum() + z.sum(), x, create_graph=True)  # e^x + 2
    (ggx,) = fg.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), np.exp(X), rtol=1e-12)
    w = fg.tensor(0.5, dtype=fg.float64, requires_grad=True)
    a, b = split_function(fg).apply(x, w)
    (a.sum() + b.sum()).backward()
    with pytest.raises(RuntimeError, match="second time"):
        (a.sum() + b.sum()).backward()


@needs_torch
def test_examples_match_torch():
    theirs = examples(torch)
    for ours, their in zip((MyExp, MyClamp, MulAdd), theirs):
        args = {MyExp: lambda L: (leaf(L),), MyClamp: lambda L: (leaf(L), -0.75, 2.5),
                MulAdd: lambda L: (leaf(L), 1.5, leaf(L, [4.0, 3.0, 2.0, 1.0]))}[ours]
        ours_args, their_args = args(fg), args(torch)
        y, ty = ours.apply(*ours_args), their.apply(*their_args)
        assert repr(y) == repr(ty)
        weights = [1.0, -2.0, 0.5, 3.0]
        (y * fg.tensor(weights, dtype=fg.float64)).sum().backward()
        (ty * torch.tensor(weights, dtype=torch.float64)).sum().backward()
        for a, ta in zip(ours_args, their_args):
            if isinstance(a, fg.Tensor):
                np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-15)
