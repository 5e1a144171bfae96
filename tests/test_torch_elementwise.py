"""fastgrad against real PyTorch, elementwise ops: binary ones with broadcasting and with Python
scalars, comparisons, unary ones: the same inputs through both libraries give the same values,
dtypes, shapes, gradients, reprs and errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_compare import rand, compare, FLOATS  # noqa: E402


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
