"""fastgrad against real PyTorch, elementwise ops: binary ones with broadcasting and with Python
scalars, comparisons, unary ones: the same inputs through both libraries give the same values,
dtypes, shapes, gradients, reprs and errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import both, rand, compare, FLOATS  # noqa: E402
from ops_db import BINARY, COMPARISONS, MORE, UNARY, operands  # noqa: E402


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


# ---- division, bitwise and logical ops, tests of values (ops_db.MORE) ---------------------------
MORE_SHAPES = {1: [(3, 4)], 2: [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (3,))],
               3: [((3, 4), (4,), (3, 1)), ((3,), (), ())]}
SPELLED_MORE = [(e, spelling, dtype) for e in MORE for spelling in e.spellings()
                for dtype in e.dtypes]


@pytest.mark.parametrize("e,spelling,dtype", SPELLED_MORE,
                         ids=[f"{e.name}-{s}-{d}" for e, s, d in SPELLED_MORE])
def test_more_elementwise(e, spelling, dtype):
    """Each spelling (function, method, operator) in each dtype it takes, broadcast: torch's
    values, dtypes and gradients (floor_divide has none in torch: not differentiated)."""
    for i, shapes in enumerate(MORE_SHAPES[e.arity]):
        shapes = [shapes] if e.arity == 1 else shapes
        compare(e.spellings()[spelling], *operands(e, shapes, dtype, np.random.default_rng(i)),
                grad=e.grad)


REFUSED = [(e, d) for e in MORE for d in ("float32", "int64", "bool") if d not in e.dtypes]


@pytest.mark.parametrize("e,dtype", REFUSED, ids=[f"{e.name}-{d}" for e, d in REFUSED])
def test_more_elementwise_refuses_dtypes_as_torch(e, dtype):
    """bool floor division, bitwise ops of floats, frac of ints...: torch's error type and
    words (hypot and frac of ints, shifts of bools: NotImplementedError naming the kernel)."""
    arrays = [np.ones((2,), dtype)] * e.arity
    errors = []
    for lib in (torch, fg):
        with pytest.raises(Exception) as info:
            getattr(lib, e.name)(*[lib.tensor(a) for a in arrays])
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


SIGNS = np.array([7, -7, 7, -7, 0, 6, -6, 1, -1, 2**62, -2**62], dtype=np.int64)
DIVISORS = np.array([2, 2, -2, -2, 3, 3, -3, 5, -5, 3, -7], dtype=np.int64)
INTEGER_FORMS = {
    "a // b": lambda L, a, b: a // b, "a % b": lambda L, a, b: a % b,
    "fmod": lambda L, a, b: L.fmod(a, b),
    "trunc": lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
    "floor": lambda L, a, b: a.div(b, rounding_mode="floor"),
    "true_divide": lambda L, a, b: L.true_divide(a, b),
    "divide": lambda L, a, b: L.divide(a, b, rounding_mode="floor"),
    "a // 3": lambda L, a, b: a // 3, "-3 // b": lambda L, a, b: -3 // b,
    "a % -4": lambda L, a, b: a % -4,
    "7 % b": lambda L, a, b: 7 % b, "remainder(7, b)": lambda L, a, b: L.remainder(7, b),
    "a // 2.5": lambda L, a, b: a // 2.5, "a % 2.5": lambda L, a, b: a % 2.5,
    "2.5 % b": lambda L, a, b: 2.5 % b, "fmod(a, -3)": lambda L, a, b: a.fmod(-3),
    "int_min // -1": lambda L, a, b: L.tensor([-2**63, 5]) // L.tensor([-1, -1]),
    "int_min % -1": lambda L, a, b: L.tensor([-2**63, 5]) % -1,
    "a & b": lambda L, a, b: a & b, "a | 6": lambda L, a, b: a | 6, "3 ^ b": lambda L, a, b: 3 ^ b,
    "~a": lambda L, a, b: ~a, "a << 3": lambda L, a, b: a << 3, "a >> b": lambda L, a, b: a >> b,
    "1 << b": lambda L, a, b: 1 << b, "a >> 70": lambda L, a, b: a >> 70,
    "a << -1": lambda L, a, b: a << -1,
    "a & True": lambda L, a, b: a & True, "logical_and": lambda L, a, b: L.logical_and(a, b - 3),
    "isclose": lambda L, a, b: L.isclose(a, b, atol=5),
    "nan_to_num": lambda L, a, b: L.nan_to_num(a),
    "atan2": lambda L, a, b: L.atan2(a, b), "isnan": lambda L, a, b: a.isnan(),
    "signbit": lambda L, a, b: L.signbit(a), "where 0.5": lambda L, a, b: L.where(a > 0, a, 0.5),
    "where(cond)": lambda L, a, b: L.stack(L.where((a > b).reshape(1, -1)), 0),
}


@pytest.mark.parametrize("form", sorted(INTEGER_FORMS))
def test_integer_semantics_match_torch(form):
    """int64 operands of every sign pairing: floor division and remainder take the divisor's
    sign, fmod and trunc the dividend's; large values stay exact; with Python numbers, the
    result type is torch's (a float number makes float32)."""
    compare(INTEGER_FORMS[form], SIGNS, DIVISORS)


BOOL_FORMS = {
    "&": lambda L, a, b: a & b, "|": lambda L, a, b: a | b, "^": lambda L, a, b: a ^ b,
    "~": lambda L, a, b: ~a, "& True": lambda L, a, b: a & True, "| 2": lambda L, a, b: a | 2,
    "<< 1": lambda L, a, b: a << 1, "logical_xor": lambda L, a, b: L.logical_xor(a, b),
    "isinf": lambda L, a, b: L.isinf(a), "signbit": lambda L, a, b: a.signbit(),
    "atan2": lambda L, a, b: L.atan2(a, b), "isclose": lambda L, a, b: L.isclose(a, b),
    "nan_to_num": lambda L, a, b: L.nan_to_num(a), "where(cond)": lambda L, a, b: L.where(a)[0],
    "where(0-d cond)": lambda L, a, b: L.cat(L.where(a[0]) + L.where(b[3])),
}


@pytest.mark.parametrize("form", sorted(BOOL_FORMS))
def test_bool_operands_match_torch(form):
    compare(BOOL_FORMS[form], np.array([True, False, True, False]),
            np.array([True, True, False, False]))


ERRORS = {
    "int // 0": lambda L: L.tensor([4, 5]) // L.tensor([1, 0]),
    "int % 0": lambda L: L.tensor([4, 5]) % 0, "7 // int 0": lambda L: 7 // L.tensor([0]),
    "fmod int 0": lambda L: L.fmod(L.tensor([4]), 0),
    "trunc int 0": lambda L: L.div(L.tensor([4]), L.tensor(0), rounding_mode="trunc"),
    "bool //": lambda L: L.tensor([True]) // L.tensor([True]),
    "bool %": lambda L: L.tensor([True]) % L.tensor([True]),
    "bool trunc": lambda L: L.div(L.tensor([True]), L.tensor([True]), rounding_mode="trunc"),
    "rounding mode": lambda L: L.div(L.ones(2), 2, rounding_mode="round"),
    "float &": lambda L: L.ones(2) & 1, "int & float": lambda L: L.tensor([1]) & 1.5,
    "~float": lambda L: ~L.ones(2), "bitwise_not float": lambda L: L.bitwise_not(L.ones(2)),
    "float <<": lambda L: L.ones(2) << 1,
    "bool << bool": lambda L: L.tensor([True]) << L.tensor([True]),
    "logical_and number": lambda L: L.logical_and(L.ones(2), 1.0),
    "isclose dtypes": lambda L: L.isclose(L.ones(2), L.ones(2, dtype=L.float64)),
    "isclose rtol": lambda L: L.isclose(L.ones(2), L.ones(2), rtol=-1),
    "isclose atol": lambda L: L.isclose(L.ones(2), L.ones(2), atol=-0.5),
    "lerp dtypes": lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5),
    "lerp weight dtype": lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(2, dtype=L.float64)),
    "lerp int": lambda L: L.lerp(L.tensor([1]), L.tensor([2]), 0.5),
    "lerp int weight": lambda L: L.lerp(L.tensor([1]), L.tensor([2]), L.tensor([1])),
    "where int condition": lambda L: L.where(L.tensor([1, 0]), 1.0, 0.0),
    "bitwise_and_ into bool": lambda L: L.tensor([True]).bitwise_and_(L.tensor([3])),
    "fmod_ float into int": lambda L: L.tensor([3]).fmod_(2.5),
    "floor_divide backward": lambda L: (L.ones(2, requires_grad=True) // 2).sum().backward(),
    "2 % x backward": lambda L: (2 % L.ones(2, requires_grad=True)).sum().backward(),
    "x // 2 forward mode": lambda L: L.func.jvp(lambda x: x // 2, (L.ones(2),), (L.ones(2),)),
    "2 % x forward mode": lambda L: L.func.jvp(lambda x: 2 % x, (L.ones(2),), (L.ones(2),)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(case):
    """torch's error type and (but where they name our own spellings) words."""
    errors = []
    for lib in (torch, fg):
        with pytest.raises(Exception) as info:
            ERRORS[case](lib)
        errors.append(info.value)
    assert type(errors[1]) is type(errors[0])
    if case in ("int // 0", "int % 0", "7 // int 0", "fmod int 0", "trunc int 0",
                "bool //", "float &", "~float", "isclose dtypes", "lerp dtypes", "lerp int",
                "rounding mode", "where int condition", "floor_divide backward",
                "x // 2 forward mode", "2 % x forward mode"):
        assert str(errors[1]) == str(errors[0])


IN_PLACE = {
    "floor_divide_": lambda L, x, y: x.floor_divide_(y), "//=": lambda L, x, y: x.__ifloordiv__(2),
    "remainder_": lambda L, x, y: x.remainder_(y), "%=": lambda L, x, y: x.__imod__(-1.5),
    "fmod_": lambda L, x, y: x.fmod_(y),
    "div_ floor": lambda L, x, y: x.div_(y, rounding_mode="floor"),
    "true_divide_": lambda L, x, y: x.true_divide_(y), "atan2_": lambda L, x, y: x.atan2_(y),
    "arctan2_": lambda L, x, y: x.arctan2_(y), "hypot_": lambda L, x, y: x.hypot_(y),
    "frac_": lambda L, x, y: x.frac_(), "lerp_": lambda L, x, y: x.lerp_(y, 0.75),
    "lerp_ tensor": lambda L, x, y: x.lerp_(y, y),
    "nan_to_num_": lambda L, x, y: (x * 1e200 * 1e200).nan_to_num_(),
    "logical_not_": lambda L, x, y: x.logical_not_(),
    "logical_and_": lambda L, x, y: x.logical_and_(y),
    "logical_or_": lambda L, x, y: x.logical_or_(y > 1),
    "logical_xor_": lambda L, x, y: x.logical_xor_(y),
}


@pytest.mark.parametrize("case", sorted(IN_PLACE))
def test_in_place_forms_match_torch(case):
    """On a non-leaf (x * 1): the written values, and the gradients through the write (none
    through floor division; past the logical ops, which torch does not record)."""
    compare(lambda L, x, y: IN_PLACE[case](L, x * 1, y), rand((3, 4), seed=1) * 3,
            rand((4,), seed=2, low=0.5, high=3.0), grad=case not in ("floor_divide_", "//="))


INT_IN_PLACE = {
    "&=": lambda L, a, b: a.__iand__(b), "|=": lambda L, a, b: a.__ior__(3),
    "^=": lambda L, a, b: a.__ixor__(b), "<<=": lambda L, a, b: a.__ilshift__(2),
    ">>=": lambda L, a, b: a.__irshift__(b.abs()), "bitwise_not_": lambda L, a, b: a.bitwise_not_(),
    "bitwise_and_": lambda L, a, b: a.bitwise_and_(b),
    "bitwise_or_": lambda L, a, b: a.bitwise_or_(b),
    "bitwise_xor_": lambda L, a, b: a.bitwise_xor_(b),
    "bitwise_left_shift_": lambda L, a, b: a.bitwise_left_shift_(1),
    "bitwise_right_shift_": lambda L, a, b: a.bitwise_right_shift_(1),
    "//=": lambda L, a, b: a.__ifloordiv__(b), "%=": lambda L, a, b: a.__imod__(b),
    "logical_not_": lambda L, a, b: a.logical_not_(),
    "nan_to_num_": lambda L, a, b: a.nan_to_num_(),
}


@pytest.mark.parametrize("case", sorted(INT_IN_PLACE))
def test_integer_in_place_forms_match_torch(case):
    compare(lambda L, a, b: INT_IN_PLACE[case](L, a.clone(), b), SIGNS, DIVISORS)
