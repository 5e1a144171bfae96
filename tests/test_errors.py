"""Bad input raises a Python exception that names the op and the offending shapes, dtypes or
values, and leaves every tensor involved as it was: data, version, requires_grad, grad."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn.functional as F
from fastgrad._fastgrad_c import ffi, lib


def state(t):
    grad = None if t.grad is None else t.grad.detach().numpy().copy()
    return (t.detach().numpy().copy(), t._version[0], t.requires_grad, grad, t.grad_fn,
            tuple(t.shape))


def assert_unchanged(tensors, before):
    for t, (data, version, requires_grad, grad, grad_fn, shape) in zip(tensors, before):
        now = state(t)
        np.testing.assert_array_equal(now[0], data)
        assert now[1:3] == (version, requires_grad) and now[4:] == (grad_fn, shape)
        assert (now[3] is None) == (grad is None)
        if grad is not None:
            np.testing.assert_array_equal(now[3], grad)


def leaf(*shape, dtype=fg.float32):
    return fg.arange(float(np.prod(shape)), dtype=dtype).reshape(*shape).requires_grad_(dtype.is_floating_point)


def read_only(array):
    array.setflags(write=False)
    return fg.from_numpy(array)


def no_grad_view(t):
    with fg.no_grad():
        return t[:2]


def ints(*values):
    return fg.tensor(values, dtype=fg.int64)


# (id, exception, message pattern, tensors, call): call(*tensors) must raise.
CASES = [
    # products that cannot be multiplied
    ("mm", RuntimeError, r"mm\(\): mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)",
     lambda: (leaf(2, 3), leaf(4, 5)), fg.mm),
    ("mm 1-d", RuntimeError, r"mm\(\).*2D.*\(3,\)", lambda: (leaf(3), leaf(3, 2)), fg.mm),
    ("mm dtypes", RuntimeError, r"mm\(\).*same dtype.*torch.int64 and torch.float32",
     lambda: (fg.ones(2, 2, dtype=fg.int64), leaf(2, 2)), fg.mm),
    ("mv", RuntimeError, r"mv\(\).*\(3, 4\).*\(5,\)", lambda: (leaf(3, 4), leaf(5)), fg.mv),
    ("mv 2-d vector", RuntimeError, r"mv\(\).*1D.*\(4, 1\)", lambda: (leaf(3, 4), leaf(4, 1)), fg.mv),
    ("dot", RuntimeError, r"dot\(\).*\(3,\) and \(4,\)", lambda: (leaf(3), leaf(4)), fg.dot),
    ("dot 2-d", RuntimeError, r"dot\(\).*1D.*\(3, 1\)", lambda: (leaf(3, 1), leaf(3, 1)), fg.dot),
    ("matmul", RuntimeError, r"matmul\(\).*\(2, 3, 4\) and \(5, 6\).*\(3x4 and 5x6\)",
     lambda: (leaf(2, 3, 4), leaf(5, 6)), fg.matmul),
    ("matmul batch", RuntimeError, r"matmul\(\).*batch.*\(2, 3, 4\) and \(3, 4, 6\)",
     lambda: (leaf(2, 3, 4), leaf(3, 4, 6)), fg.matmul),
    ("matmul 0-d", RuntimeError, r"matmul\(\).*\(\) and \(3,\)", lambda: (leaf(), leaf(3)), fg.matmul),
    ("@", RuntimeError, r"mm\(\).*\(2x3 and 2x3\)", lambda: (leaf(2, 3), leaf(2, 3)),
     lambda a, b: a @ b),
    # shapes that do not broadcast
    ("add", RuntimeError, r"add: .*\(3\).*\(4\).*\(3,\) and \(4,\)", lambda: (leaf(3), leaf(4)),
     lambda a, b: a + b),
    ("mul 2-d", RuntimeError, r"mul: .*\(2, 3\) and \(3, 2\)", lambda: (leaf(2, 3), leaf(3, 2)),
     lambda a, b: a * b),
    ("pow", RuntimeError, r"pow: .*\(2,\) and \(3,\)", lambda: (leaf(2), leaf(3)), lambda a, b: a ** b),
    ("where", RuntimeError, r"where: .*\(2,\) and \(3,\)",
     lambda: (fg.tensor([True, False]), leaf(2), leaf(3)), fg.where),
    ("expand", RuntimeError, r"size \(2\) at .* dimension 0.  Target sizes: \[4, 3\].  Tensor sizes: "
     r"\[2, 3\]", lambda: (leaf(2, 3),),
     lambda a: a.expand(4, 3)),
    ("add_ into a smaller tensor", RuntimeError, r"add_\(\).*\[3\].*\[2, 3\]",
     lambda: (fg.zeros(3), fg.ones(2, 3)), lambda a, b: a.add_(b)),
    ("mse_loss", RuntimeError, r"mse_loss: .*\(3,\) and \(4,\)", lambda: (leaf(3), leaf(4)), F.mse_loss),
    ("stack", RuntimeError, r"stack.*compatible shapes", lambda: (leaf(2), leaf(3)),
     lambda a, b: fg.stack([a, b])),
    ("cat", RuntimeError, r"cat\(\).*\(2, 3\), \(2, 4\)", lambda: (leaf(2, 3), leaf(2, 4)),
     lambda a, b: fg.cat([a, b])),
    # an axis out of range
    *[(f"{name} axis", IndexError, rf"{name}\(\): Dimension out of range \(expected to be in range "
       rf"of \[-2, 1\], but got {bad}\)", lambda: (leaf(2, 3),), call)
      for name, bad, call in [
          ("sum", 2, lambda a: a.sum(2)), ("sum", -3, lambda a: a.sum(-3)),
          ("mean", 2, lambda a: a.mean(2)), ("max", 2, lambda a: a.max(2)),
          ("argmax", 5, lambda a: a.argmax(5)), ("cumsum", 2, lambda a: a.cumsum(2)),
          ("softmax", 2, lambda a: a.softmax(2)), ("log_softmax", -3, lambda a: F.log_softmax(a, -3)),
          ("transpose", 2, lambda a: a.transpose(0, 2)), ("squeeze", 3, lambda a: a.squeeze(3)),
          ("flatten", 3, lambda a: a.flatten(3)),
          ("cat", 2, lambda a: fg.cat([a, a], 2)), ("gather", 2, lambda a: a.gather(2, ints(0)))]],
    ("unsqueeze axis", IndexError, r"unsqueeze\(\).*\[-3, 2\], but got 4", lambda: (leaf(2, 3),),
     lambda a: a.unsqueeze(4)),
    ("permute", RuntimeError, r"permute\(\).*\[0, 0\].*\(2, 3\)", lambda: (leaf(2, 3),),
     lambda a: a.permute(0, 0)),
    # reshapes to another size
    ("reshape", RuntimeError, r"reshape\(\): shape '\[4, 2\]' is invalid for input of size 6",
     lambda: (leaf(2, 3),), lambda a: a.reshape(4, 2)),
    ("reshape -1", RuntimeError, r"reshape\(\): shape '\[-1, 4\]' is invalid for input of size 6",
     lambda: (leaf(2, 3),), lambda a: a.reshape(-1, 4)),
    ("view", RuntimeError, r"view size is not compatible.*\(3, 2\) to \(6,\)",
     lambda: (leaf(2, 3),), lambda a: a.t().view(6)),
    # indices out of bounds, read and written
    ("index", IndexError, r"index 5 is out of bounds for dimension 0 with size 2",
     lambda: (leaf(2, 3),), lambda a: a[5]),
    ("index 2nd axis", IndexError, r"index -4 is out of bounds for dimension 1 with size 3",
     lambda: (leaf(2, 3),), lambda a: a[0, -4]),
    ("too many indices", IndexError, r"too many indices for tensor of dimension 2",
     lambda: (leaf(2, 3),), lambda a: a[0, 0, 0]),
    ("index list", IndexError, r"index 5 is out of bounds for dimension 0 with size 2",
     lambda: (leaf(2, 3),), lambda a: a[[0, 5]]),
    ("index tensor", IndexError, r"index 7 is out of bounds for dimension 0 with size 3",  # torch
     # numbers the dimensions of advanced indexing among the indexed ones
     lambda: (leaf(2, 3), ints(0, 7)), lambda a, i: a[:, i]),
    ("index float tensor", IndexError, r"tensors used as indices must be long",
     lambda: (leaf(2, 3), fg.zeros(1)), lambda a, i: a[i]),
    ("mask shape", IndexError, r"mask \[3\].*indexed tensor \[2, 3\]",
     lambda: (leaf(2, 3), fg.tensor([True, False, True])), lambda a, m: a[m]),
    ("index_select", IndexError, r"index_select\(\).*index 4.*dimension 0 of size 2",
     lambda: (leaf(2, 3), ints(0, 4)), lambda a, i: a.index_select(0, i)),
    ("gather", RuntimeError, r"index 9 is out of bounds for dimension 1 with size 3",
     lambda: (leaf(2, 3), ints(0, 9).reshape(1, 2)), lambda a, i: a.gather(1, i)),
    ("cross_entropy", IndexError, r"cross_entropy\(\): Target 5 is out of bounds.*\(2, 3\)",
     lambda: (leaf(2, 3), ints(0, 5)), F.cross_entropy),
    ("setitem", IndexError, r"index 5 is out of bounds for dimension 0 with size 2",
     lambda: (fg.zeros(2, 3),), lambda a: a.__setitem__(5, 1.0)),
    ("setitem list", IndexError, r"index 7 is out of bounds for dimension 0 with size 2",
     lambda: (fg.zeros(2, 3), fg.ones(3)), lambda a, v: a.__setitem__([0, 1, 7], v)),
    ("setitem pairs", IndexError, r"index 3 is out of bounds for dimension 1 with size 3",
     lambda: (fg.zeros(2, 3), ints(0, 1), ints(0, 3), fg.ones(2)),
     lambda a, i, j, v: a.__setitem__((i, j), v)),
    ("setitem shape", RuntimeError, r"cannot be broadcast", lambda: (fg.zeros(3), fg.ones(2, 3)),
     lambda a, v: a.__setitem__(Ellipsis, v)),
    ("scatter_add_", RuntimeError, r"index 9 is out of bounds for dimension 1 with size 3",
     lambda: (fg.zeros(2, 3), ints(0, 1, 9, 0, 0, 0).reshape(2, 3), fg.ones(2, 3)),
     lambda a, i, v: a.scatter_add_(1, i, v)),
    # in-place writes that PyTorch refuses
    ("int += float", RuntimeError, r"add_\(\): result type torch.float32 can't be cast to the "
     r"desired output type torch.int64", lambda: (ints(1, 2, 3), fg.ones(3)), lambda a, b: a.add_(b)),
    ("leaf in-place", RuntimeError, r"add_\(\): a leaf Variable that requires grad",
     lambda: (fg.ones(3, requires_grad=True),), lambda a: a.add_(1)),
    ("view made a leaf, in-place", RuntimeError, r"mul_\(\): a leaf Variable that requires grad",
     lambda: (leaf(3),), lambda a: a.mul_(2)),
    ("view of a view made a leaf", RuntimeError, r"mul_\(\): a view of a leaf Variable",
     lambda: (fg.zeros(4)[1:].requires_grad_(),), lambda v: v[:2].mul_(2)),
    *[(f"{name} into a view of a leaf made under no_grad", RuntimeError,
       rf"{op}\(\): a view of a leaf Variable", lambda: (fg.ones(4, requires_grad=True),),
       lambda w, write=write: write(no_grad_view(w)))
      for name, op, write in [
          ("add_", "add_", lambda v: v.add_(1)), ("copy_", "copy_", lambda v: v.copy_(fg.zeros(2))),
          ("fill_", "fill_", lambda v: v.fill_(3)), ("zero_", "fill_", lambda v: v.zero_()),
          ("x[0] = 5", "fill_", lambda v: v.__setitem__(0, 5.0)),
          ("x[[0]] = 5", "index_put_", lambda v: v.__setitem__([0], 5.0)),
          ("lerp_", "lerp_", lambda v: v.lerp_(fg.ones(2), 0.5))]],
    ("bool sub", RuntimeError, r"sub\(\): subtraction of two bool tensors",
     lambda: (fg.tensor([True]), fg.tensor([False])), lambda a, b: a - b),
    ("read-only fill_", RuntimeError, r"fill_\(\): the tensor's memory is read-only",
     lambda: (read_only(np.arange(3.0)),), lambda a: a.fill_(1)),
    ("read-only add_ through a view", RuntimeError, r"add_\(\): the tensor's memory is read-only",
     lambda: (read_only(np.arange(6.0).reshape(2, 3)),), lambda a: a.t()[1].add_(1)),
    ("fill_ NaN into int64", RuntimeError, r"fill_\(\): value nan cannot be converted to type "
     r"int64_t without overflow", lambda: (ints(1, 2),), lambda a: a.fill_(float("nan"))),
    ("int64 ** negative number", RuntimeError, r"pow\(\): Integers to negative integer powers "
     r"are not allowed", lambda: (ints(2, 3),), lambda a: a ** -1),
    # gradients
    ("requires_grad on int64", RuntimeError, r"only Tensors of floating point dtype can require "
     r"gradients \(got torch.int64\)", lambda: (ints(1, 2),), lambda a: a.requires_grad_()),
    ("requires_grad = True on int64", RuntimeError, r"only Tensors of floating point dtype can "
     r"require gradients", lambda: (ints(1, 2),), lambda a: setattr(a, "requires_grad", True)),
    ("requires_grad = 1", TypeError, r"must be bool, not int", lambda: (fg.ones(2),),
     lambda a: setattr(a, "requires_grad", 1)),
    ("requires_grad of a non-leaf", RuntimeError, r"only change requires_grad flags of leaf",
     lambda: (leaf(2),), lambda a: setattr(a * 2, "requires_grad", False)),
    ("backward gradient shape", RuntimeError, r"grad_output\[0\] has a shape of torch.Size\(\[4\]\) "
     r"and output\[0\] has a shape of torch.Size\(\[3\]\)",
     lambda: (leaf(3), fg.ones(4)), lambda a, g: (a * 2).backward(g)),
    ("backward non-scalar", RuntimeError, r"grad can be implicitly created only for scalar outputs "
     r"\(backward\(\) on a tensor of shape \(3,\)", lambda: (leaf(3),), lambda a: (a * 2).backward()),
    ("backward without grad", RuntimeError, r"does not require grad",
     lambda: (fg.ones(3),), lambda a: (a * 2).sum().backward()),
    ("grad of another shape", RuntimeError, r"attempting to assign a gradient of size '\[3\]' "
     r"to a tensor of size '\[2\]'", lambda: (leaf(2), fg.ones(3)),
     lambda a, g: setattr(a, "grad", g)),
    ("grad of another dtype", RuntimeError, r"gradient with dtype torch.float64 to a tensor with "
     r"dtype torch.float32", lambda: (leaf(2), fg.ones(2, dtype=fg.float64)),
     lambda a, g: setattr(a, "grad", g)),
    ("grad not a tensor", TypeError, r"assigned grad expected to be a Tensor or None but got grad "
     r"of type ndarray", lambda: (leaf(2),), lambda a: setattr(a, "grad", np.ones(2))),
    ("backward with a list", TypeError, r"backward\(\): gradients can be either Tensors or None, "
     r"but got list", lambda: (leaf(2),), lambda a: (a * 2).backward([1.0, 1.0])),
    ("requires_grad_ of a string", TypeError, r"requires_grad_\(\): argument 'requires_grad' must "
     r"be bool, not str", lambda: (fg.ones(2),), lambda a: a.requires_grad_("yes")),
    ("cat of a list", TypeError, r"cat\(\): expected Tensor as element 1 in argument 0, but got "
     r"list", lambda: (leaf(2),), lambda a: fg.cat([a, [1.0]])),
    # data that is not numbers
    ("ragged", ValueError, r"tensor\(\): expected a rectangular nested list", tuple,
     lambda: fg.tensor([[1, 2], [3]])),
    ("strings", TypeError, r"tensor\(\): could not convert.*<U1", tuple, lambda: fg.tensor(["a"])),
    ("object array", TypeError, r"tensor\(\): could not convert.*object", tuple,
     lambda: fg.tensor(np.array([1.0, None], dtype=object))),
    ("None", TypeError, r"tensor\(\): could not convert data of type NoneType", tuple,
     lambda: fg.tensor(None)),
    ("dict", TypeError, r"tensor\(\): could not convert data of type dict", tuple,
     lambda: fg.tensor({1: 2})),
    ("complex", TypeError, r"tensor\(\).*complex64", tuple,
     lambda: fg.tensor(np.ones(2, np.complex64))),
    ("uint32 array", TypeError, r"tensor\(\): unsupported dtype uint32; fastgrad supports", tuple,
     lambda: fg.tensor(np.ones(2, np.uint32))),
    ("float128 from_numpy", TypeError, r"from_numpy\(\): unsupported dtype float128", tuple,
     lambda: fg.from_numpy(np.ones(2, np.longdouble))),
    ("dtype name", TypeError, r"unsupported dtype foo", tuple, lambda: fg.ones(2, dtype="foo")),
    ("add a string", TypeError, r"add\(\): expected a Tensor or a number, got str",
     lambda: (leaf(2),), lambda a: a + "a"),
    ("shape of floats", TypeError, r"expected a shape of ints, got \(2.5,\)", tuple,
     lambda: fg.ones(2.5)),
    ("integer beyond int64", OverflowError, r"tensor\(\): an integer of list data does not fit "
     r"in int64", tuple, lambda: fg.tensor([1, 2**70])),
    ("2**63 (numpy: uint64)", OverflowError, r"tensor\(\): an integer of list data does not "
     r"fit in int64", tuple, lambda: fg.tensor([2**63])),
    ("int64 full beyond int64", RuntimeError, r"fill_\(\): value 1180591620717411303424 cannot be "
     r"converted to type int64_t without overflow", tuple,
     lambda: fg.full((2,), 2**70, dtype=fg.int64)),
    ("int64 fill_ of 1e30", RuntimeError, r"fill_\(\): value 1e\+30 cannot be converted to type "
     r"int64_t", lambda: (ints(1, 2),), lambda a: a.fill_(1e30)),
    ("float32 fill_ of 1e300", RuntimeError, r"fill_\(\): value 1e\+300 cannot be converted to "
     r"type float without overflow", lambda: (fg.zeros(2),), lambda a: a.fill_(1e300)),
    ("set_num_threads(0)", RuntimeError, r"set_num_threads expects a positive integer \(got 0\)",
     tuple, lambda: fg.set_num_threads(0)),
    ("negative size", RuntimeError, r"negative dimension: \[2, -1\]", tuple, lambda: fg.zeros(2, -1)),
]


# Warnings these cases give before they raise, as torch does.
EXPECTED_WARNINGS = {"mse_loss": "ignore:Using a target size:UserWarning"}


@pytest.mark.parametrize("exc,pattern,make,call", [
    pytest.param(*c[1:], id=c[0], marks=[pytest.mark.filterwarnings(EXPECTED_WARNINGS[c[0]])]
                 if c[0] in EXPECTED_WARNINGS else []) for c in CASES])
def test_bad_input_raises_and_changes_nothing(exc, pattern, make, call):
    tensors = make()
    before = [state(t) for t in tensors]
    with pytest.raises(exc, match=pattern):
        call(*tensors)
    assert_unchanged(tensors, before)


def test_the_graph_survives_a_failed_backward():
    """A backward refused for its gradient's shape, or for a non-scalar root, frees nothing:
    the right call afterwards still works."""
    x = leaf(3)
    y = x * x
    for bad in (lambda: y.backward(fg.ones(4)), lambda: y.backward()):
        with pytest.raises(RuntimeError):
            bad()
        assert x.grad is None
    y.backward(fg.ones(3))
    assert x.grad.tolist() == [0.0, 2.0, 4.0]


def test_second_backward_through_a_freed_graph_raises_and_keeps_the_gradient():
    x = leaf(3)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    assert x.grad.tolist() == [0.0, 2.0, 4.0]


def test_in_place_change_of_a_saved_tensor_is_caught_at_backward_before_any_gradient():
    a, b = leaf(3), leaf(3)
    h = a * 1.0
    loss = (h.sin() * b).sum() + (a * 5).sum()   # sin saves h; b's and a's other paths are fine
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[torch.float32 \[3\]\] "
                                           r"is at version 1; expected version 0"):
        loss.backward()
    assert a.grad is None and b.grad is None


def test_failed_in_place_write_keeps_the_graph_usable():
    """A refused in-place op on a non-leaf neither bumps its version nor breaks its backward."""
    x = leaf(3)
    h = x * 2
    y = h.exp()
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        h.add_(fg.ones(2, 3))
    assert h._version == [0]  # shared by h's views
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * np.arange(3.0)), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: fg.empty(2**62, 4), lambda: fg.zeros(2**40), lambda: fg.ones(2**31, 2**31, 2**31),
    lambda: fg.ones(1).expand(2**40, 2**40), lambda: fg.zeros(2**62, dtype=fg.float64),
    lambda: fg.mm(fg.ones(1, 1).expand(2**31, 1), fg.ones(1, 1).expand(1, 2**31)),
    lambda: fg.ones(1).expand(2**40) + fg.ones(2**40, 1),
    lambda: fg.arange(2**62),
])
def test_sizes_beyond_memory_raise_memory_or_value_errors(make):
    with pytest.raises((MemoryError, ValueError), match=r"shape|dimension"):
        make()


def _call_kernel(name, shape, strides):
    """Calls a C kernel over a geometry whose element or byte count overflows int64 (or is
    negative), with a 64-byte buffer for every operand: the size check must refuse it before
    any element is touched."""
    buf = ffi.new("char[64]")
    nd = len(shape)
    sh, st = ffi.new("int64_t[]", shape), ffi.new("int64_t[]", strides)
    F32, info = lib.FG_FLOAT32, ffi.new("int64_t *")
    calls = {
        "elementwise": lambda: lib.fg_elementwise(lib.FG_ADD, F32, nd, sh, st, buf, buf, buf, ffi.NULL),
        "elementwise_flat": lambda: lib.fg_elementwise_flat(lib.FG_ADD, F32, shape[0], buf, buf,
                                                            strides[0], buf, strides[1], ffi.NULL, 0),
        "copy": lambda: lib.fg_copy(F32, lib.FG_FLOAT64, nd, sh, st, buf, buf),
        "fill": lambda: lib.fg_fill(F32, nd, sh, st, buf, buf),
        "arange": lambda: lib.fg_arange(F32, shape[0], buf, buf, buf),
        "reduce": lambda: lib.fg_reduce(lib.FG_SUM, F32, nd, sh, st, 1, buf, buf),
        "cumsum": lambda: lib.fg_along_axis(lib.FG_CUMSUM, F32, nd, sh, st, 0, buf, buf),
        "softmax": lambda: lib.fg_softmax(lib.FG_SOFTMAX, F32, nd, sh, st, 0, buf, buf),
        "gather": lambda: lib.fg_gather(F32, nd, sh, st, 0, shape[0], buf, buf, buf, info),
        "scatter": lambda: lib.fg_scatter(lib.FG_SCATTER_ADD, F32, nd, sh, st, 0, shape[0], buf,
                                          buf, buf, info),
        "nonzero": lambda: lib.fg_nonzero(F32, nd, sh, st, buf, ffi.NULL, info),
        "matmul": lambda: lib.fg_matmul(F32, 1, shape[0], shape[0], 1, ffi.new("int64_t[12]", [4] * 12),
                                        buf, buf, buf, buf),
    }
    return calls[name]()


ONE_D = ("elementwise_flat", "arange", "matmul")  # take a length (matmul: m = n), not a shape


@pytest.mark.parametrize("name", ["elementwise", "elementwise_flat", "copy", "fill", "arange",
                                  "reduce", "cumsum", "softmax", "gather", "scatter", "nonzero",
                                  "matmul"])
@pytest.mark.parametrize("shape,stride", [
    ((2**62, 4), 0),        # 2**64 elements (one dimension: 2**62, whose byte extent overflows)
    ((2**62, 1), 4),        # 2**62 elements of 4 bytes: the byte extent overflows
    ((-1, 1), 4),           # a negative size
])
def test_kernels_check_sizes_before_touching_memory(name, shape, stride):
    shape = shape[:1] if name in ONE_D else shape
    assert _call_kernel(name, list(shape), [stride] * (len(shape) * 4)) == lib.FG_ESIZE


def test_size_errors_reach_python_as_value_errors():
    with pytest.raises(ValueError, match=r"softmax got a negative size or an element or byte count"):
        fg._kernels._check(lib.FG_ESIZE, "softmax", fg.float32)
