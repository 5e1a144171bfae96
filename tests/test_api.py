"""The PyTorch-facing surface: creation, dtypes and promotion, shapes, indexing, conversions,
printing and error messages."""
import numpy as np
import pytest

import fastgrad as fg


@pytest.mark.parametrize("data,dtype", [
    (1, fg.int64), (1.5, fg.float32), (True, fg.bool), ([1, 2], fg.int64), ([1.0, 2], fg.float32),
    ([[True], [False]], fg.bool), (np.array([1.0]), fg.float64), (np.array([1], np.int64), fg.int64),
    (np.float32(2.0), fg.float32),
])
def test_tensor_infers_dtype(data, dtype):
    assert fg.tensor(data).dtype is dtype


@pytest.mark.parametrize("a,b,dtype", [
    (fg.tensor([1, 2]), fg.tensor([1.0, 2.0]), fg.float32),
    (fg.tensor([1, 2]), 2.5, fg.float32),
    (fg.tensor([1.0], dtype=fg.float32), fg.tensor(2.0, dtype=fg.float64), fg.float32),
    (fg.tensor([1], dtype=fg.int64), fg.tensor(2.0, dtype=fg.float64), fg.float64),
    (fg.tensor([1.0], dtype=fg.float32), fg.tensor([2.0], dtype=fg.float64), fg.float64),
    (fg.tensor([True]), 1, fg.int64),
    (fg.tensor([1, 2]), 3, fg.int64),
])
def test_promotion(a, b, dtype):
    assert (a + b).dtype is dtype
    assert (b * a).dtype is dtype


def test_int_division_makes_float32():
    q = fg.tensor([1, 2]) / fg.tensor([2, 4])
    assert q.dtype is fg.float32 and q.tolist() == [0.5, 0.5]
    assert (fg.tensor([3]) ** 2).dtype is fg.int64
    assert fg.exp(fg.tensor([0])).dtype is fg.float32


def test_creation_functions():
    assert fg.zeros(2, 3).shape == (2, 3) and fg.zeros((2, 3)).tolist() == [[0.0] * 3] * 2
    assert fg.ones(2, dtype=fg.int64).tolist() == [1, 1]
    assert fg.full((2,), 7).dtype is fg.int64 and fg.full((2,), 7.0).tolist() == [7.0, 7.0]
    x = fg.arange(6.0).reshape(2, 3)
    assert fg.zeros_like(x).shape == (2, 3) and fg.ones_like(x).dtype is fg.float32
    assert fg.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert fg.arange(5).dtype is fg.int64
    fg.manual_seed(0)
    a = fg.randn(3, 4)
    fg.manual_seed(0)
    assert fg.randn(3, 4).tolist() == a.tolist()
    assert 0 <= fg.rand(100).min().item() and fg.rand(100).max().item() < 1
    n = fg.normal(5.0, 0.1, size=(1000,))
    assert abs(n.mean().item() - 5.0) < 0.05
    assert fg.randn(2, dtype=fg.float64).dtype is fg.float64


def test_from_numpy_shares_memory_and_asarray_works():
    a = np.arange(6.0).reshape(2, 3)
    t = fg.from_numpy(a)
    t[0, 0] = 100.0
    assert a[0, 0] == 100.0
    assert np.asarray(t) is a or np.shares_memory(np.asarray(t), a)
    assert np.shares_memory(t.numpy(), a)
    b = fg.tensor(a)
    b[0, 0] = 1.0
    assert a[0, 0] == 100.0


def test_shape_ops():
    x = fg.arange(24).reshape(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, fg.Size) and x.size() == (2, 3, 4)
    assert x.size(1) == 3 and x.size(-1) == 4 and x.ndim == 3 and x.numel() == 24 and len(x) == 2
    assert x.view(-1, 4).shape == (6, 4) and x.reshape(4, -1).shape == (4, 6)
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.permute(1, 2, 0).shape == (3, 4, 2)
    assert x.T.shape == (4, 3, 2) and x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert fg.zeros(1, 3, 1).squeeze().shape == (3,) and fg.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert x.transpose(0, 1).reshape(-1).tolist() == np.arange(24).reshape(2, 3, 4).transpose(1, 0, 2).ravel().tolist()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.transpose(0, 1).view(-1)
    with pytest.raises(RuntimeError, match="invalid for input of size 24"):
        x.reshape(5, -1)


def test_indexing():
    A = fg.arange(20).reshape(5, 4)
    assert A[1].tolist() == [4, 5, 6, 7]
    assert A[:, 1].tolist() == [1, 5, 9, 13, 17]
    assert A[1, 2].item() == 6 and A[-1, -1].item() == 19
    assert A[:, 1:3].tolist() == [[1, 2], [5, 6], [9, 10], [13, 14], [17, 18]]
    assert A[::2, ::3].tolist() == [[0, 3], [8, 11], [16, 19]]
    assert A[None].shape == (1, 5, 4) and A[..., 0].shape == (5,)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 5"):
        A[5]
    with pytest.raises(IndexError, match="too many indices"):
        A[1, 2, 3]


def test_setitem_and_inplace_arithmetic():
    x = fg.zeros(3, 4)
    x[1] = 5.0
    x[:, 0] = fg.tensor([1.0, 2.0, 3.0])
    x += 1
    x *= fg.tensor([1.0, 2.0, 1.0, 1.0])
    x /= 2
    x -= 0.5
    assert x.tolist() == [[0.5, 0.5, 0.0, 0.0], [1.0, 5.5, 2.5, 2.5], [1.5, 0.5, 0.0, 0.0]]
    y = fg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        y += 0.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        fg.zeros(3).add_(fg.ones(2, 3))
    z = fg.zeros(2)
    z.copy_(fg.tensor([1, 2]))
    assert z.tolist() == [1.0, 2.0] and z.dtype is fg.float32


def test_inplace_arithmetic_outside_a_graph_writes_into_the_tensor():
    """p -= lr * g under no_grad: one kernel into p's memory; the views and the version
    counter see it. An operand sharing part of the target's memory is refused, as torch."""
    p = fg.arange(6.0, requires_grad=True)
    view, version = p[2:4], p._version[0]
    address = p.data_ptr() if hasattr(p, "data_ptr") else None
    with fg.no_grad():
        p -= 0.5 * fg.ones(6)
        p.mul_(fg.tensor([2.0, 1.0, 1.0, 1.0, 1.0, 1.0]))
        p.add_(fg.tensor(1.0))
    assert p.tolist() == [0.0, 1.5, 2.5, 3.5, 4.5, 5.5] and view.tolist() == [2.5, 3.5]
    assert p._version[0] == version + 3 and (address is None or p.data_ptr() == address)
    x = fg.arange(4.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:] += x[:-1]
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x += x[0]
    x[:2] += x[2:]
    x.mul_(x)  # the same memory exactly: each element read, then written
    assert x.tolist() == [4.0, 16.0, 4.0, 9.0]


def test_clamp_in_place():
    x = fg.tensor([-2.0, 0.5, 3.0])
    version = x._version[0]
    assert x.clamp_(0, 1) is x and x.tolist() == [0.0, 0.5, 1.0] and x._version[0] > version
    assert fg.tensor([5.0]).clip_(max=2).tolist() == [2.0]
    w = fg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.clamp_(0, 1)
    h = w * 3  # recorded: ClampBackward1 on the intermediate, as torch
    h.clamp_(max=2)
    h.backward()
    assert h.tolist() == [2.0] and w.grad.tolist() == [0.0]


def test_conversions():
    x = fg.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.double().dtype is fg.float64
    assert x.long().float().tolist() == [1.0, -2.0] and x.to(fg.float64).dtype is fg.float64
    assert float(fg.tensor([2.5])) == 2.5 and int(fg.tensor(3)) == 3 and bool(fg.tensor([1]))
    assert fg.tensor(2.5).item() == 2.5 and isinstance(fg.tensor(3).item(), int)
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(fg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        fg.tensor([1, 2]).item()
    with pytest.raises(RuntimeError, match="Use tensor.detach"):
        fg.ones(2, requires_grad=True).numpy()


def test_reductions_api():
    A = fg.arange(12.0).reshape(3, 4)
    assert A.sum(dim=1, keepdim=True).shape == (3, 1) and A.sum(axis=0, keepdims=True).shape == (1, 4)
    assert A.max().item() == 11 and A.min().item() == 0
    values, indices = A.max(dim=1)
    assert values.tolist() == [3.0, 7.0, 11.0] and indices.tolist() == [3, 3, 3]
    assert A.max(1).values.tolist() == [3.0, 7.0, 11.0] and A.min(axis=0).indices.tolist() == [0] * 4
    assert fg.max(A, fg.full((3, 4), 5.0)).tolist()[0] == [5.0] * 4
    assert A.argmax().item() == 11 and A.argmax(dim=0).tolist() == [2, 2, 2, 2]
    assert fg.argmax(A, dim=1, keepdim=True).shape == (3, 1)
    assert A.cumsum(dim=1)[0].tolist() == [0.0, 1.0, 3.0, 6.0]
    assert A.mean(dim=[0, 1]).item() == 5.5
    assert A.norm().item() == pytest.approx(np.sqrt(sum(i * i for i in range(12))), rel=1e-6)
    with pytest.raises(RuntimeError, match="floating point"):
        fg.arange(3).mean()
    with pytest.raises(IndexError, match="Dimension out of range"):
        A.sum(dim=2)
    with pytest.raises(RuntimeError, match="numel"):
        fg.zeros(0).max()


def test_stack_cat_where():
    a, b = fg.tensor([1.0, 2.0]), fg.tensor([3.0, 4.0])
    assert fg.stack([a, b]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert fg.stack([a, b], dim=1).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert fg.cat([a, b]).tolist() == [1.0, 2.0, 3.0, 4.0]
    assert fg.where(a > 1, a, 0.0).tolist() == [0.0, 2.0]
    with pytest.raises(RuntimeError, match="compatible shapes"):
        fg.stack([a, fg.ones(3)])


def test_threads_setting():
    n = fg.get_num_threads()
    fg.set_num_threads(1)
    assert fg.get_num_threads() == 1
    a = fg.randn(300, 300)
    single = (a @ a).numpy().copy()
    fg.set_num_threads(max(n, 2))
    assert np.allclose((a @ a).numpy(), single, rtol=1e-5, atol=1e-4)
    fg.set_num_threads(n)


@pytest.mark.parametrize("make,text", [
    (lambda: fg.tensor([0.1, 2.5]), "tensor([0.1000, 2.5000])"),
    (lambda: fg.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: fg.tensor([1.0, float("nan"), float("inf")]), "tensor([1., nan, inf])"),
    (lambda: fg.tensor([True, False]), "tensor([ True, False])"),
    (lambda: fg.tensor([], dtype=fg.float64), "tensor([], dtype=torch.float64)"),
    (lambda: fg.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: fg.tensor(3.25, dtype=fg.float64), "tensor(3.2500, dtype=torch.float64)"),
    (lambda: fg.arange(2000).reshape(2, 1000)[:, :4], "tensor([[   0,    1,    2,    3],\n        [1000, 1001, 1002, 1003]])"),
    (lambda: fg.ones(1001, dtype=fg.int64), "tensor([1, 1, 1,  ..., 1, 1, 1])"),
])
def test_repr(make, text):
    assert repr(make()) == text


def test_dtype_and_size_print_as_torch():
    assert repr(fg.float32) == "torch.float32" and repr(fg.int64) == "torch.int64"
    assert repr(fg.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert fg.float is fg.float32 and fg.double is fg.float64 and fg.long is fg.int64


def test_assignment_errors_as_torch():
    x = fg.zeros(3)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        x[...] = fg.arange(6.0).reshape(2, 3)
    y = fg.arange(6.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        y[1:] = y[:-1]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        fg.zeros(2).expand(3, 2).add_(1)
    with pytest.raises(RuntimeError, match="read-only"):
        ro = np.zeros(3)
        ro.setflags(write=False)
        fg.from_numpy(ro).fill_(1)
    with pytest.raises(RuntimeError, match="leading, non-existing dimension"):
        fg.ones(3).expand(-1, 3)


def test_copy_casts_and_int_targets_stay_integers():
    i = fg.zeros(3, dtype=fg.int64)
    i.copy_(fg.tensor([1.5, -2.5, 3.0]))
    assert i.tolist() == [1, -2, 3]
    i[0] = fg.tensor(7.0, requires_grad=True)
    assert i.tolist() == [7, -2, 3] and not i.requires_grad


def test_numpy_array_copy_semantics():
    t = fg.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 5.0
    assert t.tolist() == [1.0, 2.0]
    b = np.asarray(t)
    b[0] = 5.0
    assert t.tolist() == [5.0, 2.0]


def test_pickle_round_trip():
    import pickle
    for t in (fg.tensor([True, False]), fg.arange(4.0, requires_grad=True), fg.tensor([[1, 2]])):
        back = pickle.loads(pickle.dumps(t))
        assert back.tolist() == t.tolist() and back.dtype is t.dtype
        assert back.requires_grad == t.requires_grad
    assert pickle.loads(pickle.dumps(fg.float64)) is fg.float64


def test_int64_values_are_exact():
    big = 2 ** 53 + 1
    assert fg.full((1,), big, dtype=fg.int64).item() == big
    assert fg.zeros(1, dtype=fg.int64).fill_(2 ** 60 + 1).item() == 2 ** 60 + 1
    assert fg.arange(2 ** 53, 2 ** 53 + 4).tolist() == [2 ** 53 + i for i in range(4)]
    assert (fg.tensor([2 ** 63 - 1]) + 1).item() == -2 ** 63  # wraps, as torch
    assert (fg.tensor([3]) ** 39).item() == 3 ** 39


def test_mean_divides_as_torch():
    assert fg.tensor([5.0, 0.0, 0.0]).mean().item() == np.float32(np.float32(5.0) / np.float32(3.0))


def test_sign_of_nan_is_zero():
    assert fg.tensor([float("nan"), -2.0, 0.0]).sign().tolist() == [0.0, -1.0, 0.0]


def test_thread_count_is_global():
    import threading
    n = fg.get_num_threads()
    fg.set_num_threads(1)
    seen = []
    t = threading.Thread(target=lambda: seen.append(fg.get_num_threads()))
    t.start()
    t.join()
    fg.set_num_threads(n)
    assert seen == [1]


def test_unaligned_record_fields_are_read_and_written_correctly():
    # a packed record puts the float64 field at byte offset 4 with a 12-byte stride
    rec = np.zeros(6, dtype=np.dtype([("b", np.int32), ("a", np.float64)], align=False))
    rec["a"] = np.arange(6.0)
    a = fg.from_numpy(rec["a"])
    assert not rec["a"].flags.aligned
    assert (a * 2 + 1).tolist() == [1.0, 3.0, 5.0, 7.0, 9.0, 11.0]
    assert a.sum().item() == 15.0
    assert fg.mm(a.reshape(2, 3), a.reshape(3, 2)).tolist() == [[10.0, 13.0], [28.0, 40.0]]
    a.fill_(7.0)
    assert rec["a"].tolist() == [7.0] * 6 and rec["b"].tolist() == [0] * 6


def test_products_of_record_fields():
    rec = np.zeros(4, dtype=[("a", np.float64), ("b", np.int32)])
    rec["a"] = [1.0, 2.0, 3.0, 4.0]
    a = fg.from_numpy(rec["a"])
    assert fg.dot(a, a).item() == 30.0


# ---- fastgrad.nn.functional errors ------------------------------------------------------------
def test_nn_functional_errors_name_the_op_and_shapes():
    import fastgrad.nn.functional as F
    x = fg.zeros(3, 5)
    with pytest.raises(IndexError, match=r"^cross_entropy\(\): Target 7 is out of bounds "):
        F.cross_entropy(x, fg.tensor([1, 7, 9]))
    with pytest.raises(ValueError, match=r"batch_size \(3\) to match target batch_size \(2\)\. "
                                         r"\(input of shape \(3, 5\), target of shape \(2,\)\)"):
        F.cross_entropy(x, fg.tensor([1, 0]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 3\], got \[2, 4\] \(input "
                                           r"of shape \(2, 5, 3\), target of shape \(2, 4\)\)"):
        F.cross_entropy(fg.zeros(2, 5, 3), fg.zeros(2, 4, dtype=fg.int64))
    with pytest.raises(RuntimeError, match=r"class probabilities, got Long"):  # shapes equal
        F.cross_entropy(fg.tensor(1.0), fg.tensor(0))
    with pytest.raises(RuntimeError, match=r"target dtype to be torch.int64.*torch.bool"):
        F.cross_entropy(x, fg.tensor([True, False, True]))
    with pytest.raises(NotImplementedError, match="not implemented for dtype torch.int64"):
        F.cross_entropy(fg.zeros(3, 5, dtype=fg.int64), fg.tensor([1, 0, 2]))
    with pytest.raises(TypeError, match=r"cross_entropy\(\): argument 'target' must be Tensor"):
        F.cross_entropy(x, [1, 0, 2])
    with pytest.raises(NotImplementedError, match=r"softmax\(\): not implemented for dtype torch.int64"):
        fg.softmax(fg.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match=r"log_softmax\(\): Dimension out of range \(expected to "
                                         r"be in range of \[-2, 1\], but got 2\)"):
        x.log_softmax(2)
    with pytest.raises(NotImplementedError, match=r"mse_loss\(\): not implemented for dtype torch.int64"):
        F.mse_loss(fg.tensor([1, 2]), fg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"mse_loss: .*\(shapes \(3, 5\) and \(4, 5\)\)"), \
            pytest.warns(UserWarning, match=r"target size \(torch.Size\(\[4, 5\]\)\)"):
        F.mse_loss(x, fg.zeros(4, 5))
    with pytest.raises(ValueError, match="^sum_all is not a valid value for reduction$"):
        F.mse_loss(x, x, reduction="sum_all")
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(fg.zeros(3, requires_grad=True), inplace=True)


def test_nn_functional_is_reachable_as_in_torch():
    import fastgrad.nn.functional as F
    x = fg.tensor([[1.0, 2.0], [3.0, 5.0]])
    assert F.softmax(x, 1).tolist() == fg.softmax(x, 1).tolist() == x.softmax(1).tolist()
    assert F.log_softmax(x, 0).tolist() == fg.log_softmax(x, 0).tolist() == x.log_softmax(0).tolist()
    assert F.relu(x - 2).tolist() == fg.relu(x - 2).tolist() and F.sigmoid(x).tolist() == fg.sigmoid(x).tolist()
    assert fg.nn.functional is F


def test_stack_of_0d_tensors():
    x = fg.tensor(2.0)
    assert fg.stack([x * x, x + 1]).tolist() == [4.0, 3.0]


def test_numbers_beyond_float32_become_inf_without_a_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (fg.ones(2) * 1e300).tolist() == [float("inf")] * 2
        assert (fg.ones(1, dtype=fg.int64) * -1e300).tolist() == [float("-inf")]


def test_integer_powers_with_negative_tensor_exponents_give_torch_s_values():
    """torch refuses only int_tensor ** negative Python int; tensor exponents compute."""
    assert (fg.tensor([2, 3, 1, -1]) ** fg.tensor([1, -1, -2, -3])).tolist() == [2, 0, 1, -1]
    assert (2 ** fg.tensor([-1, 2])).tolist() == [0, 4]


def test_integers_beyond_int64_make_floats_where_torch_does():
    assert fg.tensor([1.0, 2**70]).tolist() == [1.0, float(2**70)]
    for big in (2**63, 2**70):
        t = fg.tensor([big], dtype=fg.float64)
        assert t.dtype is fg.float64 and t.tolist() == [float(big)]
    assert fg.tensor([[1, 2**64]], dtype=fg.float32).tolist() == [[1.0, float(2**64)]]
