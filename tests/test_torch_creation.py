"""fastgrad against real PyTorch, type promotion, creation and printing: the same inputs through
both libraries give the same values, dtypes, shapes, gradients, reprs and errors. Skipped where
torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import rand, both, assert_same, assert_same_error  # noqa: E402


# ---- type promotion -----------------------------------------------------------------------
def promo(fn):
    """fn(lib) builds a result in each library; compare them."""
    assert_same(fn(fg), fn(torch))


PROMOTION = {
    "int64+float32": lambda L: L.tensor([1, 2, 3]) + L.tensor([0.5, 1.5, 2.5]),
    "float32*int64": lambda L: L.tensor([0.5, 1.5]) * L.tensor([3, 4]),
    "int64+float": lambda L: L.tensor([1, 2]) + 2.5,
    "float*int64": lambda L: 2.5 * L.tensor([1, 2]),
    "int64+int": lambda L: L.tensor([1, 2]) + 3,
    "int64/int64": lambda L: L.tensor([7, 8, -9]) / L.tensor([2, 4, 4]),
    "int64/int": lambda L: L.tensor([7, 8]) / 2,
    "float32+float64 0-d": lambda L: L.tensor([1.0, 2.0]) + L.tensor(3.0, dtype=L.float64),
    "int64+float64 0-d": lambda L: L.tensor([1, 2]) + L.tensor(3.0, dtype=L.float64),
    "float32+float64 1-d": lambda L: L.tensor([1.0]) + L.tensor([2.0], dtype=L.float64),
    "float64*float32 0-d": lambda L: L.tensor([1.0], dtype=L.float64) * L.tensor(2.0),
    "bool+int": lambda L: L.tensor([True, False]) + 1,
    "bool+float": lambda L: L.tensor([True, False]) + 1.5,
    "bool+bool": lambda L: L.tensor([True, False]) + L.tensor([True, True]),
    "int64*bool": lambda L: L.tensor([1, 2]) * L.tensor([True, False]),
    "int64**int": lambda L: L.tensor([3, 4]) ** 2,
    "int64**float": lambda L: L.tensor([3, 4]) ** 0.5,
    "int64==float32": lambda L: L.tensor([1, 2]) == L.tensor([1.0, 3.0]),
    "int64<float": lambda L: L.tensor([1, 2]) < 1.5,
    "float64>=float32": lambda L: L.tensor([1.0, 2.0], dtype=L.float64) >= L.tensor([1.0, 3.0]),
    "sum int64": lambda L: L.tensor([1, 2, 3]).sum(),
    "sum bool": lambda L: L.tensor([True, False, True]).sum(),
    "sum bool dim": lambda L: L.tensor([[True, False], [True, True]]).sum(dim=0),
    "sum comparison": lambda L: (L.tensor([1.0, 2.0, 3.0]) > 1.5).sum(),
    "max int64": lambda L: L.tensor([1, 2, 3]).max(),
    "cumsum int64": lambda L: L.tensor([1, 2, 3]).cumsum(0),
    "abs int64": lambda L: L.tensor([-3, 2]).abs(),
    "neg int64": lambda L: -L.tensor([3, 2]),
    "sqrt int64": lambda L: L.tensor([1, 4]).sqrt(),
    "exp int64": lambda L: L.tensor([0, 1]).exp(),
    "maximum int64 float32": lambda L: L.maximum(L.tensor([1, 5]), L.tensor([3.0, 2.0])),
    "where int64 float32": lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]),
                                             L.tensor([0.5, 0.5])),
}


@pytest.mark.parametrize("case", list(PROMOTION))
def test_promotion(case):
    promo(PROMOTION[case])


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (5.0,), (0, 1, 0.25), (1.5, 4),
                                  (0, 2.0), (10, 0, -3), (-1.0, 1.0, 0.5)], ids=str)
def test_arange(args):
    promo(lambda L: L.arange(*args))


def test_arange_dtype_and_requires_grad():
    promo(lambda L: L.arange(4, dtype=L.float64))
    promo(lambda L: L.arange(3.0, requires_grad=True))


def _ranges(count, seed):
    """Random float ranges: short and long (past torch's 32768-value grain), either direction."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        start = float(rng.choice([-8.0, 0.0, 1.5, rng.uniform(-10, 10), rng.uniform(-1e4, 1e4)]))
        step = float(rng.choice([0.1, 1 / 3, 0.01, rng.uniform(1e-3, 1)])) * rng.choice([1, -1])
        length = int(rng.choice([rng.integers(1, 300), rng.integers(1, 80000)]))
        out.append((start, start + step * length + step * rng.uniform(0, 1), step))
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_arange_float_step_is_torchs_to_the_bit(dtype):
    assert fg.arange(-8.0, 8.0, 0.1)[80].item() == torch.arange(-8.0, 8.0, 0.1)[80].item()
    threads = torch.get_num_threads()
    torch.set_num_threads(fg.get_num_threads())  # past 32768 values torch's threads matter
    try:
        for start, end, step in _ranges(60, 5):
            ours = fg.arange(start, end, step, dtype=getattr(fg, dtype)).numpy()
            theirs = torch.arange(start, end, step, dtype=getattr(torch, dtype)).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"arange({start}, {end}, {step})")
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("args", [(0.5, 5.7, 1.5), (-1.5, 5.7, 2), (5, 0, -1.5), (2**40, 2**40 + 9, 4)],
                         ids=str)
def test_arange_int64_truncates_each_bound(args):
    promo(lambda L: L.arange(*args, dtype=L.int64))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "float16", "int32", "int16"])
def test_linspace_and_logspace_are_torchs_to_the_bit(dtype):
    rng = np.random.default_rng(7)
    for _ in range(40):
        start, end = rng.uniform(-100, 100, 2)
        steps = int(rng.choice([0, 1, 2, 3, rng.integers(4, 3000)]))
        base = float(rng.choice([10.0, 2.0, 0.5, 3.3]))
        for L_args, kwargs in (((start, end, steps), {}),
                               ((start / 30, end / 30, steps), {"base": base})):
            name = "logspace" if kwargs else "linspace"
            ours = getattr(fg, name)(*L_args, dtype=getattr(fg, dtype), **kwargs).numpy()
            theirs = getattr(torch, name)(*L_args, dtype=getattr(torch, dtype), **kwargs).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{name}{L_args} {kwargs}")


SPACED = {
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace ints": lambda L: L.linspace(0, 10, 4, dtype=L.int64),
    "linspace 0-d tensors": lambda L: L.linspace(L.tensor(-1.0), L.tensor(2.0), steps=7),
    "linspace requires_grad": lambda L: L.linspace(0.0, 1.0, 3, requires_grad=True),
    "logspace": lambda L: L.logspace(0, 2, 3),
    "logspace base": lambda L: L.logspace(-1, 3, 5, base=2),
    "logspace float64": lambda L: L.logspace(0.5, 1.5, 4, dtype=L.float64),
    "logspace one": lambda L: L.logspace(1.5, 9, 1),
    "eye": lambda L: L.eye(3),
    "eye n m": lambda L: L.eye(2, 4),
    "eye m < n": lambda L: L.eye(4, 2, dtype=L.int64),
    "eye empty": lambda L: L.eye(0, 3),
    "eye bool": lambda L: L.eye(2, dtype=L.bool),
    "zeros_like dtype": lambda L: L.zeros_like(L.ones(2, 3), dtype=L.int64),
    "ones_like requires_grad": lambda L: L.ones_like(L.ones(2), requires_grad=True),
    "empty_like shape": lambda L: L.empty_like(L.ones(2, 3, dtype=L.float64)).fill_(1),
    "full_like keyword": lambda L: L.full_like(L.ones(2), 3, dtype=L.float64),
    "new_zeros varargs": lambda L: L.ones(2, dtype=L.float64).new_zeros(2, 3),
    "new_zeros tuple": lambda L: L.ones(2, dtype=L.int64).new_zeros((3,)),
    "new_zeros size keyword": lambda L: L.ones(2).new_zeros(size=(2, 3)),
    "new_empty size keyword": lambda L: L.ones(2).new_empty(size=[2]).fill_(1),
    "new_ones dtype": lambda L: L.ones(2).new_ones([2, 2], dtype=L.int64),
    "new_full": lambda L: L.ones(2, dtype=L.int64).new_full((2,), 1.5),
    "new_empty": lambda L: L.ones(2, dtype=L.float64).new_empty(3).fill_(2),
    "new_tensor": lambda L: L.ones(2, dtype=L.int64).new_tensor([1.5, 2.5]),
    "new_tensor dtype": lambda L: L.ones(2).new_tensor([1, 2], dtype=L.float64),
    "new_tensor requires_grad": lambda L: L.ones(2).new_tensor([1, 2], requires_grad=True),
}


@pytest.mark.parametrize("case", list(SPACED))
def test_construction(case):
    ours, theirs = SPACED[case](fg), SPACED[case](torch)
    assert_same(ours, theirs)
    assert ours.requires_grad == theirs.requires_grad


CREATION_ERRORS = {
    "arange zero step": lambda L: L.arange(0, 5, 0),
    "arange wrong sign": lambda L: L.arange(5, 0, 1),
    "arange infinite": lambda L: L.arange(0, float("inf")),
    "arange nan": lambda L: L.arange(0, float("nan")),
    "arange int64 step truncated to 0": lambda L: L.arange(0, 2.5, 0.5, dtype=L.int64),
    "arange bool": lambda L: L.arange(5, dtype=L.bool),
    "linspace negative steps": lambda L: L.linspace(0, 1, -1),
    "linspace bool": lambda L: L.linspace(0, 1, 3, dtype=L.bool),
    "logspace bool": lambda L: L.logspace(0, 1, 3, dtype=L.bool),
    "linspace 1-d start": lambda L: L.linspace(L.tensor([0.0]), 1, 3),
    "eye negative n": lambda L: L.eye(-1),
    "eye negative m": lambda L: L.eye(2, -1),
    "eye float n": lambda L: L.eye(2.0),
}


@pytest.mark.parametrize("case", list(CREATION_ERRORS))
def test_creation_errors_match_torch(case):
    assert_same_error(CREATION_ERRORS[case])


@pytest.mark.parametrize("data", [
    3, 2.5, True, -7, [1, 2, 3], [1.0, 2, 3], [True, False], [[1, 2], [3, 4]],
    [[1.5, 2], [3, 4]], [[[True]], [[False]]], [], [[]],
    np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32), np.array([1, 2]),
    np.array([[1, 2]], dtype=np.int64), np.array([True, False]), np.array(3.5),
    np.float64(1.25), np.float32(1.25), np.int64(4),
], ids=repr)
def test_tensor_from_data(data):
    promo(lambda L: L.tensor(data))


@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "bool"])
def test_tensor_with_dtype(dt):
    promo(lambda L: L.tensor([1, 0, 2], dtype=getattr(L, dt)))
    promo(lambda L: L.tensor([1.7, 0.0, -2.2], dtype=getattr(L, dt)))


def test_dtype_aliases():
    assert repr(fg.float) == repr(torch.float) and repr(fg.double) == repr(torch.double)
    assert repr(fg.long) == repr(torch.long) and repr(fg.bool) == repr(torch.bool)


@pytest.mark.parametrize("make", [
    lambda L: L.zeros(2, 3), lambda L: L.ones((2,)), lambda L: L.full((2, 2), 7),
    lambda L: L.full((2,), 1.5), lambda L: L.full((2,), True), lambda L: L.zeros(3, dtype=L.int64),
    lambda L: L.ones_like(L.tensor([1, 2])), lambda L: L.zeros_like(L.tensor([1.0], dtype=L.float64)),
    lambda L: L.full_like(L.tensor([1, 2]), 3.7),
], ids=lambda f: None)
def test_creation(make):
    promo(make)


# ---- repr ---------------------------------------------------------------------------------
def _grad_fn_tensors(L):
    x = L.tensor(4.0, requires_grad=True)
    y = L.tensor([1.0, 2.0], requires_grad=True)
    return {
        "mul": x * 7,
        "add": y + 1,
        "sum": y.sum(),
        "mean": y.mean(),
        "pow": y ** 2,
        "div": y / 3,
        "sub": y - y,
        "neg": -y,
        "exp": y.exp(),
        "tanh": y.tanh(),
        "relu": y.relu(),
        "matmul": y @ y,
        "mm": y.reshape(1, 2) @ y.reshape(2, 1),
        "view": y.view(2, 1),
        "index": y[0],
        "t": y.reshape(1, 2).t(),
        "stack": L.stack([y, y]),
        "float64": y.double() * 2,
        "clone": y.clone(),
        "rsub": 1 - y,
        "rpow": 2 ** y,
        "rdiv": 3 / y,
        "sub scalar": y - 2,
        "matmul 3-d": y.reshape(1, 1, 2) @ y.reshape(2, 1),
        "slice": y[1:],
        "select": y.reshape(2, 1)[:, 0],
        "transpose": y.reshape(1, 2).transpose(0, 1),
        "permute": y.reshape(1, 2).permute(1, 0),
        "max": y.max(),
        "maximum": L.maximum(y, 2 * y),
        "norm": y.norm(),
        "cumsum": y.cumsum(0),
        "cat": L.cat([y, y]),
        "where": L.where(y > 1, y, 2 * y),
        "sigmoid": y.sigmoid(),
    }


REPR_DATA = {
    "ints": lambda L: L.tensor([1, 2, 3]),
    "negative ints": lambda L: L.tensor([-10, 5, 200]),
    "int 0-d": lambda L: L.tensor(42),
    "integer floats": lambda L: L.tensor([1.0, 2.0, 3.0]),
    "negative integer floats": lambda L: L.tensor([-1.0, 20.0, 300.0]),
    "fractional": lambda L: L.tensor([1.5, 2.25, -3.125]),
    "fractional 5 digits": lambda L: L.tensor([0.12345, 1.0, 10.5]),
    "mixed zero": lambda L: L.tensor([0.0, 1.5]),
    "all zero": lambda L: L.tensor([0.0, 0.0]),
    "large": lambda L: L.tensor([1.0e10, 1.0]),
    "large integer floats": lambda L: L.tensor([123456789.0, 1.0]),
    "small": lambda L: L.tensor([1.0e-5, 1.0]),
    "tiny": lambda L: L.tensor([1.5e-8, 2.5e-9]),
    "wide range": lambda L: L.tensor([0.001, 1.0, 1000.0]),
    "sci negative": lambda L: L.tensor([-1.0e-5, 3.0e5]),
    "inf nan": lambda L: L.tensor([float("inf"), float("-inf"), float("nan"), 1.5]),
    "inf ints": lambda L: L.tensor([float("inf"), 2.0]),
    "float64": lambda L: L.tensor([1.5, 2.0], dtype=L.float64),
    "float64 integer": lambda L: L.tensor([1.0, 2.0], dtype=L.float64),
    "float64 0-d": lambda L: L.tensor(0.1, dtype=L.float64),
    "float32 0.1": lambda L: L.tensor([0.1, 0.2, 0.3]),
    "bool": lambda L: L.tensor([True, False, True]),
    "bool 0-d": lambda L: L.tensor(False),
    "float 0-d": lambda L: L.tensor(3.5),
    "float 0-d integer": lambda L: L.tensor(28.0),
    "empty": lambda L: L.tensor([]),
    "empty 2-d": lambda L: L.zeros(0, 3),
    "empty int": lambda L: L.tensor([], dtype=L.int64),
    "empty float64": lambda L: L.zeros(0, dtype=L.float64),
    "empty bool": lambda L: L.tensor([], dtype=L.bool),
    "2-d": lambda L: L.tensor([[1.0, 2.5], [3.0, -4.0]]),
    "2-d ints": lambda L: L.tensor([[1, 22], [333, 4]]),
    "3-d": lambda L: L.arange(24.0).reshape(2, 3, 4),
    "3-d ints": lambda L: L.arange(12).reshape(2, 3, 2),
    "arange 0.1": lambda L: L.arange(0, 1, 0.1),
    "requires_grad": lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad 0-d": lambda L: L.tensor(2.0, requires_grad=True),
    "requires_grad float64": lambda L: L.tensor([1.5], dtype=L.float64, requires_grad=True),
    "grad_fn mul": lambda L: L.tensor(4.0, requires_grad=True) * 7,
    "float64 long line": lambda L: L.tensor(
        np.linspace(-3.3, 4.7, 16).reshape(2, 8)),
    "float64 line break grad": lambda L: L.tensor(
        np.linspace(0.1, 1.7, 9), requires_grad=True) * 3,
    "long 1-d line break": lambda L: L.arange(30.0) / 7,
    "long int line": lambda L: L.arange(0, 4000, 100),
    "summarized": lambda L: L.arange(2000.0),
    "summarized 2-d": lambda L: L.arange(2000).reshape(40, 50),
    "big magnitude 2-d": lambda L: L.tensor([[1.0e-3, 2.0], [3.0e4, -5.0]]),
    "random normal": lambda L: L.tensor(rand((3, 3), "float32", seed=40)),
    "random float64": lambda L: L.tensor(rand((2, 5), "float64", seed=41)),
    "int64 large": lambda L: L.tensor([2 ** 40, -1]),
    "negative zero": lambda L: L.tensor([-0.0, 1.0]),
}


@pytest.mark.parametrize("case", list(REPR_DATA))
def test_repr(case):
    f, t = REPR_DATA[case](fg), REPR_DATA[case](torch)
    assert repr(f) == repr(t)
    assert str(f) == str(t)


@pytest.mark.parametrize("case", list(_grad_fn_tensors(torch)))
def test_repr_grad_fn(case):
    f, t = _grad_fn_tensors(fg)[case], _grad_fn_tensors(torch)[case]
    assert repr(f) == repr(t)


def test_repr_in_list_and_after_backward():
    f, t = both(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    (f * f).sum().backward()
    (t * t).sum().backward()
    assert repr([f.grad, f]) == repr([t.grad, t])


FORMATS = [(lambda L: L.tensor(0.123456), ".4f"), (lambda L: L.tensor(0.123456), "f"),
           (lambda L: L.tensor(3), "d"), (lambda L: L.tensor(3), "5"), (lambda L: L.tensor(3), ""),
           (lambda L: L.tensor(2.5, requires_grad=True) * 1, ".3f"),
           (lambda L: L.tensor([1.0, 2.0]), ""), (lambda L: L.tensor([1.0, 2.0]), ".2f")]


@pytest.mark.parametrize("make,spec", FORMATS, ids=[spec or "empty" for _, spec in FORMATS])
def test_format_specs(make, spec):
    """f"{loss:.4f}" on a 0-d tensor formats its number; other tensors take only "" (as
    torch: the same text, or the same error)."""
    results = []
    for L in (fg, torch):
        try:
            results.append(format(make(L), spec))
        except TypeError as e:
            results.append(("TypeError", str(e)))
    assert results[0] == results[1]


def test_dtype_repr():
    for dt in ["float32", "float64", "int64", "bool"]:
        assert repr(getattr(fg, dt)) == repr(getattr(torch, dt))
        assert repr(fg.tensor([1]).to(getattr(fg, dt)).dtype) == repr(getattr(torch, dt))
