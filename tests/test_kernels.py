"""Every C kernel against its for-loop version (reference.py): float32 and float64 (int64 and
bool where the op takes them), sizes 0 and 1, broadcasting, transposed, sliced and reversed
operands. Each family also records its speedup over the loop on one moderate size."""
import math

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import _kernels as K
from fastgrad._fastgrad_c import lib

import ops_db as db
import reference as ref

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12),
       np.float16: dict(rtol=1e-3, atol=1e-3)}  # float16: computed in float, rounded once
LAYOUTS = ["contiguous", "transposed", "sliced", "reversed"]


def laid_out(a, layout):
    """The same values as `a` in another memory layout, so kernels read it through strides."""
    if layout == "contiguous" or a.ndim == 0:
        return np.ascontiguousarray(a)
    if layout == "transposed":
        return np.asfortranarray(a)
    if layout == "sliced":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    if layout == "reversed":
        return np.ascontiguousarray(a[::-1])[::-1]
    raise ValueError(layout)


def values(rng, shape, dtype, low=-3.0, high=3.0):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if dtype == np.int64:
        return rng.integers(int(low), int(high) + 1, shape).astype(np.int64)
    return rng.uniform(low, high, shape).astype(dtype)


def fgt(a):
    """A fastgrad tensor sharing a's memory, whatever its strides."""
    return fg.from_numpy(a)


def assert_close(got, want, dtype):
    got = got.numpy() if isinstance(got, fg.Tensor) else got
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(got, want, **TOL[np.dtype(dtype).type])
    else:
        np.testing.assert_array_equal(got, want)


# ---- elementwise --------------------------------------------------------------------------------
SHAPES = [(), (0,), (1,), (7,), (3, 4), (2, 3, 5)]
PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,)), ((0, 3), (1, 3)),
         ((5, 1, 3), (2, 1))]
UNARY = [(e, d) for e in db.UNARY for d in FLOATS + [np.int64] if d != np.int64 or e.int64]
BINARY = [(e, d) for e in db.BINARY + db.COMPARISONS for d in FLOATS + [np.int64]
          if d != np.int64 or e.int64]


def loop(e, *arrays, out_dtype):
    return ref.elementwise(e.scalar, *arrays, out_dtype=np.bool_ if e.comparison else out_dtype)


@pytest.mark.parametrize("e,dtype", UNARY, ids=[f"{e.name}-{d.__name__}" for e, d in UNARY])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_unary(rng, e, dtype, shape, layout):
    (a,) = (laid_out(x, layout) for x in db.operands(e, [shape], dtype, rng))
    got = getattr(fg, e.name)(fgt(a))
    assert_close(got, loop(e, a, out_dtype=dtype), dtype)


@pytest.mark.parametrize("e,dtype", BINARY, ids=[f"{e.name}-{d.__name__}" for e, d in BINARY])
@pytest.mark.parametrize("shapes", PAIRS)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "reversed"])
def test_binary(rng, e, dtype, shapes, layout):
    a, b = (laid_out(x, layout) for x in db.operands(e, shapes, dtype, rng))
    got = getattr(fg, e.name)(fgt(a), fgt(b))
    want = loop(e, a, b, out_dtype=dtype)
    assert_close(got, want, want.dtype)


# The stored dtypes: integer ops in int32..uint8 (values that stay in range; the wrap-around of
# overflows is compared with torch in test_torch_dtypes) and every op in float16, against the
# loop in a compute dtype rounded to the stored one.
STORED = [np.int32, np.int16, np.int8, np.uint8, np.float16]
def _takes(e, dtype):
    """Whether the row's op takes the stored dtype: as it takes float32 or int64."""
    wide = "float32" if np.dtype(dtype).kind == "f" else "int64"
    return wide in e.dtypes if e.dtypes is not None else wide == "float32" or e.int64


STORED_CASES = [(e, d) for e in db.UNARY + db.BINARY + db.COMPARISONS + db.MORE for d in STORED
                if _takes(e, d)]


@pytest.mark.parametrize("e,dtype", STORED_CASES,
                         ids=[f"{e.name}-{d.__name__}" for e, d in STORED_CASES])
def test_elementwise_in_the_stored_dtypes(rng, e, dtype):
    kind = np.dtype(dtype).kind
    wide = np.float32 if kind == "f" else np.int64
    arrays = [a.astype(dtype) for a in db.operands(e, [(3, 5)] * e.arity, wide, rng)]
    if kind == "u":
        arrays = [np.abs(a.astype(np.int64)).astype(dtype) for a in arrays]
    got = getattr(fg, e.name)(*(fgt(a) for a in arrays))
    out_dtype = e.out_dtype(dtype)  # bool, the stored dtype, or float32 for a float op of ints
    computed = np.bool_ if e.comparison else np.float32 if out_dtype.kind == "f" else wide
    want = loop(e, *(a.astype(computed if computed != np.bool_ else wide) for a in arrays),
                out_dtype=computed).astype(out_dtype)
    assert_close(got, want, out_dtype)


@pytest.mark.parametrize("source", [np.bool_] + FLOATS + [np.int64] + STORED)
@pytest.mark.parametrize("target", [np.bool_] + FLOATS + [np.int64] + STORED)
def test_copy_converts_every_pair_as_numpy_does_in_range(rng, source, target):
    a = laid_out(np.array([0, 1, 3, 7, 100, 127], dtype=source), "reversed")
    got = fg.from_numpy(a).to(fg.from_numpy(np.zeros(0, target)).dtype)
    assert_close(got, a.astype(target), target)


BOOL_OPERANDS = [e for e in db.BINARY + db.COMPARISONS
                 if e.comparison or e.name in ("maximum", "minimum")]


@pytest.mark.parametrize("e", BOOL_OPERANDS, ids=[e.name for e in BOOL_OPERANDS])
def test_bool_operands(rng, e):
    a, b = db.operands(e, [(4, 5), (5,)], np.bool_, rng)
    got = getattr(fg, e.name)(fgt(a), fgt(b))
    assert_close(got, loop(e, a, b, out_dtype=np.bool_), np.bool_)


MORE = [(e, d) for e in db.MORE for d in e.dtypes]
MORE_SHAPES = {1: [(7,), (3, 4), (2, 3, 5), ()], 2: PAIRS, 3: [((3, 4), (4,), (3, 1)), ((), (2, 3), ())]}


@pytest.mark.parametrize("e,dtype", MORE, ids=[f"{e.name}-{d}" for e, d in MORE])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "reversed"])
def test_more_elementwise(rng, e, dtype, layout):
    """The division, bitwise and logical ops and the tests of values, in each dtype they take,
    broadcast and strided, against their rule on one element (int64 divisors off 0)."""
    for shapes in MORE_SHAPES[e.arity]:
        shapes = [shapes] if e.arity == 1 else shapes
        arrays = [laid_out(x, layout) for x in db.operands(e, shapes, dtype, rng)]
        got = getattr(fg, e.name)(*[fgt(a) for a in arrays])
        want = ref.elementwise(e.scalar, *arrays, out_dtype=e.out_dtype(dtype))
        assert_close(got, want, want.dtype)


@pytest.mark.parametrize("name", sorted(ref.BACKWARD))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_fused_backward(rng, name, dtype, layout):
    code = getattr(lib, "FG_" + name.upper())
    g = laid_out(values(rng, (4, 6), dtype), layout)
    saved = [laid_out(values(rng, (4, 6), dtype, -1, 1), layout) for _ in range(1 + (name == "max_backward"))]
    saved[0][0, :3] = 0  # relu and abs at 0; ties for max
    if name == "max_backward":
        saved[1][0, :3] = 0
    fg_dtype = fg.float32 if dtype == np.float32 else fg.float64
    got = K.elementwise(code, fg_dtype, fg_dtype, [fgt(g)] + [fgt(s) for s in saved])
    assert_close(got, ref.elementwise(ref.BACKWARD[name], g, *saved, out_dtype=dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS + [np.int64, np.bool_])
def test_where(rng, dtype):
    c = values(rng, (3, 4), np.bool_)
    a, b = values(rng, (3, 1), dtype), laid_out(values(rng, (3, 4), dtype), "transposed")
    got = fg.where(fgt(c), fgt(a), fgt(b))
    assert_close(got, ref.where(c, a, b), dtype)


def test_nan_propagates():
    a = np.array([np.nan, 1.0, np.nan, -np.inf], np.float32)
    b = np.array([0.0, np.nan, np.nan, 1.0], np.float32)
    for name in ("maximum", "minimum", "add", "mul"):
        got = getattr(fg, name)(fgt(a), fgt(b)).numpy()
        assert np.isnan(got[:3]).all(), name
    assert fg.exp(fgt(np.array([np.inf, -np.inf], np.float64))).tolist() == [np.inf, 0.0]
    assert fg.sigmoid(fgt(np.array([-1000.0, 1000.0]))).tolist() == [0.0, 1.0]


def test_elementwise_speedup(rng, speedup):
    a = values(rng, (100, 100), np.float32)
    b = values(rng, (100, 100), np.float32)
    ta, tb = fgt(a), fgt(b)
    mul, exp, add = (db.ELEMENTWISE[name] for name in ("mul", "exp", "add"))
    speedup("mul 100x100 float32", lambda: loop(mul, a, b, out_dtype=np.float32), lambda: ta * tb)
    speedup("exp 100x100 float32", lambda: loop(exp, a, out_dtype=np.float32), lambda: ta.exp())
    big = values(rng, (100, 1), np.float32)
    tbig = fgt(big)
    speedup("add broadcast (100,1)+(100,100) f32",
            lambda: loop(add, big, a, out_dtype=np.float32), lambda: tbig + ta)


# ---- copies, fill, arange -----------------------------------------------------------------------
ALL_DTYPES = [np.bool_, np.int64, np.float32, np.float64]


@pytest.mark.parametrize("src", ALL_DTYPES)
@pytest.mark.parametrize("dst", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_copy_converts(rng, src, dst, layout):
    a = laid_out(values(rng, (3, 5), src), layout)
    t = fgt(a)
    got = t.contiguous() if src == dst else t.to(fg._dtype.from_numpy_dtype(dst))
    assert got.is_contiguous()
    assert_close(got, ref.copy(a, dst), dst)


@pytest.mark.parametrize("dtype", FLOATS)
def test_copy_float_to_int_is_defined(dtype):
    a = np.array([np.nan, np.inf, -np.inf, 1e30, -2.7, 2.7], dtype)
    assert fgt(a).long().tolist() == [np.iinfo(np.int64).min] * 4 + [-2, 2]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_fill_strided(rng, dtype):
    base = values(rng, (4, 6), dtype)
    view = fgt(base)[:, ::2]
    view.fill_(1)
    expected = np.zeros((4, 6), bool)
    expected[:, ::2] = True
    assert (base[:, ::2] == 1).all()
    assert_close(fgt(base[:, 1::2]), values(np.random.default_rng(0), (4, 6), dtype)[:, 1::2], dtype)


@pytest.mark.parametrize("args", [(5,), (1, 7, 2), (0.0, 1.0, 0.25), (3, -3, -1), (0,), (2.5,)])
def test_arange(args):
    got = fg.arange(*args)
    start, end, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
    want, v = [], start
    while (step > 0 and v < end) or (step < 0 and v > end):
        want.append(v)
        v = start + len(want) * step
    assert got.tolist() == want


RANGES = [(0.0, 1.0, 0.1), (-8.0, 8.0, 0.1), (-3.3, 17.0, 1 / 3), (1e4, -1e4, -7.77), (0.5, 40000.0, 0.7),
          (-1.0, 1.0, 2e-5), (2.5, 2.75, 0.3), (1e8, 1e8 + 500, 1.5)]


@pytest.mark.parametrize("start,end,step,dtype", [  # float16 where the values are finite
    r + (d,) for r in RANGES for d in FLOATS + [np.float16] if d != np.float16 or abs(r[1]) < 6e4])
def test_arange_is_torchs_loop(start, end, step, dtype):
    n = math.ceil((end - start) / step)
    got = K.arange(n, start, step, fg._dtype.from_numpy_dtype(np.dtype(dtype)))
    np.testing.assert_array_equal(got.numpy(), ref.arange(n, start, step, dtype, fg.get_num_threads()))


def test_arange_splits_as_torchs_threads():
    """Past 32768 values the vector pattern restarts at each thread's chunk (torch's values
    depend on its thread count, so ours follow fastgrad's)."""
    before = fg.get_num_threads()
    try:
        for threads, dtype in ((1, np.float32), (2, np.float32), (3, np.float32), (2, np.float16)):
            fg.set_num_threads(threads)
            got = K.arange(70001, -1.0, 0.013, fg._dtype.from_numpy_dtype(np.dtype(dtype))).numpy()
            np.testing.assert_array_equal(got, ref.arange(70001, -1.0, 0.013, dtype, threads))
    finally:
        fg.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.float16])
@pytest.mark.parametrize("start,end,n", [(0, 1, 5), (-3.7, 11.3, 101), (10, -2, 64), (0.1, 0.1, 7),
                                         (5, 9, 1), (-1e5, 3e5, 999), (1, 2, 0)])
@pytest.mark.parametrize("base", [None, 10.0, 2.0, 0.5])
def test_linspace_is_torchs_loop(start, end, n, base, dtype):
    if dtype == np.int64:
        start, end = int(start), int(end)
    if base is not None:
        start, end = start / 1e5 * 3, end / 1e5 * 3  # exponents with finite powers
        if dtype == np.int64:
            start, end = int(start), int(end)
    got = K.linspace(n, start, end, fg._dtype.from_numpy_dtype(np.dtype(dtype)), base)
    np.testing.assert_array_equal(got.numpy(), ref.linspace(n, start, end, dtype, base))


def test_copy_speedup(rng, speedup):
    a = laid_out(values(rng, (100, 100), np.float32), "transposed")
    t = fgt(a)
    speedup("copy strided->contiguous 100x100", lambda: ref.copy(a, np.float32), lambda: t.contiguous())


# ---- reductions ---------------------------------------------------------------------------------
AXES = [(), (0,), (1,), (2,), (0, 2), (0, 1, 2)]


@pytest.mark.parametrize("name,axes", [(n, a) for n in ("sum", "max", "min") for a in AXES
                                       if n == "sum" or len(a) != 2])  # max/min: one dim or all
@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_reduce(rng, name, dtype, axes, layout):
    a = laid_out(values(rng, (3, 4, 5), dtype), layout)
    if name == "sum":
        got = fg.sum(fgt(a), dim=axes or None, keepdim=True)
    elif len(axes) == 1:
        got = getattr(fg, name)(fgt(a), dim=axes[0], keepdim=True).values
    else:
        got = fg.reshape(getattr(fg, name)(fgt(a)), (1, 1, 1))
    fn = {"sum": ref.sum_, "max": ref.max_, "min": ref.min_}[name]
    assert_close(got, fn(a, axes or (0, 1, 2)), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(7, 5), (9, 131), (2050, 130)])
def test_sum_over_rows(rng, dtype, shape):
    """Sums over the outer axis of row-contiguous matrices take four rows per pass (and column
    blocks per thread when large): every row count modulo 4, rows wider apart than their length."""
    a = values(rng, (shape[0], shape[1] + 3), dtype)[:, 1:-2]
    threads = fg.get_num_threads()
    try:
        results = []
        for n in (1, 2):
            fg.set_num_threads(n)
            results.append(fg.sum(fgt(a), dim=0).numpy())
    finally:
        fg.set_num_threads(threads)
    np.testing.assert_array_equal(results[0], results[1])
    assert_close(fg.tensor(results[0]), ref.sum_(a, (0,))[0], dtype)


@pytest.mark.parametrize("shape,axes", [((0,), (0,)), ((0, 3), (0,)), ((0, 3), (1,)), ((1,), (0,)),
                                        ((), ())])
def test_sum_empty_and_single(shape, axes):
    a = np.ones(shape, np.float32)
    got = fg.sum(fgt(a), dim=axes or None, keepdim=True) if shape else fg.sum(fgt(a))
    want = ref.sum_(a, axes) if shape else np.array(1.0, np.float32)
    assert_close(got, want, np.float32)


def test_sum_of_bools_counts(rng):
    a = values(rng, (5, 6), np.bool_)
    got = fg.sum(fgt(a), dim=1)
    assert got.dtype is fg.int64
    assert got.tolist() == [sum(int(v) for v in row) for row in a.tolist()]


@pytest.mark.parametrize("dtype", FLOATS)
def test_mean(rng, dtype):
    a = laid_out(values(rng, (4, 6), dtype), "transposed")
    got = fg.mean(fgt(a), dim=0)
    want = ref.sum_(a, (0,))[0] / 4
    assert_close(got, want.astype(dtype), dtype)


def test_float32_sum_is_accurate(rng):
    a = rng.random(1_000_000).astype(np.float32)
    exact = sum(float(v) for v in a[:1000]) + float(np.sum(a[1000:].astype(np.float64)))
    got = fg.sum(fgt(a)).item()
    assert abs(got - exact) / exact < 1e-6  # a naive float32 loop is off by about 1e-3 here


@pytest.mark.parametrize("name,better", [("argmax", lambda v, b: v > b), ("argmin", lambda v, b: v < b)])
@pytest.mark.parametrize("dtype", FLOATS + [np.int64, np.bool_])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_arg_extremes(rng, name, better, dtype, axis, layout):
    a = laid_out(values(rng, (3, 4, 5), dtype, -2, 2), layout)  # small ints: ties pick the first
    got = getattr(fg, name)(fgt(a), dim=axis, keepdim=True)
    assert_close(got, ref.arg_along(a, axis, better), np.int64)


def test_argmax_nan_wins():
    a = np.array([1.0, np.nan, 5.0, np.nan])
    assert fg.argmax(fgt(a)).item() == 1
    assert fg.argmin(fgt(a)).item() == 1


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_cumsum(rng, dtype, axis, layout):
    a = laid_out(values(rng, (3, 4, 5), dtype), layout)
    assert_close(fg.cumsum(fgt(a), dim=axis), ref.cumsum(a, axis), dtype)


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("axes", [(), (0,), (1,), (2,), (0, 2)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_prod(rng, dtype, axes, layout):
    a = laid_out(values(rng, (3, 4, 5), dtype, -1.5, 1.5), layout)
    got = K.reduce(lib.FG_PROD, fgt(a), axes or (0, 1, 2))
    assert_close(got, ref.prod_(a, axes or (0, 1, 2)), dtype)


def test_int64_prod_wraps_around():
    a = np.array([2**40, 2**40, 3], np.int64)
    want = (2**80 * 3 + 2**63) % 2**64 - 2**63
    assert K.reduce(lib.FG_PROD, fgt(a), (0,)).tolist() == [want]


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_cumprod(rng, dtype, axis, layout):
    a = laid_out(values(rng, (3, 4, 5), dtype, -1.5, 1.5), layout)
    assert_close(fg.cumprod(fgt(a), dim=axis), ref.cumprod(a, axis), dtype)


def _with_ties_and_nans(rng, shape, dtype):
    """Few distinct values (many ties) and, in floats, NaNs among them."""
    a = values(rng, shape, dtype, -2, 2)
    if np.dtype(dtype).kind == "f":
        a = np.round(a)
        a[rng.random(shape) < 0.15] = np.nan
    return a


@pytest.mark.parametrize("dtype", FLOATS + [np.int64, np.bool_])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_sort(rng, dtype, axis, descending, layout):
    a = laid_out(_with_ties_and_nans(rng, (3, 4, 9), dtype), layout)
    code = lib.FG_SORT_DESCENDING if descending else lib.FG_SORT_ASCENDING
    got_values, got_indices = K.sort(code, fgt(a), axis, a.shape)
    want_values, want_indices = ref.sort(a, axis, descending)
    np.testing.assert_array_equal(got_values.numpy(), want_values)
    np.testing.assert_array_equal(got_indices.numpy(), want_indices)


@pytest.mark.parametrize("shape,axis", [((0, 3), 0), ((0, 3), 1), ((1,), 0), ((2, 1), 1)])
def test_sort_empty_and_single(shape, axis):
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    got_values, got_indices = K.sort(lib.FG_SORT_ASCENDING, fgt(a), axis, a.shape)
    np.testing.assert_array_equal(got_values.numpy(), a)
    np.testing.assert_array_equal(got_indices.numpy(), np.zeros(shape, np.int64))


def test_long_rows_sort_stably(rng):
    a = rng.integers(0, 50, 10_000).astype(np.float32)
    got_values, got_indices = K.sort(lib.FG_SORT_ASCENDING, fgt(a), 0, a.shape)
    want = np.argsort(a, kind="stable")  # numpy: the order only (the loop is too slow here)
    np.testing.assert_array_equal(got_indices.numpy(), want)
    np.testing.assert_array_equal(got_values.numpy(), a[want])


@pytest.mark.parametrize("shape,axis", [((300, 400), 1), ((400, 300), 0), ((2, 70000), 1),
                                        ((5, 3, 9000), 1)])
@pytest.mark.parametrize("code", ["FG_SORT_DESCENDING", "FG_SORT_MODE"])
def test_sorts_split_across_threads(rng, shape, axis, code):
    """Rows sorted by threads, each with its own workspace: the same as one thread."""
    a = rng.integers(0, 40, shape).astype(np.float64)
    out_shape = tuple(1 if d == axis and code == "FG_SORT_MODE" else n for d, n in enumerate(shape))
    default = fg.get_num_threads()
    results = []
    for threads in (1, 2):
        fg.set_num_threads(threads)
        results.append([t.numpy() for t in K.sort(getattr(lib, code), fgt(a), axis, out_shape)])
    fg.set_num_threads(default)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)
    if code == "FG_SORT_DESCENDING":  # numpy: the values only (the loop is too slow here)
        np.testing.assert_array_equal(results[0][0], np.flip(np.sort(a, axis), axis))
        np.testing.assert_array_equal(np.take_along_axis(a, results[0][1], axis), results[0][0])


@pytest.mark.parametrize("dtype", FLOATS + [np.int64, np.bool_])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_mode(rng, dtype, axis, layout):
    a = laid_out(values(rng, (3, 4, 7), dtype, -2, 2).round() if np.dtype(dtype).kind == "f"
                 else values(rng, (3, 4, 7), dtype, -2, 2), layout)
    shape = tuple(1 if d == axis else n for d, n in enumerate(a.shape))
    got_values, got_indices = K.sort(lib.FG_SORT_MODE, fgt(a), axis, shape)
    want_values, want_indices = ref.mode(a, axis)
    np.testing.assert_array_equal(got_values.numpy(), want_values)
    np.testing.assert_array_equal(got_indices.numpy(), want_indices)


def test_reduction_speedups(rng, speedup):
    a = values(rng, (100, 100), np.float32)
    t = fgt(a)
    # the references keep the reduced axis (size 1)
    speedup("sum axis 0, 100x100 float32", lambda: ref.sum_(a, (0,)), lambda: t.sum(0, keepdim=True))
    speedup("sum axis 1, 100x100 float32", lambda: ref.sum_(a, (1,)), lambda: t.sum(1, keepdim=True))
    speedup("max axis 1, 100x100 float32", lambda: ref.max_(a, (1,)),
            lambda: t.max(1, keepdim=True).values)
    speedup("cumsum axis 0, 100x100 float32", lambda: ref.cumsum(a, 0), lambda: t.cumsum(0))
    speedup("argmax axis 1, 100x100 float32", lambda: ref.arg_along(a, 1, lambda v, b: v > b),
            lambda: t.argmax(1, keepdim=True))


# ---- products -----------------------------------------------------------------------------------
MM_SHAPES = [(0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (1, 5, 7), (7, 5, 1), (5, 6, 7),
             (13, 300, 9), (9, 17, 600),  # these two cross the kernel's K and N blocks
             (20, 21, 40), (40, 18, 27)]  # ragged in k and n: transposed B packs masked blocks


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m,k,n", MM_SHAPES)
@pytest.mark.parametrize("a_layout", ["contiguous", "transposed", "sliced"])
@pytest.mark.parametrize("b_layout", ["contiguous", "transposed", "reversed"])
def test_mm(rng, dtype, m, k, n, a_layout, b_layout):
    a = laid_out(values(rng, (m, k), dtype), a_layout) if k else np.zeros((m, k), dtype)
    b = laid_out(values(rng, (k, n), dtype), b_layout) if n else np.zeros((k, n), dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(fg.mm(fgt(a), fgt(b)).numpy(), ref.mm(a, b), **tol)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m,k", [(0, 3), (3, 0), (1, 1), (6, 5), (7, 37), (40, 300), (1030, 3)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_mv_and_dot(rng, dtype, m, k, layout):
    a = laid_out(values(rng, (m, k), dtype), layout) if m and k else np.zeros((m, k), dtype)
    x = laid_out(values(rng, (k,), dtype), "sliced" if k and layout != "reversed" else "contiguous")
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(fg.mv(fgt(a), fgt(x)).numpy(), ref.mv(a, x), **tol)
    y = laid_out(values(rng, (k,), dtype), layout) if k else np.zeros(0, dtype)
    np.testing.assert_allclose(fg.dot(fgt(x), fgt(y)).numpy(), ref.dot(x, y), **tol)


@pytest.mark.parametrize("dtype", FLOATS)
def test_long_dot_is_split_the_same_way_for_any_thread_count(rng, dtype):
    # above 2^18 elements a dot runs as fixed pieces in parallel
    x, y = values(rng, (300_001,), dtype), laid_out(values(rng, (300_001,), dtype), "sliced")
    threads = fg.get_num_threads()
    try:
        results = []
        for n in (1, 2):
            fg.set_num_threads(n)
            results.append(fg.dot(fgt(x), fgt(y)).item())
    finally:
        fg.set_num_threads(threads)
    assert results[0] == results[1]
    np.testing.assert_allclose(results[0], ref.dot(x, y), rtol=1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sa,sb", [((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (3, 4, 2)), ((3, 2, 4), (1, 4, 3))])
def test_bmm_broadcast(rng, dtype, sa, sb):
    a, b = values(rng, sa, dtype), laid_out(values(rng, sb, dtype), "transposed")
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(fg.matmul(fgt(a), fgt(b)).numpy(), ref.bmm(a, b), **tol)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m,n,k", [(1, 5, 3), (4, 1, 3), (5, 7, 6), (33, 40, 17)])
@pytest.mark.parametrize("layout", ["contiguous", "sliced"])
def test_product_with_bias(rng, dtype, m, n, k, layout):
    # addmm's kernel call: the row bias added to each row of the product, after it (the
    # rounding of a separate addition), on the gemm, mv and transposed-mv paths alike
    a, b = values(rng, (m, k), dtype), laid_out(values(rng, (k, n), dtype), "transposed")
    bias = laid_out(values(rng, (n,), dtype), layout)
    ta, tb, tbias = fgt(a), fgt(b), fgt(bias)
    out = K.matmul(ta, tb, 1, m, n, k, (m, n), (0,) + a.strides, (0,) + b.strides, tbias,
                   (0, 0, bias.strides[0]))
    np.testing.assert_array_equal(out.numpy(), (ta @ tb).numpy() + bias)
    np.testing.assert_allclose(out.numpy(), ref.mm(a, b) + bias, **TOL[dtype])


@pytest.mark.scale
def test_product_speedups(rng, speedup):
    a, b = values(rng, (64, 64), np.float32), values(rng, (64, 64), np.float32)
    ta, tb = fgt(a), fgt(b)
    speedup("mm 64x64 float32", lambda: ref.mm(a, b), lambda: ta @ tb)
    speedup("mm A^T B 64x64 float32", lambda: ref.mm(a.T, b), lambda: ta.T @ tb)
    x = values(rng, (64,), np.float32)
    tx = fgt(x)
    speedup("mv 64x64 float32", lambda: ref.mv(a, x), lambda: fg.mv(ta, tx))
    v = values(rng, (10000,), np.float32)
    tv = fgt(v)
    speedup("dot 10000 float32", lambda: ref.dot(v, v), lambda: fg.dot(tv, tv))


def test_float32_sums_along_outer_axes_are_accurate():
    a = np.ones((2 ** 24 + 1000, 2), np.float32)
    assert fg.sum(fgt(a), dim=0).tolist() == [16778216.0, 16778216.0]
    assert fg.cumsum(fgt(a[:, 0]), dim=0)[-1].item() == 16778216.0


@pytest.mark.parametrize("name", ["sum", "max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_large_reductions_split_across_threads(rng, name, axis):
    """Big enough for the threaded paths (threads own output columns, or private
    accumulators); numpy is the oracle here, and one thread must agree with two."""
    a = rng.standard_normal((700, 900))
    t = fgt(a)
    results = []
    default = fg.get_num_threads()
    for threads in (1, 2):
        fg.set_num_threads(threads)
        if name == "sum":
            results.append(t.sum(axis).numpy() if axis is not None else t.sum().numpy())
        else:
            r = getattr(t, name)(axis) if axis is not None else getattr(t, name)()
            results.append((r.values if axis is not None else r).numpy())
    fg.set_num_threads(default)
    want = getattr(np, name if name == "sum" else "a" + name)(a, axis=axis)
    np.testing.assert_allclose(results[0], want, rtol=1e-12)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_large_products_split_across_threads(rng, axis):
    """Products take the same threaded paths (numpy the oracle; factors near 1 stay finite)."""
    a = 1 + 1e-3 * rng.standard_normal((700, 900))
    axes = (0, 1) if axis is None else (axis,)
    default = fg.get_num_threads()
    results = []
    for threads in (1, 2):
        fg.set_num_threads(threads)
        results.append(K.reduce(lib.FG_PROD, fgt(a), axes, False).numpy())
    fg.set_num_threads(default)
    np.testing.assert_allclose(results[0], np.prod(a, axis=axis), rtol=1e-10)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10)


@pytest.mark.parametrize("shape,axis", [((32, 10000), 1), ((2, 300000), 1), ((3, 200000), 1),
                                        ((100, 5000), 1), ((4, 100000, 2), 1)])
@pytest.mark.parametrize("name", ["sum", "max", "min"])
def test_threaded_reductions_with_a_short_kept_axis(rng, shape, axis, name):
    """Too few outputs for threads to own them: each thread folds its part of the reduced axis
    into a private copy of every output."""
    a = rng.standard_normal(shape)
    r = getattr(fgt(a), name)(axis)
    got = (r if name == "sum" else r.values).numpy()
    np.testing.assert_allclose(got, getattr(np, name if name == "sum" else "a" + name)(a, axis=axis),
                               rtol=1e-12)


def test_reductions_when_openmp_grants_fewer_threads(tmp_path):
    import subprocess
    import sys
    script = ("import numpy as np, fastgrad as fg\n"
              "a = -1 - np.random.default_rng(0).random((300000, 2))\n"
              "fg.set_num_threads(2)\n"
              "assert np.allclose(fg.tensor(a).max(0).values.numpy(), a.max(0)), 'max'\n"
              "assert np.allclose(fg.tensor(a).sum(0).numpy(), a.sum(0)), 'sum'\n")
    env = dict(__import__("os").environ, OMP_THREAD_LIMIT="1")
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_gradient_through_a_threaded_broadcast_sum():
    x = fg.ones(2, 1, requires_grad=True)
    (x * fg.ones(2, 300000)).sum().backward()
    assert x.grad.tolist() == [[300000.0], [300000.0]]


# ---- softmax, log-softmax and cross entropy (csrc/nn.c) -----------------------------------------
SOFTMAX_CODES = {"softmax": lib.FG_SOFTMAX, "log_softmax": lib.FG_LOG_SOFTMAX}
SOFTMAX_ROWS = {"softmax": ref.softmax_row, "log_softmax": ref.log_softmax_row}
SOFTMAX_BACKWARD_ROWS = {"softmax": ref.softmax_backward_row,
                         "log_softmax": ref.log_softmax_backward_row}
AXIS_CASES = [((7,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 3, 5), 0), ((2, 3, 5), 1), ((2, 3, 5), 2),
              ((1, 1), 1), ((0, 3), 1), ((3, 0), 1)]


def laid_out_any(a, layout):
    """laid_out, leaving 0-d arrays 0-d."""
    return a if a.ndim == 0 else laid_out(a, layout)


@pytest.mark.parametrize("name", sorted(SOFTMAX_CODES))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axis", AXIS_CASES, ids=str)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_softmax(rng, name, dtype, shape, axis, layout):
    a = laid_out(values(rng, shape, dtype, -5, 5), layout)
    got = K.softmax(SOFTMAX_CODES[name], fgt(a), axis)
    assert_close(got, ref.along_axis(SOFTMAX_ROWS[name], axis, a), dtype)


@pytest.mark.parametrize("name", sorted(SOFTMAX_CODES))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axis", AXIS_CASES, ids=str)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_softmax_backward(rng, name, dtype, shape, axis, layout):
    y = ref.along_axis(SOFTMAX_ROWS[name], axis, values(rng, shape, dtype, -5, 5))
    y = laid_out(np.ascontiguousarray(y), layout)
    g = laid_out(values(rng, shape, dtype), "reversed")
    got = K.softmax_backward(SOFTMAX_CODES[name], fgt(g), fgt(y), axis)
    assert_close(got, ref.along_axis(SOFTMAX_BACKWARD_ROWS[name], axis, g, y), dtype)


@pytest.mark.parametrize("name", sorted(SOFTMAX_CODES))
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_of_a_scalar(name, dtype):
    got = K.softmax(SOFTMAX_CODES[name], fgt(np.array(2.5, dtype)), 0)
    assert_close(got, np.array(ref.along_axis(SOFTMAX_ROWS[name], 0, np.array([2.5], dtype))[0]), dtype)


CE_CASES = [((4, 5), 1), ((5,), 0), ((2, 4, 3), 1), ((2, 3, 2, 2), 1), ((3, 1), 1), ((0, 3), 1)]


def class_targets(rng, shape, axis, ignore_index=-100):
    """Random class indices, one per position off the class axis, every third one ignored."""
    target = np.asarray(rng.integers(0, shape[axis], shape[:axis] + shape[axis + 1:]), np.int64)
    target.reshape(-1)[::3] = ignore_index
    return target


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axis", CE_CASES, ids=str)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "reversed"])
def test_cross_entropy(rng, dtype, shape, axis, layout):
    x = laid_out(values(rng, shape, dtype, -5, 5), layout)
    target = class_targets(rng, shape, axis)
    loss, counted = K.cross_entropy(fgt(x), fgt(laid_out_any(target, layout)), axis, -100)
    expected = ref.cross_entropy(x, target, axis, -100)
    assert_close(loss, expected, dtype)
    assert counted == int((target != -100).sum())
    for reduction, divisor in (("sum", 1), ("mean", int(counted))):  # reduced in the same call
        total, _ = K.cross_entropy(fgt(x), fgt(laid_out_any(target, layout)), axis, -100, reduction)
        with np.errstate(invalid="ignore"):  # every target ignored: the mean is 0 / 0, NaN
            assert_close(total, np.asarray(np.float64(expected.sum()) / divisor, dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axis", CE_CASES, ids=str)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "reversed"])
@pytest.mark.parametrize("mean", [False, True])
@pytest.mark.parametrize("reduced", [False, True])
def test_cross_entropy_backward(rng, dtype, shape, axis, layout, mean, reduced):
    """The upstream gradient per position (reduction "none") or one for all (a reduced loss)."""
    x = laid_out(values(rng, shape, dtype, -5, 5), layout)
    target = class_targets(rng, shape, axis, ignore_index=1)
    g = values(rng, () if reduced else target.shape, dtype)
    got = K.cross_entropy_backward(fgt(laid_out_any(g, "reversed")), fgt(x), fgt(target), axis, 1, mean)
    counted = int((target != 1).sum())
    scale = 1 / counted if mean and counted else 1
    assert_close(got, ref.cross_entropy_backward(g, x, target, axis, 1, scale), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_logits_of_a_thousand_stay_finite(dtype):
    x = np.array([[1000, -1000, 0], [-1000, -1000, -1000], [1000, 1000, -1000]], dtype)
    target = np.array([1, 0, 2], np.int64)
    for name in SOFTMAX_CODES:
        got = K.softmax(SOFTMAX_CODES[name], fgt(x), 1)
        assert np.isfinite(got.numpy()).all()
        assert_close(got, ref.along_axis(SOFTMAX_ROWS[name], 1, x), dtype)
    loss, _ = K.cross_entropy(fgt(x), fgt(target), 1, -100)
    assert_close(loss, ref.cross_entropy(x, target, 1, -100), dtype)
    grad = K.cross_entropy_backward(fgt(np.array(1.0, dtype)), fgt(x), fgt(target), 1, -100, True)
    assert np.isfinite(grad.numpy()).all()
    assert_close(grad, ref.cross_entropy_backward(np.array(1.0), x, target, 1, -100, 1 / 3), dtype)


def test_nan_logits_propagate():
    x = np.array([[np.nan, 1.0], [0.0, 1.0]])
    got = K.softmax(lib.FG_SOFTMAX, fgt(x), 1).numpy()
    assert np.isnan(got[0]).all() and np.isfinite(got[1]).all()


def test_cross_entropy_checks_every_target_before_writing(rng):
    """The first target out of range, in order, is reported, and the loss is left untouched."""
    from fastgrad._fastgrad_c import ffi
    x = values(rng, (4, 3), np.float64)
    target = np.array([1, 7, -1, 2], np.int64)
    loss = np.full(4, 123.0)
    info = ffi.new("int64_t *")
    strides = [8, 0] + list(x.strides) + [8, 0]
    total = np.full((), 123.0)
    status = lib.fg_cross_entropy(lib.FG_FLOAT64, 2, [4, 3], strides, 1, -100, 1, fgt(loss)._ptr,
                                  fgt(total)._ptr, fgt(x)._ptr, fgt(target)._ptr, info)
    assert (status, info[0]) == (lib.FG_EINDEX, 7)
    assert (loss == 123.0).all() and total == 123.0
    with pytest.raises(IndexError, match=r"^cross_entropy\(\): Target -1 is out of bounds "):
        K.cross_entropy(fgt(x), fgt(np.array([0, -1, 9, 0])), 1, -100)
    with pytest.raises(IndexError):
        K.cross_entropy_backward(fgt(np.array(1.0)), fgt(x), fgt(target), 1, -100, False)


@pytest.mark.parametrize("shape", [(70000, 3), (40, 2000), (3, 50, 600)])
def test_fused_kernels_agree_across_thread_counts(rng, shape):
    """Enough work for threads to split the rows (many short ones, or few long ones): each row
    is computed alike on any thread."""
    x = values(rng, shape, np.float64)
    target = class_targets(rng, x.shape, 1)
    g = values(rng, target.shape, np.float64)
    threads = fg.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            fg.set_num_threads(n)
            results.append([K.softmax(lib.FG_SOFTMAX, fgt(x), 1).numpy(),
                            K.cross_entropy(fgt(x), fgt(target), 1, -100)[0].numpy(),
                            K.cross_entropy_backward(fgt(g), fgt(x), fgt(target), 1, -100, True).numpy()])
    finally:
        fg.set_num_threads(threads)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)
    rows = slice(0, 50)  # a sample of rows against the loops
    assert_close(results[0][1][rows], ref.cross_entropy(x[rows], target[rows], 1, -100), np.float64)


# ---- indexing: gather, scatter, flat indices, nonzero -------------------------------------------
ALL_DTYPES = FLOATS + [np.int64, np.bool_]
ALONG = [((4,), 0, (6,)), ((3, 4), 1, (3, 5)), ((3, 4), 0, (2, 4)), ((2, 3, 4), 1, (2, 5, 3)),
         ((2, 3, 4), 2, (1, 2, 4)), ((3, 0), 0, (2, 0))]


def _index(rng, shape, size, layout):
    return laid_out(rng.integers(0, size, shape).astype(np.int64), layout)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("x_shape,dim,index_shape", ALONG)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_gather(rng, dtype, x_shape, dim, index_shape, layout):
    x = laid_out(values(rng, x_shape, dtype), layout)
    index = _index(rng, index_shape, max(x_shape[dim], 1), layout)
    out = fg.empty(index_shape, dtype=fg.tensor(x).dtype)
    K.gather(out, fgt(x), dim, fgt(index))
    assert_close(out, ref.gather(x, dim, index), dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("code", ["FG_SCATTER_ADD", "FG_SCATTER_ASSIGN", "FG_SCATTER_MULTIPLY"])
@pytest.mark.parametrize("x_shape,dim,index_shape", ALONG)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_scatter(rng, dtype, code, x_shape, dim, index_shape, layout):
    index_shape = tuple(min(i, x) if d != dim else i for d, (i, x) in enumerate(zip(index_shape, x_shape)))
    out = values(rng, x_shape, dtype)
    src = laid_out(values(rng, index_shape, dtype), layout)
    index = _index(rng, index_shape, max(x_shape[dim], 1), layout)  # repeats: they accumulate
    want = ref.scatter(out, dim, index, src, {"FG_SCATTER_ADD": "add",
                                              "FG_SCATTER_MULTIPLY": "multiply"}.get(code))
    target = laid_out(out.copy(), layout)
    K.scatter(getattr(lib, code), fgt(target), dim, fgt(index), fgt(src))
    assert_close(target, want, dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("kernel", ["gather", "FG_SCATTER_ADD", "FG_SCATTER_ASSIGN",
                                    "FG_SCATTER_MULTIPLY"])
def test_whole_row_index(rng, dtype, kernel):
    """An index repeated along each row (stride 0: embedding's and index_select's) moves
    whole contiguous rows, a path of its own in the kernels."""
    index = np.broadcast_to(rng.integers(0, 5, 7)[:, None], (7, 6))  # rows repeat: accumulate
    x = values(rng, (5, 6), dtype)
    if kernel == "gather":
        out = fg.empty((7, 6), dtype=fg.tensor(x).dtype)
        K.gather(out, fgt(x), 0, fgt(index))
        assert_close(out, ref.gather(x, 0, index), dtype)
        return
    src = values(rng, (7, 6), dtype)
    want = ref.scatter(x, 0, index, src, {"FG_SCATTER_ADD": "add",
                                          "FG_SCATTER_MULTIPLY": "multiply"}.get(kernel))
    K.scatter(getattr(lib, kernel), fgt(x), 0, fgt(index), fgt(src))
    assert_close(x, want, dtype)


@pytest.mark.parametrize("kernel", ["gather", "scatter"])
@pytest.mark.parametrize("bad", [3, -1, 100])
def test_index_out_of_bounds_writes_nothing(kernel, bad):
    x = np.arange(6.0).reshape(2, 3)
    index = np.array([[0, 1], [bad, 2]])
    out = np.full((2, 2) if kernel == "gather" else (2, 3), -7.0)
    with pytest.raises(IndexError, match=f"^bad {bad}$"):
        if kernel == "gather":
            K.gather(fgt(out), fgt(x), 1, fgt(index), lambda i: IndexError(f"bad {i}"))
        else:
            K.scatter(lib.FG_SCATTER_ADD, fgt(out), 1, fgt(index), fgt(x[:, :2]),
                      lambda i: IndexError(f"bad {i}"))
    assert (out == -7.0).all()


@pytest.mark.parametrize("shapes,sizes", [([(4,)], [5]), ([(3, 1), (4,)], [3, 4]),
                                          ([(2, 3), (3,), ()], [2, 5, 3]), ([(0,), (1,)], [2, 2])])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_fold(rng, shapes, sizes, layout):
    indices = [laid_out(rng.integers(-n, n, s).astype(np.int64), layout) for s, n in zip(shapes, sizes)]
    shape = np.broadcast_shapes(*shapes)
    out = fg.zeros(shape, dtype=fg.int64)
    for index, n in zip(indices, sizes):
        K.index_fold(out, fgt(index), n, None)
    assert_close(out, ref.flat_index(indices, sizes), np.int64)


def test_index_fold_rejects_out_of_bounds_first_in_order():
    out = fg.zeros(4, dtype=fg.int64)
    with pytest.raises(IndexError, match="^bad 5$"):
        K.index_fold(out, fgt(np.array([0, 5, -4, 7])), 4, lambda i: IndexError(f"bad {i}"))
    assert out.tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 4), (2, 1, 5), (2, 0, 3)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_nonzero(rng, dtype, shape, layout):
    x = values(rng, shape, dtype, -1, 1)
    if np.dtype(dtype).kind == "f":
        x = np.where(rng.random(shape) < 0.4, 0, x).astype(dtype)
    x = laid_out(x, layout)
    assert_close(K.nonzero(fgt(x)), ref.nonzero(x), np.int64)



def _ulps(got, want):
    """Distance in float32 units in the last place (monotonic integer images of the floats)."""
    def key(a):
        i = a.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)
    return np.abs(key(got) - key(want))


@pytest.mark.parametrize("name,exact,lo,hi", [("exp", np.exp, -110.0, 95.0),
                                               ("tanh", np.tanh, -12.0, 12.0)])
def test_float32_exp_and_tanh_round_as_libm_does(name, exact, lo, hi):
    """float32 exp and tanh are computed in double by vecmath.h's polynomial: against the
    double result rounded once to float32, at most one ulp off anywhere (overflow, underflow to
    subnormals and 0, tiny x, both signs of zero, infinities, NaN) and exact nearly always."""
    x = np.concatenate([np.linspace(lo, hi, 400_001, dtype=np.float32),
                        np.float32(2.0) ** -np.arange(1, 150, dtype=np.float32),
                        -np.float32(2.0) ** -np.arange(1, 150, dtype=np.float32),
                        np.float32([0.0, -0.0, np.inf, -np.inf, 88.72283, 88.72284, -87.33655,
                                    -103.97208, -103.97209, 2.0**-12, -2.0**-12, 9.01])])
    got = getattr(fg.tensor(x), name)().numpy()
    with np.errstate(over="ignore"):  # exp's overflow to inf is among the cases
        want = exact(x.astype(np.float64)).astype(np.float32)
    ulps = _ulps(got, want)
    assert ulps.max() <= 1, (x[ulps.argmax()], got[ulps.argmax()], want[ulps.argmax()])
    assert (ulps == 0).mean() > 0.9999
    assert np.array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))
    assert np.isnan(getattr(fg.tensor(np.float32([np.nan])), name)().item())


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim", [((300, 7), 0), ((5, 300), 1), ((3, 40, 270), 1),
                                        ((3, 40, 270), 0), ((600, 3), 0), ((2, 700), 1)])
def test_softmax_along_every_kind_of_axis_matches_float64(shape, dim, dtype, log):
    """Rows along a contiguous axis (chunks through the vectorized exp), positions side by side
    along a strided one (several chunks of them at once), with NaN and infinities placed in
    some rows."""
    x = np.random.default_rng(3).uniform(-30, 30, shape).astype(dtype)
    rows = np.moveaxis(x, dim, -1)  # a view: writes reach x
    row = lambda r: np.unravel_index(r, rows.shape[:-1])  # noqa: E731
    rows[row(0)][0] = np.nan
    rows[row(1)][2] = np.inf
    rows[row(rows[..., 0].size - 1)][:] = -np.inf
    with np.errstate(invalid="ignore"):
        want = np.moveaxis(ref_softmax(np.moveaxis(x.astype(np.float64), dim, -1), log), -1, dim)
    t = fg.from_numpy(x)
    got = (fg.nn.functional.log_softmax(t, dim) if log else t.softmax(dim)).numpy()
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, want.astype(dtype), equal_nan=True, **tol)


def ref_softmax(x, log):
    """Softmax over the last axis in float64, rows with NaN NaN and rows of -inf NaN, as torch."""
    m = x.max(-1, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(-1, keepdims=True)
    return (x - m) - np.log(s) if log else e / s
