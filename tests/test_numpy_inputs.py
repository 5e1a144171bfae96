"""numpy arrays of every layout give the same results, and gradients, as their contiguous copies,
and are never written: read-only ones included (the C kernels write through raw pointers, which
numpy's writeable flag does not guard)."""
import numpy as np
import pytest

import fastgrad as fg
from ops_db import CASES, inputs


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


def _reversed(a):
    """Negative strides on every axis."""
    r = (slice(None, None, -1),) * a.ndim
    return np.ascontiguousarray(a[r])[r]


def _stepped(a):
    """Every other element along the first axis, every third along the second."""
    if a.ndim == 0:
        return a.copy()
    big, key = np.repeat(a, 2, 0), (slice(None, None, 2),)
    if a.ndim >= 2:
        big, key = np.repeat(big, 3, 1), key + (slice(None, None, 3),)
    return big[key]


def _axes_rolled(a):
    """Contiguous in another order of the axes."""
    if a.ndim < 2:
        return a.copy()
    order = tuple(range(1, a.ndim)) + (0,)
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


LAYOUTS = {
    "C": lambda a: a.copy(),
    "Fortran": np.asfortranarray,
    "reversed": _reversed,
    "stepped": _stepped,
    "transposed": lambda a: np.ascontiguousarray(a.T).T,
    "axes rolled": _axes_rolled,
    "unaligned": _unaligned,
    "read-only": _read_only,
    "broadcast": lambda a: np.broadcast_to(a[:1], a.shape) if a.ndim else a,  # stride 0
    "read-only reversed view":
        lambda a: _read_only(np.ascontiguousarray(a[::-1]))[::-1] if a.ndim else _read_only(a),
    "record field": _record_field,
}


@pytest.fixture(scope="module")
def values():
    return np.random.default_rng(5).standard_normal((4, 6))


# Every case of the op database in every dtype it takes.
WITH_DTYPES = [(case, dtype) for case in CASES if case.any_layout for dtype in case.dtypes]


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("case,dtype", WITH_DTYPES, ids=[f"{c.name}-{d}" for c, d in WITH_DTYPES])
def test_every_layout_computes_as_its_contiguous_copy_and_is_never_written(case, dtype, layout):
    assert_as_contiguous_copy(case, [LAYOUTS[layout](a) for a in inputs(case, 1, dtype)])


def assert_as_contiguous_copy(case, arrays):
    """The case on `arrays` gives the values and gradients it gives on contiguous copies, and
    leaves the arrays (data, flags, strides) as they were."""
    before = [(a.copy(), a.flags.writeable, a.strides) for a in arrays]
    grad = case.grad and arrays[0].dtype.kind == "f"
    xs = [fg.from_numpy(a).requires_grad_(grad) for a in arrays]
    refs = [fg.from_numpy(np.ascontiguousarray(a)).requires_grad_(grad) for a in arrays]
    out, expected = case.fn(fg, *xs), case.fn(fg, *refs)
    tolerance = 1e-6 if arrays[0].dtype == np.float64 else 3e-6  # sums may add in another order
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=tolerance,
                               atol=tolerance)
    if grad:
        out.backward(fg.ones_like(out))
        expected.backward(fg.ones_like(expected))
        for x, ref in zip(xs, refs):
            np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=tolerance,
                                       atol=tolerance)
    for a, (data, writeable, strides) in zip(arrays, before):
        assert np.array_equal(a, data) and (a.flags.writeable, a.strides) == (writeable, strides)


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
