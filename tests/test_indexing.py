"""Advanced indexing, index_select, gather, scatter_add and index_put_ (x[idx] = v): gradients
against finite differences (gradcheck.py), second derivatives, values against the for-loop
references, and PyTorch's error messages. The comparisons with torch itself are in
test_indexing_vs_torch.py."""
import warnings

import numpy as np
import pytest

import fastgrad as fg
from gradcheck import gradcheck

import reference as ref

R = np.random.default_rng(2)
IDX = [[0, 2, 2, 1], [1, 1, 0, 2]]  # repeated entries: their gradients accumulate


def arr(*shape):
    return R.uniform(-2, 2, shape)


def idx(data):
    return fg.tensor(data, dtype=fg.int64)


GETITEM = {
    "list": (lambda x: x[[0, 2, 2]], arr(3, 4)),
    "rows_and_targets": (lambda x: x[range(3), idx([1, 3, 1])], arr(3, 4)),
    "columns": (lambda x: x[:, [1, 0, 1]], arr(3, 4)),
    "2d_index": (lambda x: x[idx(IDX)], arr(3, 4)),
    "negative": (lambda x: x[[-1, 0, -3]], arr(3, 4)),
    "mask": (lambda x: x[fg.tensor(np.arange(12).reshape(3, 4) % 3 == 0)], arr(3, 4)),
    "mask_rows": (lambda x: x[fg.tensor([True, False, True])], arr(3, 4)),
    "mask_after_slice": (lambda x: x[1:, fg.tensor([True, False, True, True])], arr(3, 4)),
    "separated": (lambda x: x[[0, 1], :, [2, 2]], arr(2, 3, 4)),
    "adjacent_inner": (lambda x: x[:, [2, 0], [1, 1]], arr(2, 3, 4)),
    "with_int_and_none": (lambda x: x[None, 1, [0, 2], None], arr(2, 3, 4)),
    "broadcast": (lambda x: x[[[0], [1]], [0, 3, 3]], arr(2, 4)),
    "ellipsis": (lambda x: x[..., [3, 3, 0]], arr(2, 3, 4)),
    "bool_scalar": (lambda x: x[True], arr(3,)),
    "transposed": (lambda x: x.t()[[1, 2], [0, 0]], arr(3, 4)),
}


@pytest.mark.parametrize("case", GETITEM)
def test_getitem_gradient(case):
    fn, data = GETITEM[case]
    gradcheck(fn, data)


def second_order_check(fn, data, eps=1e-6):
    """d/dx <grad_x <fn(x), u>, v> (through create_graph) against central differences of the
    first gradient grad_x <fn(x), u> (computed without create_graph)."""
    u = fg.tensor(R.uniform(0.5, 1.5, tuple(fn(fg.tensor(data)).shape)))

    def first(values, create_graph=False):
        x = fg.tensor(values, requires_grad=True)
        return x, fg.autograd.grad(fn(x), x, u, create_graph=create_graph)[0]
    v = R.uniform(0.5, 1.5, data.shape)
    x, g = first(data, create_graph=True)
    (h,) = fg.autograd.grad((g * fg.tensor(v)).sum(), x)
    numeric = np.zeros(data.shape)
    for i in np.ndindex(*data.shape):
        plus, minus = data.copy(), data.copy()
        plus[i] += eps
        minus[i] -= eps
        numeric[i] = np.sum(v * (first(plus)[1].numpy() - first(minus)[1].numpy())) / (2 * eps)
    np.testing.assert_allclose(h.numpy(), numeric, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case", ["list", "columns", "2d_index", "separated", "mask"])
def test_getitem_second_derivative(case):
    fn, data = GETITEM[case]
    second_order_check(lambda x: fn(x) ** 3, data)


def test_gather_index_select_scatter_add_gradients():
    index = idx([[0, 2, 2, 1], [1, 1, 0, 2]])
    gradcheck(lambda x: fg.gather(x, 0, idx([[0, 2, 2, 1], [1, 1, 0, 0]])), arr(3, 4))
    gradcheck(lambda x: x.gather(1, index[:, :3]), arr(2, 3))
    gradcheck(lambda x: fg.index_select(x, 1, idx([3, 0, 3])), arr(2, 4))
    gradcheck(lambda x: x.index_select(0, idx(1)), arr(2, 4))
    gradcheck(lambda x, s: fg.scatter_add(x, 1, index, s), arr(2, 3), arr(2, 4))
    gradcheck(lambda x, s: x.scatter_add(0, idx([[2, 2, 0]]), s), arr(3, 3), arr(2, 4))
    gradcheck(lambda x, s: (x * 1).scatter_add_(1, index, s), arr(2, 3), arr(2, 4))


def test_second_derivatives_of_gather_index_select_and_scatter_add():
    index = idx(IDX)
    second_order_check(lambda x: x.gather(1, index) ** 3, arr(2, 3))
    second_order_check(lambda x: x.index_select(1, idx([2, 2, 0])) ** 3, arr(2, 3))
    second_order_check(lambda s: fg.zeros(2, 3, dtype=fg.float64).scatter_add(1, index, s) ** 3,
                       arr(2, 4))


def test_index_put_gradients():
    def put(x, v):
        y = x * 1
        y[[0, 2], [1, 1]] = v
        y[y > 1.5] = 0.0
        return y
    gradcheck(put, arr(3, 4), arr(2))

    def put_view(x, v):
        y = x * 1
        z = y[1:]
        z[:, [2, 0]] = v  # through a view: recorded on y (CopySlices)
        return y
    gradcheck(put_view, arr(3, 4), arr(2, 1))


def test_values_match_the_loop_references():
    x = arr(3, 4, 5)
    t = fg.tensor(x)
    i, j = np.array([[2, 0], [1, 1]]), np.array([4, -5])
    got = t[:, idx(i), idx(j)]  # adjacent indexed axes: the index shape stands in their place
    assert got.shape == (3, 2, 2)
    for a in range(3):
        np.testing.assert_array_equal(got.numpy()[a], ref.gather(
            x[a].reshape(-1), 0, ref.flat_index([i, j], [4, 5]).reshape(-1)).reshape(2, 2))
    got = t[idx(i), :, idx(j)]  # separated: the index shape comes first
    assert got.shape == (2, 2, 4)
    want = ref.gather(np.moveaxis(x, 1, -1).reshape(15, 4), 0,
                      np.broadcast_to(ref.flat_index([i, j], [3, 5]).reshape(4, 1), (4, 4)))
    np.testing.assert_array_equal(got.numpy(), want.reshape(2, 2, 4))
    mask = x > 0
    positions = ref.flat_index(list(ref.nonzero(mask).T), x.shape)
    np.testing.assert_array_equal(t[fg.tensor(mask)].numpy(), ref.gather(x.reshape(-1), 0, positions))


def test_advanced_indexing_copies_and_setitem_writes():
    x = fg.arange(12.0).reshape(3, 4)
    y = x[[0, 1]]
    y[0, 0] = 100.0
    assert x[0, 0].item() == 0.0  # a copy, not a view
    x[x > 8] = -1.0
    x[[0, 0], [1, 2]] = fg.tensor([5.0, 6.0])
    x[:, [3]] = fg.tensor([[7.0], [8.0], [9.0]])
    x[[1]] = 2.5  # broadcast over the row
    assert x.tolist() == [[0.0, 5.0, 6.0, 7.0], [2.5] * 4, [8.0, -1.0, -1.0, 9.0]]
    b = fg.zeros(2, 3, dtype=fg.bool)
    b[[1], [2]] = True
    assert b.tolist() == [[False] * 3, [False, False, True]]
    n = fg.zeros(4, dtype=fg.int64)
    n[[0, 3]] = 2.7  # a number takes the tensor's dtype
    assert n.tolist() == [2, 0, 0, 2]


def test_setitem_through_non_mergeable_axes():
    x = fg.zeros(2, 3, 4)
    x[[0, 1], :, [3, 0]] = fg.tensor([[1.0], [2.0]])  # separated axes: written through a copy
    assert x[0, :, 3].tolist() == [1.0] * 3 and x[1, :, 0].tolist() == [2.0] * 3
    assert x.sum().item() == 9.0


def test_scatter_add_in_place_and_repeats():
    x = fg.zeros(3)
    out = x.scatter_add_(0, idx([0, 2, 2, 2]), fg.tensor([1.0, 2.0, 3.0, 4.0]))
    assert out is x and x.tolist() == [1.0, 0.0, 9.0]


def test_nonzero():
    x = fg.tensor([[0.0, 1.5], [-2.0, 0.0]])
    assert fg.nonzero(x).tolist() == ref.nonzero(x.numpy()).tolist()
    assert x.nonzero().dtype is fg.int64


ERRORS = [
    (lambda x: x[[3]], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x[:, [-5]], IndexError, "index -5 is out of bounds for dimension 0 with size 4"),
    (lambda x: x[[0, 1], [2, 4]], IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: fg.zeros(0, 2)[[0]], IndexError, "index is out of bounds for dimension with size 0"),
    (lambda x: x[[0, 1], [0, 1, 2]], IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"),
    (lambda x: x[fg.tensor([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] at index 0"),
    (lambda x: x[fg.tensor([0.0])], IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
    (lambda x: x[[0], [0], [0]], IndexError, "too many indices for tensor of dimension 2"),
    (lambda x: x[1.5], IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or "
                                   "byte Variables are valid indices (got float)"),
    (lambda x: x.gather(1, idx([[4]])), RuntimeError, "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, idx([[-1]])), RuntimeError, "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, idx([0])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda x: x.gather(1, idx([[0]] * 4)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 4] "
     "apart from dimension 1"),
    (lambda x: x.gather(1, fg.tensor([[0.0]])), RuntimeError, "gather(): Expected dtype int32/int64 for index"),
    (lambda x: x.index_select(0, idx([3])), IndexError,
     "index_select(): index out of range in self (index 3, dimension 0 of size 3)"),
    (lambda x: x.index_select(1, idx([7])), RuntimeError,
     "index_select(): INDICES element is out of DATA bounds, id=7 axis_dim=4"),
    (lambda x: x.index_select(1, idx([[1]])), IndexError, "index_select(): Index is supposed to be a vector"),
    (lambda x: x.scatter_add(0, idx([[3]]), x), RuntimeError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.scatter_add(0, idx([[0, 1]]), x[:1, :1]), RuntimeError,
     "Expected index [1, 2] to be no larger than self [3, 4] apart from dimension 0 and to be no "
     "larger size than src [1, 1]"),
    (lambda x: x.scatter_add(0, idx([[0]]), x.double()), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors(fn, exc, message):
    x = fg.zeros(3, 4)
    with pytest.raises(exc) as info:
        fn(x)
    assert str(info.value) == message
    assert x.tolist() == [[0.0] * 4] * 3  # nothing written


SETITEM_ERRORS = [
    ([0], fg.tensor([1.0, 2.0]), RuntimeError,
     "shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of shape [1, 4]"),
    ([0], fg.tensor([1, 2, 3, 4]), RuntimeError, "Index put requires the source and destination dtypes "
                                                 "match, got Float for the destination and Long for the source."),
    ([[0, 1], [2, 4]], 1.0, IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
]


@pytest.mark.parametrize("key,value,exc,message", SETITEM_ERRORS)
def test_setitem_errors(key, value, exc, message):
    x = fg.zeros(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # [[0, 1], [2, 4]] is read as a tuple, with a warning
        with pytest.raises(exc) as info:
            x[key] = value
    assert str(info.value) == message
    assert x.tolist() == [[0.0] * 4] * 3


def test_setitem_on_a_leaf_that_requires_grad():
    x = fg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        x[[0]] = 1.0


def test_list_of_lists_is_a_tuple_with_torchs_warning():
    x = fg.arange(6.0).reshape(2, 3)
    with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
        y = x[[[0, 1], [2, 0]]]
    assert y.tolist() == [2.0, 3.0]


def test_scatter_add_checks_sizes_of_0d_operands():
    """index no larger than src, a 0-d tensor counting as one element: never read past src."""
    with pytest.raises(RuntimeError, match=r"no larger size than src \[2\]"):
        fg.tensor(2.0).scatter_add(0, fg.tensor([0, 0, 0]), fg.tensor([5.0, 6.0, 100.0])[:2])
    with pytest.raises(RuntimeError, match=r"no larger size than src \[\]"):
        fg.zeros(3).scatter_add(0, fg.tensor([0, 0]), fg.tensor(5.0))
    assert fg.tensor(2.0).scatter_add(0, fg.tensor([0]), fg.tensor([5.0])).item() == 7.0


def test_tuple_inside_a_key_is_an_index_list():
    x = fg.arange(12.0).reshape(3, 4)
    assert x[:, (0, 2)].tolist() == [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]
    x[:, (0, 2)] = 0.0
    assert x[0].tolist() == [0.0, 1.0, 0.0, 3.0]


def test_index_put_from_an_overlapping_source_raises():
    x = fg.arange(5.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[[0, 1]] = x[1:3]
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_unaligned_index_and_data():
    rec = np.zeros(3, dtype=[("a", "u1"), ("i", "<i8"), ("f", "<f8")])
    rec["i"], rec["f"] = [2, 0, 1], [1.0, 2.0, 3.0]
    idx, x = fg.from_numpy(rec["i"]), fg.from_numpy(rec["f"])
    assert x.gather(0, idx).tolist() == [3.0, 1.0, 2.0]
    assert fg.arange(3.0)[idx].tolist() == [2.0, 0.0, 1.0]
    assert x.nonzero().flatten().tolist() == [0, 1, 2]
    x[fg.tensor([0])] = 9.0
    assert rec["f"].tolist() == [9.0, 2.0, 3.0] and rec["i"].tolist() == [2, 0, 1]
