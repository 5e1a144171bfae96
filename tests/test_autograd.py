"""The engine: accumulation, paths, order, freed graphs, grad mode, in-place rules."""
import threading

import numpy as np
import pytest

import fastgrad as fg


def test_gradients_accumulate_until_zeroed():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    grad = x.grad
    (x * 3).sum().backward()
    assert x.grad is grad and x.grad.tolist() == [6.0, 6.0]
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]


def test_only_leaves_get_grad():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (y * y).sum().backward()
    assert y.grad is None and not y.is_leaf and x.is_leaf
    assert x.grad.tolist() == [8.0, 16.0]


def test_reused_intermediate_gets_sum_of_paths():
    x = fg.tensor(3.0, requires_grad=True)
    y = x * x
    z = y + y * y + y.exp()  # dz/dy = 1 + 2y + e^y
    z.backward()
    y_value = 9.0
    assert x.grad.item() == pytest.approx((1 + 2 * y_value + np.exp(y_value)) * 6.0, rel=1e-6)


def test_leaf_grads_never_alias():
    a = fg.tensor([1.0, 2.0], requires_grad=True)
    b = fg.tensor([1.0, 2.0], requires_grad=True)
    g = fg.tensor([5.0, 7.0])
    (a + b).backward(g)
    a.grad.zero_()
    assert b.grad.tolist() == [5.0, 7.0] and g.tolist() == [5.0, 7.0]


def test_long_chain_has_no_recursion_limit():
    x = fg.tensor([1.0, -1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    del y  # freeing the 100,000-node chain must not overflow the C stack either


def test_second_backward_raises_unless_retained():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_saved_tensors_are_freed():
    import weakref
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    ref = weakref.ref(h)
    y = (h * h).sum()
    del h
    assert ref() is not None  # kept alive by the graph for the backward of h * h
    y.backward()
    assert ref() is None


def test_nonscalar_backward_needs_gradient():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(fg.ones(3))


def test_backward_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        fg.tensor([1.0]).sum().backward()


def test_detach_cuts_the_graph_and_shares_memory():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x)
    u = y.detach()
    assert not u.requires_grad and u.grad_fn is None
    with fg.no_grad():
        u += 1
    assert y.tolist() == [2.0, 5.0]


def test_no_grad_context_and_decorator():
    x = fg.tensor([1.0], requires_grad=True)
    with fg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @fg.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert fg.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_is_thread_local():
    x = fg.tensor([1.0], requires_grad=True)
    seen = []
    inside, done = threading.Event(), threading.Event()

    def other_thread():
        inside.wait()
        seen.append((x * 2).requires_grad)
        done.set()

    t = threading.Thread(target=other_thread)
    t.start()
    with fg.no_grad():
        inside.set()
        done.wait()
    t.join()
    assert seen == [True]


def test_sgd_step_in_no_grad():
    w = fg.tensor([1.0, -2.0], requires_grad=True)
    x = fg.tensor([3.0, 4.0])
    for _ in range(3):
        loss = ((w * x).sum() - 1.0) ** 2
        loss.backward()
        with fg.no_grad():
            w -= 0.01 * w.grad
        w.grad.zero_()
    assert w.is_leaf and w.requires_grad
    assert ((w * x).sum() - 1.0).abs().item() < 6.0


def test_inplace_on_leaf_requiring_grad_raises():
    w = fg.tensor([1.0], requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.copy_(fg.ones(1)), lambda: w.fill_(0),
               lambda: w.__iadd__(1)):  # w += 1
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
    assert w.tolist() == [1.0]


def test_inplace_on_intermediate_is_recorded():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y += x * x
    assert y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_inplace_change_of_saved_tensor_is_detected():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = (y * y).sum()
    with fg.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_requires_grad_only_for_floats():
    with pytest.raises(RuntimeError, match="floating point"):
        fg.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        fg.arange(3, requires_grad=True)


def test_integer_results_do_not_require_grad():
    x = fg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad
    assert not x.argmax().requires_grad
    assert not x.long().requires_grad


def test_grad_fn_names():
    x = fg.ones(2, 2, requires_grad=True)
    names = {
        "AddBackward0": x + 1, "SubBackward0": x - x, "MulBackward0": 2 * x, "DivBackward0": x / 2,
        "PowBackward0": x ** 2, "NegBackward0": -x, "MmBackward0": x @ x, "SumBackward0": x.sum(),
        "SumBackward1": x.sum(0), "MeanBackward0": x.mean(), "ExpBackward0": x.exp(),
        "ViewBackward0": x.reshape(4), "TBackward0": x.t(), "SelectBackward0": x[0],
        "SliceBackward0": x[:, :1], "ReluBackward0": x.relu(), "DotBackward0": fg.dot(x[0], x[1]),
        "MvBackward0": fg.mv(x, x[0]), "StackBackward0": fg.stack([x, x]),
        "CatBackward0": fg.cat([x, x]), "CumsumBackward0": x.cumsum(0),
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name
        assert f"grad_fn=<{name}>" in repr(t)


def test_inplace_on_intermediate_with_scalar_and_tensor():
    a = fg.ones(3, requires_grad=True)
    b = a * 1
    b.mul_(2)
    b.div_(4)
    b.sum().backward()
    assert a.grad.tolist() == [0.5, 0.5, 0.5]
    a.grad = None
    c = fg.full((3,), 2.0, requires_grad=True)
    b = a * 1
    b.mul_(c)  # c's gradient needs b's value from before the write: it was saved as a copy
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0] and c.grad.tolist() == [1.0, 1.0, 1.0]


def test_inplace_leaves_no_reference_cycle():
    import gc
    import weakref
    a = fg.ones(3, requires_grad=True)
    gc.disable()
    try:
        b = a * 1
        b.mul_(fg.full((3,), 2.0, requires_grad=True))
        node = weakref.ref(b.grad_fn)
        del b
        assert node() is None
    finally:
        gc.enable()


def test_fill_on_intermediate_cuts_the_gradient():
    a = fg.ones(3, requires_grad=True)
    b = a * 2
    b.fill_(1)
    (b * a).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0, 1.0]  # only the path through the second factor


def test_inplace_through_a_view_reaches_the_base():
    a = fg.ones(3, requires_grad=True)
    b = a * 1
    v = b[0:2]
    v.mul_(3)
    assert b.tolist() == [3.0, 3.0, 1.0]
    (b * fg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert a.grad.tolist() == [3.0, 6.0, 3.0]


def test_setitem_inside_a_graph():
    x = fg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = fg.tensor(5.0, requires_grad=True)
    y = x * 1.0
    y[1] = v * 2
    assert y.tolist() == [1.0, 10.0, 3.0] and y.grad_fn.name() == "CopySlices"
    (y * fg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0] and v.grad.item() == 4.0


def test_inplace_on_a_view_of_a_leaf_raises():
    w = fg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0:2].mul_(2)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0] = 5.0
    with fg.no_grad():
        w[0] = 5.0
    assert w.tolist() == [5.0, 1.0, 1.0]


def test_set_grad_enabled_as_decorator_restores_the_mode():
    @fg.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert fg.is_grad_enabled()
    assert not f(fg.ones(1, requires_grad=True)).requires_grad
    with fg.set_grad_enabled(False):
        assert not fg.is_grad_enabled()
    assert fg.is_grad_enabled()


def test_backward_over_several_roots_is_one_pass():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    z = y.sum()
    fg.autograd.backward([z, y], [fg.tensor(1.0), fg.tensor([1.0, 0.0])])
    assert x.grad.tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()
    w = x * 3
    fg.autograd.backward(w, fg.ones(2))
    assert x.grad.tolist() == [7.0, 7.0]


@pytest.mark.parametrize("name,fn,x,expected", [
    ("x ** 0 at 0", lambda x: x ** 0, [0.0, 2.0], [0.0, 0.0]),
    ("max over NaN", lambda x: x.max(), [1.0, float("nan"), 3.0], [0.0, 1.0, 0.0]),
    ("maximum with NaN", lambda x: fg.maximum(x, fg.zeros(2)).sum(), [1.0, float("nan")], [1.0, 1.0]),
    ("pow base 0", lambda x: (x ** 2).sum(), [0.0, -1.0], [0.0, -2.0]),
])
def test_gradient_edge_values_as_torch(name, fn, x, expected):
    t = fg.tensor(x, requires_grad=True)
    out = fn(t)
    out.backward(fg.ones(out.shape))
    assert t.grad.tolist() == expected


def test_zero_dim_tensors_take_dim_zero():
    x = fg.tensor(3.0, requires_grad=True)
    values, index = x.max(0)
    values.backward()
    assert x.grad.item() == 1.0 and index.item() == 0
    assert x.mean(0).item() == 3.0 and x.sum(-1).item() == 3.0 and x.squeeze(0).shape == ()


def test_cached_scalars_never_reach_the_user():
    i = fg.tensor(3.0).argmax(dim=0)
    i += 5
    assert (fg.tensor([1, 2, 3]) + 0).tolist() == [1, 2, 3]
    assert fg.tensor(2.0).max(dim=0).indices.item() == 0


def test_grad_accumulation_into_overlapping_or_broadcast_grads():
    g = fg.arange(9.0).reshape(3, 3)
    x = fg.zeros(3, 3, requires_grad=True)
    x.grad = g.clone()
    x.t().backward(g)
    assert x.grad.tolist() == [[0.0, 4.0, 8.0], [4.0, 8.0, 12.0], [8.0, 12.0, 16.0]]
    y = fg.zeros(3, requires_grad=True)
    y.grad = fg.zeros(1).expand(3)
    with pytest.raises(RuntimeError, match="single memory location"):
        (y * fg.tensor([1.0, 2.0, 3.0])).sum().backward()


def test_root_gradient_of_another_dtype_is_cast():
    x = fg.tensor([1.0, -1.0, 2.0], requires_grad=True)
    x.relu().backward(fg.tensor([1.0, 1.0, 1.0], dtype=fg.float64))
    assert x.grad.dtype is fg.float32 and x.grad.tolist() == [1.0, 0.0, 1.0]
