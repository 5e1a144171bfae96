"""What the tests against PyTorch share: the same data in both libraries, and comparisons of
values, dtypes, shapes and gradients (tests/test_torch_*.py)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402

FLOATS = ["float32", "float64"]
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


def rand(shape, dtype="float64", seed=0, low=-2.0, high=2.0):
    """Reproducible uniform data as a numpy array of `dtype`."""
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def both(array, requires_grad=False):
    """The same numpy data as a (fastgrad, torch) pair of leaf tensors."""
    array = np.asarray(array)
    return (fg.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


def name(dtype):
    return repr(dtype)


def to_np(t):
    return np.asarray(t.detach().numpy())


def assert_same(f, t, tol=None):
    """Same shape, dtype name and values (exact for ints and bools)."""
    assert isinstance(f, fg.Tensor), type(f)
    assert tuple(f.shape) == tuple(t.shape)
    assert name(f.dtype) == name(t.dtype)
    fa, ta = to_np(f), to_np(t)
    if t.dtype.is_floating_point:
        tol = tol or TOL[str(t.dtype).split(".")[1]]
        np.testing.assert_allclose(fa, ta, **tol)
    else:
        np.testing.assert_array_equal(fa, ta)


def assert_grads(fg_leaves, torch_leaves):
    for f, t in zip(fg_leaves, torch_leaves):
        if t.grad is None:
            assert f.grad is None
        else:
            assert f.grad is not None, "fastgrad left .grad None where torch has one"
            assert_same(f.grad, t.grad)


def compare(fn, *arrays, grad=True, seed=1):
    """Runs fn(lib, *leaves) for lib in (fastgrad, torch) on the same data; compares outputs and,
    for floating outputs, the leaves' .grad after backward(random gradient) and after
    .sum().backward(). Floating arrays become leaves requiring grad when `grad` is true."""
    def leaves():
        pairs = [both(a, requires_grad=grad and np.asarray(a).dtype.kind == "f") for a in arrays]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    fs, ts = leaves()
    f_out, t_out = fn(fg, *fs), fn(torch, *ts)
    assert_same(f_out, t_out)
    if not (grad and t_out.requires_grad):
        return
    assert f_out.requires_grad
    upstream = rand(tuple(t_out.shape), str(t_out.dtype).split(".")[1], seed=seed)
    f_out.backward(fg.tensor(upstream))
    t_out.backward(torch.tensor(upstream))
    assert_grads(fs, ts)

    fs, ts = leaves()
    fn(fg, *fs).sum().backward()
    fn(torch, *ts).sum().backward()
    assert_grads(fs, ts)


def run_both(fn):
    """fn(lib) returns a list of tensors; compare them pairwise."""
    for f, t in zip(fn(fg), fn(torch), strict=True):
        if t is None:
            assert f is None
        else:
            assert_same(f, t)


def assert_same_error(fn):
    """fn(lib) raises in torch; it raises the same exception type and words in fastgrad."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(fg)
    assert str(ours.value) == str(theirs.value)
