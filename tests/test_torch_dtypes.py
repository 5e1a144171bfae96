"""The stored dtypes beyond the compute ones (int32, int16, int8, uint8, float16), the default
dtype, the legacy constructors and print options, against PyTorch: values, dtypes, type names,
reprs and errors. Skipped where torch is not installed."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import assert_same  # noqa: E402

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NEW = ["uint8", "int8", "int16", "int32", "float16"]
HALF_TOL = dict(rtol=1e-3, atol=1e-3)


def same(f, t):
    assert_same(f, t, HALF_TOL if t.dtype == torch.float16 else None)


def data(dtype):
    """Values of each sign and size, beyond the narrow types' ranges (conversions wrap)."""
    values = [0.0, 1.0, -1.0, 2.5, -2.5, 100.0, -100.0, 127.0, 200.0, 300.0, -129.0, 65000.0]
    return [v for v in values if dtype != "bool" or v in (0.0, 1.0)]


@pytest.mark.parametrize("source,target", list(itertools.product(DTYPES, DTYPES)))
def test_conversions_between_every_pair_of_dtypes(source, target):
    def make(L):
        x = L.tensor(data(source), dtype=getattr(L, "float64"))
        return x.to(getattr(L, source)).to(getattr(L, target))
    same(make(fg), make(torch))


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_promotion_of_every_pair(a, b):
    def make(L):
        x = L.tensor([1, 0, 1], dtype=getattr(L, a))
        y = L.tensor([1, 1, 0], dtype=getattr(L, b))
        return x + y if "bool" not in (a, b) else x * y
    same(make(fg), make(torch))


@pytest.mark.parametrize("dtype", NEW)
@pytest.mark.parametrize("op", [
    lambda x: x + x, lambda x: x - 3, lambda x: x * 2, lambda x: 2 * x, lambda x: x / 4,
    lambda x: -x, lambda x: x.abs(), lambda x: x.sign(), lambda x: x > 2, lambda x: x == x,
    lambda x: x + 2.5, lambda x: x.maximum(x.flip(0)), lambda x: x.relu(),
    lambda x: x.clamp(0, 5), lambda x: x ** 2, lambda x: x.exp(), lambda x: x.sqrt(),
    lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.max(), lambda x: x.min(),
    lambda x: x.argmax(), lambda x: x.cumsum(0), lambda x: x[1:], lambda x: x[x > 1],
    lambda x: x.float(), lambda x: x.tolist(), lambda x: x.nonzero(),
], ids=lambda f: f.__code__.co_firstlineno)
def test_ops_on_the_stored_dtypes(dtype, op):
    def make(L):
        return op(L.tensor([0, 1, 2, 3, 7], dtype=getattr(L, dtype)))
    f, t = make(fg), make(torch)
    if isinstance(t, list):
        assert f == t
    else:
        same(f, t)


def same_lists(make):
    """make(L) gives a list of tensors in each library: the same, one by one."""
    for f, t in zip(make(fg), make(torch), strict=True):
        same(f, t)


def test_wrapping_arithmetic_of_narrow_integers():
    def make(L):
        u = L.tensor([250, 3], dtype=L.uint8)
        i = L.tensor([100, -100], dtype=L.int8)
        return [u + 10, -u, u - 5, i + i, i * 3, u + i, u / 2, u.float() / 255]
    same_lists(make)


def test_float16_rounds_each_result():
    def make(L):
        h = L.tensor([0.1, 0.2, 1000.3], dtype=L.float16)
        return [h + 0.1, h * h, h.exp(), h.mean(), h.softmax(0), h.log_softmax(0),
                L.tensor([65504.0], dtype=L.half) * 2]
    same_lists(make)


@pytest.mark.parametrize("dtype", NEW)
def test_repr_type_names_and_sizes(dtype):
    f, t = (L.tensor([1, 2, 100], dtype=getattr(L, dtype)) for L in (fg, torch))
    assert repr(f) == repr(t)
    assert f.type() == t.type()
    assert f.element_size() == t.element_size()
    assert f.is_signed() == t.is_signed()
    assert repr(f.dtype) == repr(t.dtype)
    assert f.dtype.is_floating_point == t.dtype.is_floating_point


def test_aliases_and_conversion_methods():
    for name in ("int", "short", "half", "float", "double", "long", "bool", "uint8", "int8"):
        assert repr(getattr(fg, name)) == repr(getattr(torch, name))
    for method in ("int", "short", "half", "char", "byte", "long", "float", "double", "bool"):
        same(getattr(fg.tensor([1.5, -2.0]), method)(), getattr(torch.tensor([1.5, -2.0]), method)())
    for target in ("torch.IntTensor", "torch.HalfTensor", fg.LongTensor, fg.float16):
        t_target = getattr(torch, target.split(".")[1]) if isinstance(target, str) else (
            torch.LongTensor if target is fg.LongTensor else torch.float16)
        same(fg.tensor([1.5]).type(target), torch.tensor([1.5]).type(t_target))


def test_type_as_as_torch():
    def run(L):
        x = L.tensor([1.5, -2.0], requires_grad=True)
        out = [x.type_as(L.zeros(1, dtype=L.float64)), L.arange(3).type_as(L.ones(1, dtype=L.bool))]
        try:
            x.type_as(3)
        except TypeError as e:
            out.append(str(e))
        return out + [x.type_as(x) is x, out[0].grad_fn.name()]
    ours, theirs = run(fg), run(torch)
    for a, b in zip(ours[:2], theirs[:2]):
        same(a, b)
    assert ours[2:] == theirs[2:]


@pytest.mark.parametrize("value,dtype", [(300, "uint8"), (-300, "uint8"), (200, "int8"),
                                         (1e6, "int16"), (2**40, "int32"), (1e6, "float16")])
def test_fill_beyond_the_dtype_is_refused(value, dtype):
    with pytest.raises(RuntimeError, match=r"cannot be converted to type [\w:]+ without overflow"):
        torch.full((2,), value, dtype=getattr(torch, dtype))
    with pytest.raises(RuntimeError, match=r"cannot be converted to type [\w:]+ without overflow"):
        fg.full((2,), value, dtype=getattr(fg, dtype))


def test_fills_within_the_checks_range():
    for value, dtype in ((-1, "uint8"), (-255, "uint8"), (65504, "float16"), (-128, "int8")):
        same(fg.full((2,), value, dtype=getattr(fg, dtype)),
             torch.full((2,), value, dtype=getattr(torch, dtype)))


def test_numpy_arrays_of_the_stored_dtypes_keep_their_dtype():
    for dtype in NEW:
        a = np.arange(4).astype(dtype)
        same(fg.from_numpy(a), torch.from_numpy(a))
        same(fg.tensor(a), torch.tensor(a))
        assert fg.from_numpy(a).numpy() is not None and np.shares_memory(fg.from_numpy(a).numpy(), a)


def test_legacy_constructors():
    same_lists(lambda L: [L.Tensor([1, 2]), L.Tensor(), L.LongTensor([1, 2]),
                          L.FloatTensor([[1], [2]]), L.IntTensor([3]), L.ByteTensor([255]),
                          L.BoolTensor([1, 0]), L.DoubleTensor([0.5]), L.HalfTensor([0.5])])

    def facts(L):
        return [tuple(L.Tensor(2, 3).shape), tuple(L.LongTensor(4).shape),
                tuple(L.Tensor(L.Size([2, 1])).shape), L.Tensor(2, 3).dtype is L.float32,
                isinstance(L.zeros(2), L.FloatTensor), isinstance(L.zeros(2), L.LongTensor),
                isinstance(L.zeros(2, dtype=L.long), L.LongTensor), repr(L.FloatTensor)]
    assert facts(fg) == facts(torch)
    for L in (fg, torch):
        with pytest.raises(TypeError, match=r"new\(\): data must be a sequence \(got float\)"):
            L.Tensor(2.5)


def test_default_dtype():
    def make(L):
        assert repr(L.get_default_dtype()) == "torch.float32"
        L.set_default_dtype(L.float64)
        try:
            return [L.tensor([1.5]), L.ones(2), L.arange(2.0), L.tensor([1]) * 0.5,
                    L.Tensor([1]), L.zeros(1, dtype=L.float32) + 1.5]
        finally:
            L.set_default_dtype(L.float32)
    same_lists(make)
    assert [repr(t) for t in make(fg)] == [repr(t) for t in make(torch)]
    for L in (fg, torch):
        with pytest.raises(TypeError, match="only floating-point types are supported as the "
                                            "default type"):
            L.set_default_dtype(L.int32)


@pytest.mark.parametrize("options", [dict(precision=2), dict(profile="short"),
                                     dict(profile="full"), dict(sci_mode=True),
                                     dict(sci_mode=False), dict(threshold=5, edgeitems=1),
                                     dict(linewidth=20)])
def test_print_options(options):
    values = np.random.default_rng(0).uniform(-3, 3, (3, 12))
    values[0, 0] = 1e-6
    def text(L):
        L.set_printoptions(**options)
        try:
            return [repr(L.tensor(values)), repr(L.tensor([1.23456, 2.0])),
                    repr(L.arange(1200.0)), repr(L.tensor([1, 2, 3]))]
        finally:
            L.set_printoptions(profile="default")
    assert text(fg) == text(torch)


@pytest.mark.parametrize("dtype", NEW)
def test_creation_in_the_stored_dtypes(dtype):
    same_lists(lambda L: [L.arange(5, dtype=getattr(L, dtype)),
                          L.arange(1, 9, 3, dtype=getattr(L, dtype)),
                          L.zeros(2, 3, dtype=getattr(L, dtype)), L.ones(2, dtype=getattr(L, dtype)),
                          L.full((2,), 7, dtype=getattr(L, dtype)),
                          L.tensor([[1, 2]], dtype=getattr(L, dtype)).t().contiguous(),
                          L.zeros_like(L.ones(2, dtype=getattr(L, dtype)))])


def test_gradients_flow_through_float16():
    def make(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x.to(L.float16)
        z = (y * y).sum()
        z.backward()
        return [z, x.grad]
    same_lists(make)
