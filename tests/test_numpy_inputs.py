"""numpy arrays of every layout give the same results, and gradients, as their contiguous copies,
and are never written: read-only ones included (the C kernels write through raw pointers, which
numpy's writeable flag does not guard)."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn.functional as F


def _unaligned(a):
    """A copy of `a` whose data starts one byte past an aligned address."""
    raw = np.zeros(a.nbytes + 1, np.uint8)[1:]
    out = raw.view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def _read_only(a):
    a = a.copy()
    a.setflags(write=False)
    return a


def _record_field(a):
    """`a` as a field of a packed record array: strides not a multiple of the element size."""
    records = np.zeros(a.shape, np.dtype([("tag", np.uint8), ("value", a.dtype)]))
    records["value"] = a
    return records["value"]


LAYOUTS = {
    "C": lambda a: a.copy(),
    "Fortran": np.asfortranarray,
    "reversed": lambda a: np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1],
    "stepped": lambda a: np.repeat(np.repeat(a, 2, 0), 3, 1)[::2, ::3],
    "transposed": lambda a: np.ascontiguousarray(a.T).T,
    "unaligned": _unaligned,
    "read-only": _read_only,
    "broadcast": lambda a: np.broadcast_to(a[:1], a.shape),  # stride 0, read-only
    "read-only reversed view": lambda a: _read_only(np.ascontiguousarray(a[::-1]))[::-1],
    "record field": _record_field,
}

OPS = {
    "add": lambda x: x + 1.5,
    "mul self": lambda x: x * x,
    "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(),
    "sum": lambda x: x.sum(),
    "sum 0": lambda x: x.sum(0),
    "mean 1": lambda x: x.mean(1, keepdim=True),
    "max 1": lambda x: x.max(1)[0],
    "max 0": lambda x: x.max(0)[0],
    "min 0": lambda x: x.min(0)[0],
    "argmax 0": lambda x: x.gather(0, x.argmax(0, keepdim=True)),
    "cumsum": lambda x: x.cumsum(1),
    "mm": lambda x: x @ x.t(),
    "mm other side": lambda x: x.t() @ x,
    "mv": lambda x: fg.mv(x, x[0]),
    "dot": lambda x: fg.dot(x[:, 2], x[:, 3]),
    "softmax": lambda x: x.softmax(1),
    "log_softmax 0": lambda x: F.log_softmax(x, 0),
    "cross_entropy": lambda x: F.cross_entropy(x, fg.tensor([0, 5, 2, 1])),
    "index": lambda x: x[[2, 0, 2]],
    "slice": lambda x: x[1:, ::2],
    "reshape": lambda x: x.t().reshape(-1),
    "gather": lambda x: x.gather(1, fg.tensor([[0, 5], [1, 1], [2, 3], [4, 0]])),
    "where": lambda x: fg.where(x > 0.5, x, -x),
    "cat": lambda x: fg.cat([x, x * 2]),
    "relu": lambda x: F.relu(x - 1),
}


INTEGER_OPS = ["add", "mul self", "sum", "sum 0", "max 1", "max 0", "min 0", "argmax 0", "cumsum",
               "index", "slice", "reshape", "gather", "where", "cat"]


@pytest.fixture(scope="module")
def values():
    return np.random.default_rng(5).standard_normal((4, 6))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("op", list(OPS))
def test_every_layout_computes_as_its_contiguous_copy_and_is_never_written(values, layout, op, dtype):
    assert_as_contiguous_copy(LAYOUTS[layout](values.astype(dtype)), OPS[op])


def assert_as_contiguous_copy(array, op):
    """op on `array` gives the value and gradient it gives on a contiguous copy, and leaves
    the array (data, flags, strides) as it was."""
    before, flags = array.copy(), (array.flags.writeable, array.strides)
    x = fg.from_numpy(array).requires_grad_()
    out = op(x)
    out.backward(fg.ones_like(out))
    reference = fg.from_numpy(np.ascontiguousarray(array)).requires_grad_()
    expected = op(reference)
    expected.backward(fg.ones_like(expected))
    tolerance = 1e-6 if array.dtype == np.float64 else 3e-6  # sums may add in another order
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=tolerance,
                               atol=tolerance)
    np.testing.assert_allclose(x.grad.numpy(), reference.grad.numpy(), rtol=tolerance,
                               atol=tolerance)
    assert np.array_equal(array, before) and (array.flags.writeable, array.strides) == flags


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("op", INTEGER_OPS)
def test_every_layout_of_integers_computes_as_its_contiguous_copy(values, layout, op):
    array = LAYOUTS[layout]((values * 10).astype(np.int64))
    before = array.copy()
    got = OPS[op](fg.from_numpy(array))
    assert got.tolist() == OPS[op](fg.from_numpy(np.ascontiguousarray(array))).tolist()
    assert np.array_equal(array, before)


THREE_D = {
    "C": lambda a: a.copy(),
    "reversed": lambda a: np.ascontiguousarray(a[::-1, :, ::-1])[::-1, :, ::-1],
    "axes permuted": lambda a: np.ascontiguousarray(a.transpose(2, 0, 1)).transpose(1, 2, 0),
    "stepped": lambda a: np.repeat(a, 2, 1)[:, ::2],
    "unaligned": _unaligned,
    "record field": _record_field,
}
THREE_D_OPS = {
    "sum 1": lambda x: x.sum(1), "max 0": lambda x: x.max(0)[0], "min 2": lambda x: x.min(2)[0],
    "softmax 1": lambda x: x.softmax(1), "exp": lambda x: x.exp(), "cumsum 0": lambda x: x.cumsum(0),
    "bmm": lambda x: x @ x.transpose(1, 2), "mean 0 2": lambda x: x.mean((0, 2)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(THREE_D))
@pytest.mark.parametrize("op", list(THREE_D_OPS))
def test_three_dimensional_layouts_compute_as_their_contiguous_copies(layout, op, dtype):
    array = THREE_D[layout](np.random.default_rng(7).standard_normal((3, 5, 4)).astype(dtype))
    assert_as_contiguous_copy(array, THREE_D_OPS[op])


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_tensor_copies_every_layout_and_from_numpy_shares_it(values, layout, dtype):
    array = LAYOUTS[layout]((values * 3).astype(dtype))
    before = array.copy()
    copied, shared = fg.tensor(array), fg.from_numpy(array)
    assert copied.tolist() == shared.tolist() == array.tolist()
    assert np.shares_memory(shared.numpy(), array) and not np.shares_memory(copied.numpy(), array)
    assert np.array_equal(array, before)


@pytest.mark.parametrize("layout", ["read-only", "broadcast", "read-only reversed view"])
@pytest.mark.parametrize("write", [
    lambda t: t.add_(1), lambda t: t.mul_(fg.ones(6)), lambda t: t.zero_(), lambda t: t.fill_(2.0),
    lambda t: t.copy_(fg.zeros(4, 6)), lambda t: t.__setitem__((0, 0), 1.0),
    lambda t: t.__setitem__([1, 2], fg.zeros(6, dtype=fg.float64)), lambda t: t[1:].t().sub_(1),
    lambda t: t.scatter_add_(0, fg.tensor([[0, 1, 2, 3, 0, 1]]), fg.ones(1, 6)),
    lambda t: t.__iadd__(1), lambda t: t.__itruediv__(2),
])
def test_writes_into_read_only_arrays_raise_and_leave_them_intact(values, layout, write):
    array = LAYOUTS[layout](values)
    before = array.copy()
    t = fg.from_numpy(array)
    # a broadcast array (stride 0) may be refused first for its overlapping elements
    with pytest.raises(RuntimeError, match=r"the tensor's memory is read-only|single memory location"):
        write(t)
    assert np.array_equal(array, before)


@pytest.mark.parametrize("order", ["read-only first", "read-only last"])
def test_gradients_into_a_read_only_grad_raise_and_write_no_gradient(order):
    """A .grad the user set from a read-only array is accumulated into in place, as torch does,
    so that accumulation is refused, before any other leaf's .grad is written."""
    x, y = fg.ones(3, requires_grad=True), fg.ones(3, requires_grad=True)
    x.grad = fg.from_numpy(_read_only(np.zeros(3, np.float32)))
    y.grad = fg.ones(3)
    loss = (x * 2 + y).sum() if order == "read-only first" else (y + x * 2).sum()
    with pytest.raises(RuntimeError, match=r"backward\(\): cannot accumulate into the .grad of "
                                           r"a leaf of shape \(3,\): add_\(\).*read-only"):
        loss.backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and y.grad.tolist() == [1.0, 1.0, 1.0]
    x.grad = None  # the refusal came before the graph ran: it is still there
    loss.backward()
    assert x.grad.tolist() == [2.0] * 3 and y.grad.tolist() == [2.0] * 3


def test_backward_on_a_leaf_with_a_read_only_grad_raises_and_keeps_it():
    x = fg.ones(3, requires_grad=True)
    x.grad = fg.from_numpy(_read_only(np.zeros(3, np.float32)))
    with pytest.raises(RuntimeError, match="read-only"):
        x.backward(fg.ones(3))
    assert x.grad.tolist() == [0.0] * 3


def test_arrays_of_numpy_s_64_dimensions_work():
    shape = [1] * 61 + [2, 1, 3]
    array = np.arange(6.0).reshape(shape)
    x = fg.from_numpy(array).requires_grad_()
    y = (x.exp() * x).sum(dim=63)                       # bit 63 of the reduction mask
    assert y.shape == tuple(shape[:63])
    np.testing.assert_allclose(y.detach().numpy(), (np.exp(array) * array).sum(63))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(array) * (array + 1), rtol=1e-12)
