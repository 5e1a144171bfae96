"""fastgrad against real PyTorch, autograd semantics: accumulation, no_grad, leaves, retained
graphs, errors: the same inputs through both libraries give the same values, dtypes, shapes,
gradients, reprs and errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import both, compare, rand, run_both  # noqa: E402


# ---- autograd semantics -------------------------------------------------------------------
def test_grad_accumulates_over_two_backwards():
    def fn(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        first = x.grad.clone()
        (3 * x).sum().backward()
        return [first, x.grad]
    run_both(fn)


def test_grad_zero_():
    def fn(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (x ** 3).sum().backward()
        x.grad.zero_()
        zeroed = x.grad.clone()
        x.sin().sum().backward()
        return [zeroed, x.grad]
    run_both(fn)


def test_reused_intermediate():
    def fn(L):
        x = L.tensor([0.5, -1.5], requires_grad=True)
        w = L.tensor([2.0, 3.0], requires_grad=True)
        h = x * w           # used three times
        y = (h * h + h.exp() - h / 2).sum()
        y.backward()
        return [y, x.grad, w.grad]
    run_both(fn)


def test_same_leaf_twice_in_one_op():
    compare(lambda L, x: x * x, rand((4,), "float32"))
    compare(lambda L, x: L.dot(x, x), rand((4,), "float64"))
    compare(lambda L, x: x @ x.t(), rand((3, 2), "float32"))


def test_no_grad():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.no_grad():
            y = x * 2
        z = x * 2
        return [y, z, L.tensor(y.requires_grad), L.tensor(z.requires_grad),
                L.tensor(y.grad_fn is None), L.tensor(L.is_grad_enabled())]
    run_both(fn)
    f, t = fn(fg), fn(torch)
    assert repr(f[0]) == repr(t[0]) and repr(f[1]) == repr(t[1])


def test_no_grad_decorator():
    def fn(L):
        @L.no_grad()
        def double(v):
            return v * 2

        @L.no_grad  # without parentheses, as torch 2 allows
        def triple(v):
            return v * 3

        @L.enable_grad
        def again(v):
            return v * 4
        x = L.tensor([1.0], requires_grad=True)
        with L.no_grad():
            inner = again(x).requires_grad
        return [L.tensor(double(x).requires_grad), L.tensor(triple(x).requires_grad),
                triple(x), L.tensor(inner)]
    run_both(fn)


def test_sgd_update():
    def fn(L):
        rng = np.random.default_rng(50)
        X = L.tensor(rng.normal(size=(8, 3)))
        y = L.tensor(rng.normal(size=(8,)))
        w = L.tensor(np.zeros(3), requires_grad=True)
        b = L.tensor(0.0, dtype=L.float64, requires_grad=True)
        lr = 0.1
        losses = []
        for _ in range(5):
            loss = ((X @ w + b - y) ** 2).mean()
            loss.backward()
            with L.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
            losses.append(loss.detach())
        return [w, b, *losses, L.tensor(w.requires_grad), L.tensor(w.is_leaf)]
    run_both(fn)


def test_leaf_and_requires_grad_flags():
    def fn(L):
        x = L.tensor([1.0], requires_grad=True)
        c = L.tensor([1.0])
        y = x * c
        return [L.tensor([x.is_leaf, c.is_leaf, y.is_leaf, y.requires_grad, c.requires_grad,
                          (c * 2).requires_grad])]
    run_both(fn)


def test_integer_ops_do_not_require_grad():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        return [L.tensor([(x > 1).requires_grad, x.argmax().requires_grad])]
    run_both(fn)


def test_backward_non_scalar_without_gradient_raises():
    for L in (fg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError):
            (x * 2).backward()


def test_backward_on_tensor_without_grad_raises():
    for L in (fg, torch):
        with pytest.raises(RuntimeError):
            L.tensor([1.0]).sum().backward()


def test_requires_grad_on_int_tensor_raises():
    for L in (fg, torch):
        with pytest.raises(RuntimeError):
            L.tensor([1, 2], requires_grad=True)


def test_backward_twice_without_retain_graph_raises():
    for L in (fg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * 2).sum()
        y.backward()
        with pytest.raises(RuntimeError):
            y.backward()


def test_retain_graph_accumulates():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return [x.grad]
    run_both(fn)


def test_backward_with_scalar_gradient_argument():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward(L.tensor(3.0))
        return [x.grad]
    run_both(fn)


def test_grad_of_non_leaf_is_none():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x2 = x * 2
        x2.sum().backward()
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about .grad of a non-leaf
            return [x.grad, x2.grad]
    run_both(fn)


def test_detach_shares_memory_and_inplace_visible():
    def fn(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = x.detach()
        d[0] = 10.0
        return [x.detach().clone(), L.tensor(d.requires_grad)]
    run_both(fn)


def test_setitem_with_grad_then_backward():
    def fn(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1.0
        y[1] = 0.0
        (y * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return [y, x.grad]
    run_both(fn)


def test_modified_saved_tensor_raises():
    for L in (fg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1.0
        z = y.exp()     # saves its output
        z.add_(1)
        with pytest.raises(RuntimeError):
            z.sum().backward()


def test_item_and_tolist():
    f, t = both(rand((2, 2)))
    assert f.tolist() == t.tolist()
    assert f[0, 1].item() == t[0, 1].item()
    assert fg.tensor(3).item() == torch.tensor(3).item() and isinstance(fg.tensor(3).item(), int)


def _data_updates(L):
    """The .data idioms of older tutorials: updates through .data, out of the graph's sight."""
    p = L.tensor([1.0, 2.0, -3.0], requires_grad=True)
    (p * p).sum().backward()
    p.data += -0.1 * p.grad           # SGD by hand
    p.data *= L.tensor([1.0, 0.0, 1.0])  # a mask
    y = p * p                          # saves p ...
    p.data.mul_(2)                     # ... changed through .data: no error, as in torch
    y.sum().backward()
    out = [p.detach().clone(), p.grad.clone()]
    p.data = L.tensor([5.0, 6.0, 7.0, 8.0])  # another tensor's memory, any shape
    return out + [p.detach().clone(), L.tensor(float(p.requires_grad))]


def test_data_setter_and_updates_through_data_match_torch():
    for f, t in zip(_data_updates(fg), _data_updates(torch)):
        np.testing.assert_array_equal(f.numpy(), t.numpy())
    for L in (fg, torch):
        p = L.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="must be floating point"):
            p.data = L.tensor([1])
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            p.data = [1.0]


def _retained(L):
    x = L.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    w = L.tensor(np.linspace(0.5, 1.5, 4), requires_grad=True)
    h = x * w
    h.retain_grad()
    t = h.tanh()
    t.retain_grad()
    loss = (t ** 2).sum()
    loss.retain_grad()
    loss.backward(retain_graph=True)
    first = [h.grad.clone(), t.grad.clone(), loss.grad.clone(), x.grad.clone()]
    (t * 3).sum().backward()  # a retained .grad accumulates, as a leaf's
    flags = [h.retains_grad, x.retains_grad, w.retains_grad]
    return first + [t.grad.clone(), h.grad.clone()], flags


def test_retain_grad_matches_torch():
    """The intermediates' gradients that makemore's 'backprop ninja' compares against."""
    (ours, our_flags), (theirs, their_flags) = _retained(fg), _retained(torch)
    for f, t in zip(ours, theirs):
        np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-12)
    assert our_flags == their_flags == [True, False, False]
    for L in (fg, torch):
        with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                               "requires_grad=False"):
            L.ones(2).retain_grad()


def _inference_mode(L):
    x = L.ones(2, requires_grad=True)
    out = []
    with L.inference_mode():
        out.append((x * 2).requires_grad)
    with L.inference_mode(False):
        out.append((x * 2).requires_grad)

    @L.inference_mode()
    def f(t):
        return t * 3

    @L.inference_mode
    def g(t):
        return t * 3
    return out + [f(x).requires_grad, g(x).requires_grad, L.is_grad_enabled(),
                  (x * 2).requires_grad]


def test_inference_mode_matches_torch():
    """A context manager and a decorator (with or without parentheses); mode=False changes
    nothing; grad mode comes back after."""
    assert _inference_mode(fg) == _inference_mode(torch) == [False, True, False, False, True,
                                                              True]


def test_clamp_and_masked_fill_in_place_match_torch():
    """On an intermediate of a graph: the values, the grad_fn and the leaf's gradient."""
    def run(L):
        x = L.tensor([-2.0, 0.5, 3.0, 1.0], requires_grad=True)
        h = x * 2
        h.clamp_(min=-1.0, max=2.5)
        h.masked_fill_(L.tensor([False, False, False, True]), -7.0)
        (h * L.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        return h.detach(), x.grad, h.grad_fn.name()
    (fh, fg_grad, fname), (th, tgrad, tname) = run(fg), run(torch)
    np.testing.assert_array_equal(fh.numpy(), th.numpy())
    np.testing.assert_array_equal(fg_grad.numpy(), tgrad.numpy())
    assert fname == tname


def _hooks(L):
    """Hooks on a leaf and on intermediates: what they see, what they change, their order,
    removal, and their place before retain_grad and .grad."""
    seen = []
    x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
    hx = x.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: seen.append(("x", g.tolist())))
    h = x * x
    h.register_hook(lambda g: seen.append(("h first", g.tolist())))
    h.register_hook(lambda g: g + 1)
    h.register_hook(lambda g: seen.append(("h second", g.tolist())))
    h.retain_grad()
    y = h.sum() * 3
    y.register_hook(lambda g: seen.append(("y", g.item())))
    y.backward(retain_graph=True)
    first = (x.grad.tolist(), h.grad.tolist())
    hx.remove()
    x.grad = None
    y.backward()
    (gx,) = L.autograd.grad((x * 5).sum(), x)
    return seen, first, x.grad.tolist(), gx.tolist()


def test_register_hook_matches_torch():
    assert _hooks(fg) == _hooks(torch)


def test_register_hook_on_a_tensor_without_grad_is_refused():
    for L in (fg, torch):
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                               "require gradient"):
            L.ones(2).register_hook(print)


def test_assignment_drops_leading_ones_of_the_value_as_torch():
    """z[0] = t with t of shape (1, n), also when t requires grad: the gradient flows back."""
    def run(L):
        w = L.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        z = L.zeros(2, 3)
        z[0] = w * 2
        z[1, :] = L.ones(1, 1, 3)
        (z * L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        return z.detach().tolist(), w.grad.tolist(), z.grad_fn.name().split("::")[-1]
    assert run(fg) == run(torch)
    for L in (fg, torch):
        with pytest.raises(RuntimeError):
            L.zeros(2, 3)[0] = L.ones(2, 3)


def test_next_functions_reach_the_leaves_as_torch():
    """A leaf that requires grad shows as its AccumulateGrad (the same object while it lives,
    holding the leaf as .variable); an operand that needs no gradient as None."""
    def run(L):
        w = L.ones(2, requires_grad=True)
        mul = (w * 2).sum().grad_fn.next_functions[0][0]
        leaf, none = (f for f, _ in mul.next_functions)
        again = (w * 3).grad_fn.next_functions[0][0]
        return [type(leaf).__name__, leaf.name(), leaf.variable is w, leaf.next_functions,
                none, again is leaf, repr(leaf).startswith("<AccumulateGrad object at 0x")]
    assert run(fg) == run(torch)
