"""fastgrad against real PyTorch, elementwise ops: binary ones with broadcasting and with Python
scalars, comparisons, unary ones: the same inputs through both libraries give the same values,
dtypes, shapes, gradients, reprs and errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_compare import rand, compare, FLOATS  # noqa: E402
from ops_db import BINARY, COMPARISONS, UNARY, operands  # noqa: E402


# ---- elementwise binary -------------------------------------------------------------------
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4)),
               ((), (3,)), ((3,), ()), ((), ())]
SPELLED = [(e, spelling) for e in BINARY for spelling in e.spellings()]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("e,spelling", SPELLED, ids=[f"{e.name}-{s}" for e, s in SPELLED])
def test_binary(e, spelling, shapes, dtype):
    compare(e.spellings()[spelling], *operands(e, shapes, dtype, np.random.default_rng(1)))


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


@pytest.mark.parametrize("dtype", FLOATS + ["int64"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (3,))], ids=str)
@pytest.mark.parametrize("e", COMPARISONS, ids=[e.name for e in COMPARISONS])
def test_comparison(e, shapes, dtype):
    # small integers give plenty of ties
    rng = np.random.default_rng(3)
    a = rng.integers(-2, 3, shapes[0]).astype(dtype)
    b = rng.integers(-2, 3, shapes[1]).astype(dtype)
    for fn in e.spellings().values():
        compare(fn, a, b)


@pytest.mark.parametrize("scalar", [0, 1.0, -0.5])
@pytest.mark.parametrize("e", COMPARISONS, ids=[e.name for e in COMPARISONS])
def test_comparison_with_scalar(e, scalar):
    a = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], dtype="float32")
    compare(lambda L, x: e.operator(x, scalar), a)
    compare(lambda L, x: getattr(L, e.name)(x, scalar), a)


def test_reversed_comparison_with_scalar():
    a = np.array([-1.0, 0.0, 1.0], dtype="float32")
    compare(lambda L, x: 0 < x, a)
    compare(lambda L, x: 0.0 >= x, a)
    compare(lambda L, x: 1 == x, a)


# ---- elementwise unary --------------------------------------------------------------------
SPELLED_UNARY = [(e, spelling) for e in UNARY for spelling in e.spellings()]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("e,spelling", SPELLED_UNARY,
                         ids=[f"{e.name}-{s}" for e, s in SPELLED_UNARY])
def test_unary(e, spelling, dtype):
    compare(e.spellings()[spelling], *operands(e, [(3, 4)], dtype, np.random.default_rng(4)))


@pytest.mark.parametrize("op", ["abs", "sign", "relu", "neg"])
def test_unary_at_zero(op):
    """Subgradient conventions at 0: torch uses sign(0) = 0 for abs and 0 for relu."""
    compare(lambda L, t: getattr(L, op)(t), np.array([-2.0, -0.0, 0.0, 1.5]))
