"""fastgrad against real PyTorch: the same inputs through both libraries must give the same
values, dtypes, shapes, gradients, reprs and errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402

FLOATS = ["float32", "float64"]
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


# ---- helpers ----------------------------------------------------------------------------------
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


# ---- elementwise binary -------------------------------------------------------------------
BINARY = {
    "add": (lambda L, a, b: L.add(a, b), lambda L, a, b: a + b),
    "sub": (lambda L, a, b: L.sub(a, b), lambda L, a, b: a - b),
    "mul": (lambda L, a, b: L.mul(a, b), lambda L, a, b: a * b),
    "div": (lambda L, a, b: L.div(a, b), lambda L, a, b: a / b),
    "pow": (lambda L, a, b: L.pow(a, b), lambda L, a, b: a ** b),
    "maximum": (lambda L, a, b: L.maximum(a, b), lambda L, a, b: a.maximum(b)),
    "minimum": (lambda L, a, b: L.minimum(a, b), lambda L, a, b: a.minimum(b)),
}
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4)),
               ((), (3,)), ((3,), ()), ((), ())]


def binary_inputs(op, sa, sb, dtype):
    a, b = rand(sa, dtype, seed=1), rand(sb, dtype, seed=2)
    if op == "pow":
        a = np.abs(a) + 0.5  # positive base: real results and a defined d/db
    if op == "div":
        b = np.sign(b) * (np.abs(b) + 0.5)
    return a, b


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("spelling", ["function", "operator"])
@pytest.mark.parametrize("op", BINARY)
def test_binary(op, spelling, shapes, dtype):
    fn = BINARY[op][spelling == "operator"]
    compare(fn, *binary_inputs(op, *shapes, dtype))


SCALAR_CASES = {
    "x+2.5": lambda x: x + 2.5, "2.5+x": lambda x: 2.5 + x,
    "x+2": lambda x: x + 2, "2+x": lambda x: 2 + x,
    "x-1.5": lambda x: x - 1.5, "1.5-x": lambda x: 1.5 - x,
    "x*3": lambda x: x * 3, "3*x": lambda x: 3 * x,
    "x/4": lambda x: x / 4, "4/x": lambda x: 4 / x,
    "x**2": lambda x: x ** 2, "x**0.5": lambda x: x ** 0.5, "x**-1": lambda x: x ** -1,
    "2**x": lambda x: 2 ** x, "2.5**x": lambda x: 2.5 ** x,
    "add(x,2)": lambda x: x.add(2), "mul(x,0.5)": lambda x: x.mul(0.5),
    "pow(x,3)": lambda x: x.pow(3), "div(x,2)": lambda x: x.div(2),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", SCALAR_CASES)
def test_tensor_scalar(case, dtype):
    x = np.abs(rand((2, 3), dtype)) + 0.25
    compare(lambda L, t: SCALAR_CASES[case](t), x)


COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]
OPERATORS = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__",
             "ge": "__ge__"}


@pytest.mark.parametrize("dtype", FLOATS + ["int64"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (3,))], ids=str)
@pytest.mark.parametrize("op", COMPARISONS)
def test_comparison(op, shapes, dtype):
    # small integers give plenty of ties
    rng = np.random.default_rng(3)
    a = rng.integers(-2, 3, shapes[0]).astype(dtype)
    b = rng.integers(-2, 3, shapes[1]).astype(dtype)
    compare(lambda L, x, y: getattr(L, op)(x, y), a, b)
    compare(lambda L, x, y: getattr(x, OPERATORS[op])(y), a, b)
    compare(lambda L, x, y: getattr(x, op)(y), a, b)


@pytest.mark.parametrize("scalar", [0, 1.0, -0.5])
@pytest.mark.parametrize("op", COMPARISONS)
def test_comparison_with_scalar(op, scalar):
    a = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], dtype="float32")
    compare(lambda L, x: getattr(x, OPERATORS[op])(scalar), a)
    compare(lambda L, x: getattr(L, op)(x, scalar), a)


def test_reversed_comparison_with_scalar():
    a = np.array([-1.0, 0.0, 1.0], dtype="float32")
    compare(lambda L, x: 0 < x, a)
    compare(lambda L, x: 0.0 >= x, a)
    compare(lambda L, x: 1 == x, a)


# ---- elementwise unary --------------------------------------------------------------------
UNARY = ["neg", "abs", "sign", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu"]
POSITIVE = {"log", "sqrt"}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("spelling", ["function", "method"])
@pytest.mark.parametrize("op", UNARY)
def test_unary(op, spelling, dtype):
    x = rand((3, 4), dtype, seed=4)
    if op in POSITIVE:
        x = np.abs(x) + 0.1
    if spelling == "function":
        compare(lambda L, t: getattr(L, op)(t), x)
    else:
        compare(lambda L, t: getattr(t, op)(), x)


@pytest.mark.parametrize("op", ["abs", "sign", "relu", "neg"])
def test_unary_at_zero(op):
    """Subgradient conventions at 0: torch uses sign(0) = 0 for abs and 0 for relu."""
    compare(lambda L, t: getattr(L, op)(t), np.array([-2.0, -0.0, 0.0, 1.5]))


def test_neg_and_abs_operators():
    x = rand((5,), "float32", seed=5)
    compare(lambda L, t: -t, x)
    compare(lambda L, t: abs(t), x)


# ---- reductions ---------------------------------------------------------------------------
SUM_MEAN_ARGS = [
    {}, {"dim": 0}, {"dim": 1}, {"dim": -1}, {"dim": 2, "keepdim": True},
    {"dim": (0, 2)}, {"dim": [0, 1]}, {"dim": [-1, 0], "keepdim": True},
    {"axis": 1}, {"axis": 0, "keepdims": True}, {"axis": [0, 2], "keepdims": True},
    {"dim": 1, "keepdims": True},
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", SUM_MEAN_ARGS, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_sum_mean(op, kwargs, dtype):
    x = rand((2, 3, 4), dtype, seed=6)
    compare(lambda L, t: getattr(t, op)(**kwargs), x)
    compare(lambda L, t: getattr(L, op)(t, **kwargs), x)


def test_sum_positional_dim():
    x = rand((2, 3), "float32")
    compare(lambda L, t: t.sum(1, True), x)
    compare(lambda L, t: L.mean(t, 0), x)


EXTREME_ARGS = [{"dim": 0}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"axis": 0},
                {"axis": 1, "keepdims": True}]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_all(op, dtype):
    compare(lambda L, t: getattr(t, op)(), rand((3, 4), dtype, seed=7))
    compare(lambda L, t: getattr(L, op)(t), rand((3, 4), dtype, seed=7))


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_all_with_ties(op):
    """torch spreads the gradient of a full max/min evenly over tied extremes."""
    x = np.array([[1.0, 3.0, 3.0], [-2.0, 3.0, -2.0]])
    compare(lambda L, t: getattr(t, op)(), x)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", EXTREME_ARGS, ids=str)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_dim(op, kwargs, dtype):
    x = rand((3, 4), dtype, seed=8)
    compare(lambda L, t: getattr(t, op)(**kwargs)[0], x)
    compare(lambda L, t: getattr(L, op)(t, **kwargs)[0], x)
    compare(lambda L, t: getattr(t, op)(**kwargs)[1], x)


def test_max_dim_named_fields():
    x = rand((3, 4), "float32")
    compare(lambda L, t: t.max(dim=1).values, x)
    compare(lambda L, t: t.min(dim=1).indices, x)


@pytest.mark.parametrize("kwargs", [{}, *EXTREME_ARGS], ids=str)
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, kwargs):
    x = rand((3, 4), "float64", seed=9)
    compare(lambda L, t: getattr(t, op)(**kwargs), x)
    compare(lambda L, t: getattr(L, op)(t, **kwargs), x)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_ties_pick_first(op):
    compare(lambda L, t: getattr(t, op)(), np.array([1.0, 5.0, -3.0, 5.0, -3.0]))
    compare(lambda L, t: getattr(t, op)(dim=1), np.array([[2.0, 2.0], [0.0, 0.0]]))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kwargs", [{"dim": 0}, {"dim": 1}, {"dim": -1}, {"axis": 0}], ids=str)
def test_cumsum(kwargs, dtype):
    x = rand((3, 4), dtype, seed=10)
    compare(lambda L, t: t.cumsum(**kwargs), x)
    compare(lambda L, t: L.cumsum(t, **kwargs), x)


def test_cumsum_int64_stays_int64():
    compare(lambda L, t: t.cumsum(0), np.array([1, 2, 3], dtype=np.int64))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call", [
    lambda L, t: t.norm(), lambda L, t: L.norm(t), lambda L, t: t.norm(dim=1),
    lambda L, t: t.norm(dim=0, keepdim=True), lambda L, t: L.norm(t, 2),
], ids=["method", "function", "dim1", "dim0-keepdim", "p=2"])
def test_norm(call, dtype):
    compare(call, rand((3, 4), dtype, seed=11))


def test_norm_vector():
    compare(lambda L, t: t.norm(), rand((5,), "float32", seed=12))


# ---- products -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op,sa,sb", [
    ("dot", (5,), (5,)), ("mv", (3, 4), (4,)), ("mm", (3, 4), (4, 2)),
    ("matmul", (4,), (4,)), ("matmul", (3, 4), (4,)), ("matmul", (4,), (4, 3)),
    ("matmul", (3, 4), (4, 5)), ("matmul", (2, 3, 4), (4, 5)), ("matmul", (4,), (2, 4, 5)),
    ("matmul", (2, 3, 4), (4,)), ("matmul", (1, 3, 4), (2, 4, 5)), ("matmul", (2, 3, 4), (2, 4, 5)),
    ("matmul", (3, 4), (2, 4, 5)), ("bmm", (2, 3, 4), (2, 4, 5)),
], ids=str)
def test_products(op, sa, sb, dtype):
    a, b = rand(sa, dtype, seed=13), rand(sb, dtype, seed=14)
    compare(lambda L, x, y: getattr(L, op)(x, y), a, b)
    compare(lambda L, x, y: getattr(x, op)(y) if op != "bmm" else L.bmm(x, y), a, b)
    if op == "matmul":
        compare(lambda L, x, y: x @ y, a, b)


def test_matmul_transposed_input():
    a, b = rand((4, 3), "float32", seed=15), rand((4, 5), "float32", seed=16)
    compare(lambda L, x, y: x.t() @ y, a, b)
    compare(lambda L, x, y: x.T @ y, a, b)


# ---- shapes -------------------------------------------------------------------------------
SHAPE_OPS = {
    "reshape(-1)": lambda L, t: t.reshape(-1),
    "reshape(4,-1)": lambda L, t: t.reshape(4, -1),
    "reshape((-1,3))": lambda L, t: t.reshape((-1, 3)),
    "L.reshape": lambda L, t: L.reshape(t, (6, 4)),
    "view(2,12)": lambda L, t: t.view(2, 12),
    "view(-1,4)": lambda L, t: t.view(-1, 4),
    "transpose(0,2)": lambda L, t: t.transpose(0, 2),
    "L.transpose(-1,1)": lambda L, t: L.transpose(t, -1, 1),
    "T2d": lambda L, t: t[0].T,
    "t()": lambda L, t: t[1].t(),
    "L.t": lambda L, t: L.t(t[0]),
    "permute(2,0,1)": lambda L, t: t.permute(2, 0, 1),
    "permute((1,2,0))": lambda L, t: t.permute((1, 2, 0)),
    "L.permute": lambda L, t: L.permute(t, (2, 1, 0)),
    "unsqueeze(0)": lambda L, t: t.unsqueeze(0),
    "unsqueeze(-1)": lambda L, t: t.unsqueeze(-1),
    "L.unsqueeze(2)": lambda L, t: L.unsqueeze(t, 2),
    "squeeze()": lambda L, t: t.reshape(2, 1, 3, 1, 4).squeeze(),
    "squeeze(1)": lambda L, t: t.reshape(2, 1, 12).squeeze(1),
    "squeeze(0)-noop": lambda L, t: t.squeeze(0),
    "L.squeeze": lambda L, t: L.squeeze(t.unsqueeze(1)),
    "flatten()": lambda L, t: t.flatten(),
    "flatten(1)": lambda L, t: t.flatten(1),
    "L.flatten": lambda L, t: L.flatten(t, 0, 1),
    "transpose-then-reshape": lambda L, t: t.transpose(0, 1).reshape(3, 8),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", SHAPE_OPS)
def test_shape_ops(op, dtype):
    compare(SHAPE_OPS[op], rand((2, 3, 4), dtype, seed=17))


def test_T_on_3d_reverses_dims():
    # torch deprecates .T on ndim != 2 (a UserWarning) but still reverses all the dims
    with pytest.warns(UserWarning):
        torch.zeros(2, 3, 4).T
    compare(lambda L, t: t.T if L is fg else t.permute(2, 1, 0), rand((2, 3, 4), "float32"))


def test_shape_repr_and_size():
    f, t = both(rand((2, 3, 4)))
    assert repr(f.shape) == repr(t.shape)
    assert repr(f.size()) == repr(t.size())
    assert f.size(1) == t.size(1) and f.size(-1) == t.size(-1)
    assert repr(fg.tensor(1.0).shape) == repr(torch.tensor(1.0).shape)
    assert f.shape == t.shape and f.ndim == t.ndim and f.dim() == t.dim()
    assert f.numel() == t.numel()


# ---- indexing -----------------------------------------------------------------------------
INDEX_1D = {"x[3]": lambda t: t[3], "x[-1]": lambda t: t[-1], "x[1:4]": lambda t: t[1:4],
            "x[::2]": lambda t: t[::2], "x[-3:]": lambda t: t[-3:]}
INDEX_2D = {"A[1]": lambda t: t[1], "A[:, 1]": lambda t: t[:, 1], "A[1, 2]": lambda t: t[1, 2],
            "A[:, 1:3]": lambda t: t[:, 1:3], "A[::2]": lambda t: t[::2],
            "A[-1, -2]": lambda t: t[-1, -2], "A[1:, ::2]": lambda t: t[1:, ::2],
            "A[None]": lambda t: t[None], "A[..., 0]": lambda t: t[..., 0]}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("key", INDEX_1D)
def test_index_1d(key, dtype):
    compare(lambda L, t: INDEX_1D[key](t), rand((6,), dtype, seed=18))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("key", INDEX_2D)
def test_index_2d(key, dtype):
    compare(lambda L, t: INDEX_2D[key](t), rand((4, 5), dtype, seed=19))


def test_index_reused_rows_accumulate_grad():
    compare(lambda L, t: t[0] * t[1] + t[0] + t[:, 2].sum(), rand((3, 4), "float32", seed=20))


def test_index_int_tensor_values():
    compare(lambda L, t: t[1:, 2], np.arange(12).reshape(3, 4))


# ---- joining, where, copies, casts --------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stack_cat(dim, dtype):
    a, b, c = (rand((2, 3), dtype, seed=s) for s in (21, 22, 23))
    compare(lambda L, x, y, z: L.stack([x, y, z], dim=dim), a, b, c)
    compare(lambda L, x, y, z: L.cat([x, y, z], dim=dim), a, b, c)
    compare(lambda L, x, y: L.stack((x, y), dim), a, b)


def test_cat_different_sizes():
    a, b = rand((2, 3), "float32", seed=24), rand((2, 5), "float32", seed=25)
    compare(lambda L, x, y: L.cat([x, y], dim=1), a, b)
    compare(lambda L, x, y: L.cat((x.t(), y.t())), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_where(dtype):
    a, b = rand((3, 4), dtype, seed=26), rand((4,), dtype, seed=27)
    compare(lambda L, x, y: L.where(x > 0, x, y), a, b)
    compare(lambda L, x, y: L.where(x > y, x * 2, y.sin()), a, b)


def test_where_with_scalar():
    a = rand((3, 4), "float32", seed=28)
    compare(lambda L, x: L.where(x > 0, x, 0.0), a)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clone(dtype):
    compare(lambda L, t: t.clone() * 3, rand((2, 3), dtype))
    compare(lambda L, t: L.clone(t), rand((2, 3), dtype))


def test_detach_stops_gradient():
    compare(lambda L, x, y: x * y.detach() + y, rand((3,), seed=29), rand((3,), seed=30))
    fx, tx = both(rand((3,)), requires_grad=True)
    fd, td = (fx * 2).detach(), (tx * 2).detach()
    assert fd.requires_grad == td.requires_grad is False
    assert fd.grad_fn is None and td.grad_fn is None
    assert repr(fd) == repr(td)


@pytest.mark.parametrize("src", ["float32", "float64", "int64"])
@pytest.mark.parametrize("cast", ["float", "double", "long"])
def test_casts(cast, src):
    x = (rand((2, 3), "float64", seed=31) * 3).astype(src)
    compare(lambda L, t: getattr(t, cast)(), x)


def test_cast_gradient_flows_back():
    compare(lambda L, t: t.double() * 2, rand((3,), "float32", seed=32))
    compare(lambda L, t: (t.float() ** 2), rand((3,), "float64", seed=33))


def test_long_truncates_toward_zero():
    compare(lambda L, t: t.long(), np.array([-2.7, -0.5, 0.5, 2.7]))


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


def test_dtype_repr():
    for dt in ["float32", "float64", "int64", "bool"]:
        assert repr(getattr(fg, dt)) == repr(getattr(torch, dt))
        assert repr(fg.tensor([1]).to(getattr(fg, dt)).dtype) == repr(getattr(torch, dt))


# ---- autograd semantics -------------------------------------------------------------------
def run_both(fn):
    """fn(lib) returns a list of tensors; compare them pairwise."""
    for f, t in zip(fn(fg), fn(torch), strict=True):
        if t is None:
            assert f is None
        else:
            assert_same(f, t)


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
        x = L.tensor([1.0], requires_grad=True)
        return [L.tensor(double(x).requires_grad)]
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


def test_inplace_on_leaf_requiring_grad_raises():
    for L in (fg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError):
            x += 1
        with pytest.raises(RuntimeError):
            x.mul_(2)


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


# ---- fastgrad.nn.functional: softmax, log_softmax, cross_entropy, mse_loss -------------------
import fastgrad.nn.functional  # noqa: E402,F401  (fg.nn.functional, as torch.nn.functional)


def nnf(L):
    return L.nn.functional


SOFTMAX_SPELLINGS = {
    "F": lambda L, name, x, dim: getattr(nnf(L), name)(x, dim=dim),
    "torch": lambda L, name, x, dim: getattr(L, name)(x, dim),
    "method": lambda L, name, x, dim: getattr(x, name)(dim),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1),
                                       ((2, 3, 4), -1), ((2, 3, 4), 0), ((), 0)], ids=str)
@pytest.mark.parametrize("spelling", SOFTMAX_SPELLINGS)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_vs_torch(name, spelling, shape, dim, dtype):
    compare(lambda L, x: SOFTMAX_SPELLINGS[spelling](L, name, x, dim), rand(shape, dtype, low=-4, high=4))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_a_transposed_view_and_dtype_argument(name):
    compare(lambda L, x: getattr(nnf(L), name)(x.t(), dim=1, dtype=L.float64) * 2,
            rand((4, 3), "float32"))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_implicit_dim_warns_as_torch(name):
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 2)]:
        f, t = both(rand(shape))
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            got = getattr(nnf(fg), name)(f)
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            want = getattr(nnf(torch), name)(t)
        assert_same(got, want)


def thousands(shape, dtype, seed=0):
    """Logits of +-1000 (and some 0), where a naive exp overflows."""
    return np.random.default_rng(seed).choice([-1000.0, 0.0, 1000.0], shape).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", ["softmax", "log_softmax", "mean", "sum", "none"])
def test_logits_of_a_thousand_match_torch_without_nan(case, dtype):
    x = thousands((6, 5), dtype)
    x[0] = [1000, -1000, 1000, -1000, 1000]  # ties at the top
    target = np.array([0, 1, 2, 3, 4, 1])

    def fn(L, x, target):
        if case in ("softmax", "log_softmax"):
            return getattr(nnf(L), case)(x, dim=1)
        return nnf(L).cross_entropy(x, target, reduction=case)

    for layout in (lambda a: a, lambda a: np.ascontiguousarray(a.T).T):
        compare(fn, layout(x), target)
        f = fg.tensor(layout(x), requires_grad=True)
        out = fn(fg, f, fg.tensor(target))
        out.sum().backward()
        assert np.isfinite(out.detach().numpy()).all() and np.isfinite(f.grad.numpy()).all()


CE_SHAPES = [((4, 5), (4,)), ((5,), ()), ((2, 4, 3), (2, 3)), ((2, 4, 3, 2), (2, 3, 2)),
             ((2, 3, 2, 1, 2), (2, 2, 1, 2)), ((1, 3), (1,))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", CE_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_vs_torch(reduction, shapes, dtype):
    shape, target_shape = shapes
    classes = shape[0] if len(shape) == 1 else shape[1]
    target = np.random.default_rng(2).integers(0, classes, target_shape)
    compare(lambda L, x, t: nnf(L).cross_entropy(x, t, reduction=reduction),
            rand(shape, dtype, low=-3, high=3), target)
    f, t = fg.tensor(rand(shape, dtype), requires_grad=True), torch.tensor(rand(shape, dtype), requires_grad=True)
    f_loss = nnf(fg).cross_entropy(f, fg.tensor(target), reduction=reduction)
    t_loss = nnf(torch).cross_entropy(t, torch.tensor(target), reduction=reduction)
    assert repr(f_loss.grad_fn).split(" ")[0] == repr(t_loss.grad_fn).split(" ")[0]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_ignore_index_vs_torch(reduction, ignore_index):
    target = np.array([2, ignore_index, 0, 2, 1])
    compare(lambda L, x, t: nnf(L).cross_entropy(x, t, ignore_index=ignore_index, reduction=reduction),
            rand((5, 3)), target)


def test_cross_entropy_when_every_target_is_ignored_vs_torch():
    def fn(L):
        x = L.tensor(rand((2, 3)), requires_grad=True)
        loss = nnf(L).cross_entropy(x, L.tensor([-100, -100]))
        loss.backward()
        return [loss, x.grad]
    run_both(fn)


def test_cross_entropy_of_an_empty_batch_vs_torch():
    for reduction in ("mean", "sum", "none"):
        f = nnf(fg).cross_entropy(fg.zeros(0, 3), fg.zeros(0, dtype=fg.int64), reduction=reduction)
        t = nnf(torch).cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long),
                                     reduction=reduction)
        assert_same(f, t)


def test_cross_entropy_legacy_reduce_arguments_vs_torch():
    for kwargs in ({"reduce": False}, {"size_average": False}, {"size_average": True}):
        f, t = both(rand((3, 4)))
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            got = nnf(fg).cross_entropy(f, fg.tensor([0, 1, 3]), **kwargs)
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            want = nnf(torch).cross_entropy(t, torch.tensor([0, 1, 3]), **kwargs)
        assert_same(got, want)


def test_cross_entropy_errors_match_torch():
    cases = [((3, 5), [1, 7, 4]), ((3, 5), [1, -3, 4]), ((3, 5), [1, 0]), ((3, 5), [[1, 0, 2]]),
             ((2, 5, 3), [[0, 9, 0], [0, 0, 0]])]
    for shape, target in cases:
        f_x, t_x = both(rand(shape))
        with pytest.raises(Exception) as want:
            nnf(torch).cross_entropy(t_x, torch.tensor(target))
        with pytest.raises(want.type) as got:
            nnf(fg).cross_entropy(f_x, fg.tensor(target))
        assert str(want.value).rstrip(".") in str(got.value)  # ours adds the op and the shapes
    for reduction in ("avg", "mean "):
        with pytest.raises(ValueError, match=f"^{reduction} is not a valid value for reduction$"):
            nnf(fg).cross_entropy(fg.zeros(2, 3), fg.tensor([0, 1]), reduction=reduction)


MSE_CASES = [((3, 4), (3, 4), "float64", "float64"), ((3, 4), (3, 4), "float32", "float32"),
             ((2, 3), (2, 3), "float32", "float64"), ((3, 4), (4,), "float64", "float64"),
             ((), (), "float32", "float32")]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", MSE_CASES, ids=str)
def test_mse_loss_vs_torch(case, reduction, recwarn):
    sa, sb, da, db = case
    compare(lambda L, a, b: nnf(L).mse_loss(a, b, reduction=reduction),
            rand(sa, da, seed=1), rand(sb, db, seed=2))
    f, t = both(rand(sa, da), requires_grad=True)
    names = [repr(nnf(L).mse_loss(x, x.detach() * 2, reduction=reduction).grad_fn).split(" ")[0]
             for L, x in ((fg, f), (torch, t))]
    assert names[0] == names[1]


def test_mse_loss_size_mismatch_warns_and_raises_as_torch():
    for L in (fg, torch):
        with pytest.warns(UserWarning, match="Using a target size"), \
                pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\)"):
            nnf(L).mse_loss(L.zeros(3, 5), L.zeros(4, 5))


@pytest.mark.parametrize("name", ["relu", "sigmoid"])
def test_relu_sigmoid_vs_torch(name):
    compare(lambda L, x: getattr(nnf(L), name)(x * 1.0), rand((3, 4)))


def test_relu_inplace_vs_torch():
    def fn(L):
        x = L.tensor(rand((3, 4)), requires_grad=True)
        y = x * 2
        out = nnf(L).relu(y, inplace=True)
        (out * L.tensor(rand((3, 4), seed=5))).sum().backward()
        return [out, y, x.grad]
    run_both(fn)
    assert repr(nnf(fg).relu(fg.ones(2, requires_grad=True) * 1, inplace=True).grad_fn).startswith("<ReluBackward0")


def test_fused_backward_of_a_float64_upstream_gradient_vs_torch():
    """A cast's rule passes a float64 gradient back into a float32 graph: the fused kernels
    must read it as float64."""
    def fn(L):
        x = L.tensor(rand((2, 3), "float32"), requires_grad=True)
        w = L.tensor(rand((2, 3), seed=4))
        losses = [nnf(L).softmax(x, 1).double() * w, nnf(L).log_softmax(x, 0).double() * w,
                  nnf(L).cross_entropy(x, L.tensor([0, 2]), reduction="none").double() * w[:, 0]]
        grads = []
        for loss in losses:
            (g,) = L.autograd.grad(loss.sum(), x)
            grads.append(g)
        return grads
    run_both(fn)


# Forward mode and second derivatives through the fused ops, against torch (float64).
NN_HIGHER = {
    "softmax": (lambda L, x: nnf(L).softmax(x * x, dim=1), (3, 4)),
    "softmax_dim0": (lambda L, x: L.softmax(x, 0) * x, (3, 4)),
    "log_softmax": (lambda L, x: nnf(L).log_softmax(x * x, dim=-1), (2, 3, 4)),
    "cross_entropy_mean": (lambda L, x: nnf(L).cross_entropy(x * x, L.tensor([1, 0, 3])), (3, 4)),
    "cross_entropy_sum": (lambda L, x: nnf(L).cross_entropy(x * x, L.tensor([1, -100, 3]),
                                                            reduction="sum"), (3, 4)),
    "cross_entropy_none": (lambda L, x: nnf(L).cross_entropy(x * x, L.tensor([[1, 0], [2, 2]]),
                                                             reduction="none"), (2, 3, 2)),
    "mse_mean": (lambda L, x: nnf(L).mse_loss(x * x, x.sum(0)), (3, 4)),
    "mse_none": (lambda L, x: nnf(L).mse_loss(x, x * x, reduction="none"), (3, 4)),
}


def _higher_data(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, shape)


@pytest.mark.filterwarnings("ignore:Using a target size")  # mse_mean broadcasts
@pytest.mark.parametrize("case", NN_HIGHER)
def test_nn_jvp_matches_torch(case):
    import torch.autograd.forward_ad as torch_fwad
    from fastgrad.autograd import forward_ad as fwad
    fn, shape = NN_HIGHER[case]
    primal, tangent = _higher_data(shape, 1), _higher_data(shape, 2)
    results = []
    for L, ad in ((fg, fwad), (torch, torch_fwad)):
        with ad.dual_level():
            dual = ad.make_dual(L.tensor(primal), L.tensor(tangent))
            results.append(ad.unpack_dual(fn(L, dual)))
    assert_same(results[0].primal, results[1].primal)
    assert_same(results[0].tangent, results[1].tangent)


@pytest.mark.filterwarnings("ignore:Using a target size")  # mse_mean broadcasts
@pytest.mark.parametrize("case", NN_HIGHER)
def test_nn_second_derivative_matches_torch(case):
    fn, shape = NN_HIGHER[case]
    results = []
    for L in (fg, torch):
        x = L.tensor(_higher_data(shape, 1), requires_grad=True)
        out = fn(L, x)
        u = L.tensor(_higher_data(tuple(out.shape), 3))
        (g,) = L.autograd.grad(out, x, u, create_graph=True)
        (gg,) = L.autograd.grad((g * L.tensor(_higher_data(shape, 4))).sum(), x)
        results.append((g, gg))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])
