"""Properties over generated inputs (hypothesis): every C kernel against its for-loop reference
(reference.py) on random shapes, broadcast pairs, memory layouts and dtypes, and random small op
graphs against finite differences.

Layouts: every operand is read through strides a generator picks: axes stepped over a larger
buffer or reversed, the axes' order permuted (transposes), axes of inputs broadcast with stride 0
(expanded), 0-d tensors and empty dimensions. Written-to tensors are strided views of a larger
buffer, whose other elements must stay untouched.

Tolerances: integer and bool results are exact. A floating result is within a few units of its
dtype's epsilon of the loop's value for one rounding (elementwise ops, libm), plus, where the
kernel sums n terms, n * eps * (the sum of the terms' magnitudes): the classic bound of a
floating-point sum in any order."""
import math

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastgrad as fg
from fastgrad import _kernels as K
from fastgrad._fastgrad_c import lib
import reference as ref
from ops_db import ELEMENTWISE, STEPS
import ops_db as db
from gradcheck import gradcheck

SETTINGS = settings(max_examples=100, deadline=None)
FLOATS = [np.float32, np.float64]
DTYPES = st.sampled_from([np.float32, np.float64, np.int64])
ALL_DTYPES = st.sampled_from([np.float32, np.float64, np.int64, np.bool_])
FG_DTYPE = {np.float32: fg.float32, np.float64: fg.float64, np.int64: fg.int64, np.bool_: fg.bool}


# Shapes: small ones with 0-d and empty dims; many dims (the iterator merges and orders axes);
# long rows (vectorized loop bodies and their tails, pairwise-summation blocks).
def any_shapes(min_dims=0, min_side=0):
    return st.one_of(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=4),
                     hnp.array_shapes(min_dims=4, max_dims=6, min_side=1, max_side=3),
                     hnp.array_shapes(min_dims=max(min_dims, 1), max_dims=2,
                                      min_side=max(min_side, 1), max_side=40))


SHAPES = any_shapes()
LONG = st.integers(129, 300)  # past 128 elements pairwise sums split their rows
LONG_ROWS = st.one_of(st.tuples(LONG), st.tuples(st.integers(1, 6), LONG),
                      st.tuples(LONG, st.integers(1, 6)))
BROADCAST = {n: st.one_of(
    hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3, max_side=4),
    hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=4, max_dims=6, min_side=1,
                                      max_side=3),
    hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=1, max_dims=2, min_side=1,
                                      max_side=40))
    for n in (1, 2, 3)}


def eps(dtype):
    return float(np.finfo(dtype).eps) if np.dtype(dtype).kind == "f" else 0.0


def assert_matches(got, want, ulps=4, atol=0.0):
    """got (a tensor or an array) against the loop's `want`: the same shape and dtype; floats
    within `ulps` epsilons of want relative to it, plus `atol` (a scalar or an array of error
    bounds, one per element); other dtypes exactly. NaN matches NaN."""
    got = got.detach().numpy() if isinstance(got, fg.Tensor) else np.asarray(got)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    info = np.finfo(want.dtype)
    g, w = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = ulps * float(info.eps) * np.abs(w) + atol + float(info.tiny)
        finite = np.isfinite(g) & np.isfinite(w)  # infinities and NaNs must match exactly
        same = (g == w) | (np.isnan(g) & np.isnan(w)) | (finite & (np.abs(g - w) <= bound))
    if not same.all():
        bad = np.argwhere(~same)[0]
        i = tuple(bad)
        raise AssertionError(f"at {i}: got {g[i]!r}, loop {w[i]!r}, allowed error "
                             f"{np.broadcast_to(bound, w.shape)[i]!r}\ngot:\n{got}\nloop:\n{want}")


def sum_bound(abs_sums, n, dtype):
    """The error bound of sums of n terms whose magnitudes add up to abs_sums."""
    with np.errstate(invalid="ignore"):  # eps 0 (integers) times an infinite magnitude
        return (n + 1) * eps(dtype) * np.asarray(abs_sums, np.float64)


def t(a):
    """A fastgrad tensor sharing a's memory, whatever its strides."""
    return fg.from_numpy(a)


# ---- generated inputs --------------------------------------------------------------------------
def elements(dtype, lo=-3.0, hi=3.0, ties=True, special=False):
    """Values of dtype in [lo, hi]; with `ties`, often one of a few round values, so that equal
    elements (comparisons, extremes, argmax ties) and zeros (relu, abs, sign) come up; with
    `special`, floats may also be NaN or infinite."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return st.booleans()
    if kind == "i":
        return st.integers(math.ceil(lo), math.floor(hi))
    floats = st.floats(lo, hi, width=32 if dtype == np.float32 else 64)
    round_values = [v for v in (0.0, 1.0, -1.0, 0.5, 2.0, -2.5) if lo <= v <= hi] if ties else []
    if special:
        round_values += [math.nan, math.inf, -math.inf]
    return st.one_of(st.sampled_from(round_values), floats) if round_values else floats


@st.composite
def laid_out_arrays(draw, shape, dtype, values=None, expand=False, fill=None):
    """An array of `shape` whose memory is read through strides: every axis may be stepped over
    a larger buffer or reversed, the axes may be stored in any order (a transposed view), and,
    with `expand`, an axis may be stored once and read with stride 0 (broadcast). The values
    are drawn from `values` (default: elements(dtype)), or made by `fill(stored shape)`."""
    ndim = len(shape)
    steps = [draw(st.sampled_from([1, 1, 2, -1, -2])) for _ in shape]
    expanded = [expand and n > 1 and draw(st.integers(0, 3)) == 0 for n in shape]
    order = draw(st.permutations(range(ndim))) if ndim > 1 else list(range(ndim))
    stored = [1 if e else n * abs(s) for n, s, e in zip(shape, steps, expanded)]
    stored_shape = tuple(stored[d] for d in order)
    if fill is not None:
        base = fill(stored_shape)
    else:
        base = draw(hnp.arrays(dtype, stored_shape,
                               elements=values if values is not None else elements(dtype)))
    base = base.transpose(np.argsort(order))  # axis d of `base` is stored as axis order.index(d)
    steps = [1 if e else s for s, e in zip(steps, expanded)]
    view = base[tuple(slice(None, None, s) for s in steps) + (Ellipsis,)]
    return np.broadcast_to(view, shape) if any(expanded) else view  # 0-d stays an array


@st.composite
def big_laid_out_arrays(draw, shape, dtype, expand=False):
    """laid_out_arrays for arrays too big to draw element by element: the layout is drawn, the
    values come from a drawn seed (uniform in [-3, 3], or small integers)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))

    def values(shape):
        if np.dtype(dtype).kind == "f":
            return rng.uniform(-3, 3, shape).astype(dtype)
        return rng.integers(-3, 4, shape).astype(dtype)
    return draw(laid_out_arrays(shape, dtype, expand=expand, fill=values))


@st.composite
def writable_views(draw, shape, dtype):
    """(base, key): base[key] is a strided, possibly reversed and transposed, view of shape
    `shape` into a larger contiguous base; everything else in base must stay as it is."""
    ndim = len(shape)
    steps = [draw(st.sampled_from([1, 2, -1, -2])) for _ in shape]
    starts = [draw(st.integers(0, 1)) for _ in shape]
    order = tuple(draw(st.permutations(range(ndim)))) if ndim > 1 else tuple(range(ndim))
    full = [n * abs(s) + 1 for n, s in zip(shape, steps)]
    base = draw(hnp.arrays(dtype, tuple(full[d] for d in order), elements=elements(dtype)))
    inverse = tuple(np.argsort(order).tolist())
    slices = []
    for n, s, b in zip(shape, steps, starts):
        first = b if s > 0 else b + (n - 1) * -s
        end = first + n * s
        slices.append(slice(first, end if end >= 0 else None, s) if n else slice(0, 0))
    return base, (inverse, tuple(slices) + (Ellipsis,))


def view_of(base, key):
    inverse, slices = key
    return base.transpose(inverse)[slices]


def as_1d(a):
    return a.reshape(1) if a.ndim == 0 else a


# ---- elementwise ---------------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), e=st.sampled_from(db.UNARY), dtype=DTYPES, shape=SHAPES)
def test_unary_kernels_match_loops(data, e, dtype, shape):
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, *e.domain), expand=True))
    out_dtype = dtype if dtype != np.int64 or e.int64 else np.float32  # int64 computed as float32
    got = getattr(fg, e.name)(t(x))
    assert_matches(got, ref.elementwise(e.scalar, x, out_dtype=out_dtype))


# division and powers have tests of their own (their domains)
BINARY = [e.name for e in db.BINARY if e.name not in ("div", "pow")]
BOOL_BINARY = [name for name in BINARY if name != "sub"]  # torch has no bool subtraction


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, shapes=BROADCAST[2])
def test_binary_kernels_match_loops(data, dtype, shapes):
    """NaN and infinities included (maximum and minimum propagate NaN, as torch); bools add as
    "or" and multiply as "and" (and have no subtraction)."""
    op = data.draw(st.sampled_from(BINARY if dtype != np.bool_ else BOOL_BINARY))
    a, b = (data.draw(laid_out_arrays(s, dtype, elements(dtype, special=True), expand=True))
            for s in shapes.input_shapes)
    got = getattr(fg, op)(t(a), t(b))
    assert_matches(got, ref.elementwise(ELEMENTWISE[op].scalar, a, b, out_dtype=dtype), ulps=1)


@SETTINGS
@given(data=st.data(), dtype=DTYPES,
       shapes=BROADCAST[2])
def test_division_matches_loops(data, dtype, shapes):
    """int64 / int64 divides as float32, as torch."""
    a = data.draw(laid_out_arrays(shapes.input_shapes[0], dtype, expand=True))
    away_from_zero = st.one_of(elements(dtype, 0.25, 3.0), elements(dtype, -3.0, -0.25))
    b = data.draw(laid_out_arrays(shapes.input_shapes[1], dtype, away_from_zero, expand=True))
    out_dtype = np.float32 if dtype == np.int64 else dtype
    want = ref.elementwise(ELEMENTWISE["div"].scalar, a, b, out_dtype=out_dtype)
    assert_matches(t(a) / t(b), want, ulps=1)


@SETTINGS
@given(data=st.data(), dtype=DTYPES,
       shapes=BROADCAST[2])
def test_tensor_powers_match_loops(data, dtype, shapes):
    """Floating bases are positive (a real power of any exponent); int64 powers are exact."""
    if dtype == np.int64:
        a, b = (data.draw(laid_out_arrays(s, dtype, values, expand=True)) for s, values in
                zip(shapes.input_shapes, [st.integers(-4, 4), st.integers(0, 5)]))
        want = ref.elementwise(ref.int_pow, a, b, out_dtype=np.int64)
    else:
        a = data.draw(laid_out_arrays(shapes.input_shapes[0], dtype, elements(dtype, 0.0625, 3.0),
                                      expand=True))
        b = data.draw(laid_out_arrays(shapes.input_shapes[1], dtype, elements(dtype, -2.0, 2.0),
                                      expand=True))
        want = ref.elementwise(ELEMENTWISE["pow"].scalar, a, b, out_dtype=dtype)
    assert_matches(fg.pow(t(a), t(b)), want)


SCALAR_FORMS = {  # name: (the fastgrad expression, its loop, the scalars it is tried with)
    "x + s": (lambda x, s: x + s, lambda v, s: v + s, [-2.5, 0.0, 1.0, 3.0]),
    "s - x": (lambda x, s: s - x, lambda v, s: s - v, [-2.5, 0.0, 1.0, 3.0]),
    "x * s": (lambda x, s: x * s, lambda v, s: v * s, [-2.5, 0.0, 0.5, 3.0]),
    "s / x": (lambda x, s: s / x, lambda v, s: s / v, [-2.5, 1.0, 3.0]),
    "x / s": (lambda x, s: x / s, lambda v, s: v / s, [-2.5, 0.5, 3.0]),
    "x ** s": (lambda x, s: x ** s, lambda v, s: v ** s, [-1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0]),
    "s ** x": (lambda x, s: s ** x, lambda v, s: s ** v, [0.5, 2.0, 3.0]),
    "maximum(x, s)": (lambda x, s: fg.maximum(x, s), lambda v, s: v if v > s else s, [-1.0, 0.5]),
}


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS), form=st.sampled_from(sorted(SCALAR_FORMS)),
       shape=SHAPES)
def test_python_scalar_operands_match_loops(data, dtype, form, shape):
    """A Python number is a 0-d operand of the tensor's dtype (the reflected ops: 1 - x, 3 / x,
    2 ** x), and x ** s is pow with a scalar exponent."""
    expression, loop, scalars = SCALAR_FORMS[form]
    s = data.draw(st.sampled_from(scalars))
    lo = 0.0625 if "/ x" in form or "** s" in form else -3.0  # positive bases and divisors
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, lo, 3.0), expand=True))
    assert_matches(expression(t(x), s), ref.elementwise(lambda v: loop(v, s), x, out_dtype=dtype))


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, e=st.sampled_from(db.COMPARISONS),
       shapes=BROADCAST[2])
def test_comparisons_match_loops(data, dtype, e, shapes):
    a, b = (data.draw(laid_out_arrays(s, dtype, elements(dtype, special=True), expand=True))
            for s in shapes.input_shapes)
    got = getattr(fg, e.name)(t(a), t(b))
    assert_matches(got, ref.elementwise(e.scalar, a, b, out_dtype=np.bool_))


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES,
       shapes=BROADCAST[3])
def test_where_matches_loops(data, dtype, shapes):
    c = data.draw(laid_out_arrays(shapes.input_shapes[0], np.bool_, expand=True))
    a, b = (data.draw(laid_out_arrays(s, dtype, elements(dtype, special=True), expand=True))
            for s in shapes.input_shapes[1:])
    assert_matches(fg.where(t(c), t(a), t(b)), ref.where(c, a, b))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS), name=st.sampled_from(sorted(ref.BACKWARD)),
       shapes=BROADCAST[3])
def test_fused_backward_kernels_match_loops(data, dtype, name, shapes):
    """relu/abs/sigmoid/tanh/max backward in one pass: g and the saved values broadcast; the
    saved values are often 0 or tied (the masks' edges)."""
    arity = 3 if name == "max_backward" else 2
    g = data.draw(laid_out_arrays(shapes.input_shapes[0], dtype, expand=True))
    saved = [data.draw(laid_out_arrays(s, dtype, elements(dtype, -1.0, 1.0, special=arity == 3),
                                       expand=True))  # max's ties and NaNs
             for s in shapes.input_shapes[1:arity]]
    code = getattr(lib, "FG_" + name.upper())
    got = K.elementwise(code, FG_DTYPE[dtype], FG_DTYPE[dtype], [t(g)] + [t(s) for s in saved])
    # 1 - y * y and 1 - y cancel: their rounding errors count against the terms' size
    magnitude = FUSED_MAGNITUDES.get(name, lambda g, y: 0.0)
    bound = 4 * eps(dtype) * ref.elementwise(magnitude, g, *saved[:1], out_dtype=np.float64)
    want = ref.elementwise(ref.BACKWARD[name], g, *saved, out_dtype=dtype)
    assert_matches(got, want, atol=bound)


FUSED_MAGNITUDES = {  # the magnitude of the terms each fused formula adds up
    "tanh_backward": lambda g, y: abs(g) * (1 + y * y),
    "sigmoid_backward": lambda g, y: abs(g * y) * (1 + abs(y)),
}


@settings(max_examples=4, deadline=None)
@given(data=st.data(), dtype=DTYPES,
       shape=st.sampled_from([(70001,), (263, 270), (2, 190, 190), (40000, 2)]),
       broadcast_axis=st.integers(0, 2))
def test_threaded_elementwise_kernels_match_loops(data, dtype, shape, broadcast_axis):
    """Past FG_PARALLEL_MIN elements the iterator splits the work across threads: a binary op
    with one operand broadcast along an axis, a unary op and a cast, on 2 threads."""
    a = data.draw(big_laid_out_arrays(shape, dtype, expand=True))
    b_shape = tuple(1 if d == broadcast_axis % len(shape) else n for d, n in enumerate(shape))
    b = data.draw(big_laid_out_arrays(b_shape, dtype))
    threads = fg.get_num_threads()
    fg.set_num_threads(2)
    try:
        product, negated = fg.mul(t(a), t(b)), fg.neg(t(a))
        converted = t(a).to(fg.float64 if dtype != np.float64 else fg.int64)
    finally:
        fg.set_num_threads(threads)
    assert_matches(product, ref.elementwise(ELEMENTWISE["mul"].scalar, a, b, out_dtype=dtype), ulps=1)
    assert_matches(negated, ref.elementwise(ELEMENTWISE["neg"].scalar, a, out_dtype=dtype), ulps=0)
    assert_matches(converted, ref.copy(a, np.float64 if dtype != np.float64 else np.int64), ulps=0)


# ---- copies, casts, fill, arange -------------------------------------------------------------
@SETTINGS
@given(data=st.data(), src=ALL_DTYPES, dst=ALL_DTYPES, shape=SHAPES)
def test_casts_match_loops(data, src, dst, shape):
    """Every dtype to every dtype (a strided copy when they agree); floats to int64 truncate."""
    x = data.draw(laid_out_arrays(shape, src, expand=True))
    got = t(x).clone() if src == dst else t(x).to(FG_DTYPE[dst])
    assert got.is_contiguous()
    assert_matches(got, ref.copy(x, dst), ulps=0)


@SETTINGS
@given(data=st.data(), src=ALL_DTYPES, dst=ALL_DTYPES,
       shapes=BROADCAST[1])
def test_copy_into_strided_views_matches_loops(data, src, dst, shapes):
    """dst_view.copy_(src): src broadcast to the view and converted; the base around the view
    unchanged."""
    base, key = data.draw(writable_views(shapes.result_shape, dst))
    x = data.draw(laid_out_arrays(shapes.input_shapes[0], src, expand=True))
    want = base.copy()
    ref.write_through(view_of(want, key), ref.copy(x, dst))
    t(view_of(base, key)).copy_(t(x))
    assert_matches(base, want, ulps=0)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, shape=SHAPES,
       value=st.one_of(st.integers(-5, 5), st.sampled_from([-2.75, -0.5, 0.0, 1.5, 1e-3, 3.25]),
                       st.booleans()))
def test_fill_of_strided_views_matches_loops(data, dtype, shape, value):
    base, key = data.draw(writable_views(shape, dtype))
    want = base.copy()
    ref.write_through(view_of(want, key), np.array(ref.convert(value, dtype), dtype))
    t(view_of(base, key)).fill_(value)
    assert_matches(base, want, ulps=0)


@SETTINGS
@given(data=st.data(), dtype=DTYPES, n=st.integers(0, 20))
def test_arange_kernel_matches_loops(data, dtype, n):
    """start + i * step: exact in int64; in double and then rounded for the floating dtypes."""
    if dtype == np.int64:
        start, step = data.draw(st.integers(-50, 50)), data.draw(st.integers(-7, 7))
    else:
        start = data.draw(st.floats(-10, 10, allow_subnormal=False))
        step = data.draw(st.floats(-3, 3, allow_subnormal=False))
    got = K.arange(n, start, step, FG_DTYPE[dtype])
    assert_matches(got, ref.arange(n, start, step, dtype), ulps=0)


@SETTINGS
@given(start=st.integers(-20, 20), span=st.integers(0, 20), step=st.integers(-5, 5).filter(bool))
def test_integer_aranges_match_loops(start, span, step):
    """arange(start, end, step), end on the side step goes to (torch refuses the other)."""
    end = start + span if step > 0 else start - span
    n = -(-span // abs(step))  # ceil(span / |step|) values
    assert_matches(fg.arange(start, end, step), ref.arange(n, start, step, np.int64))


# ---- reductions and scans ----------------------------------------------------------------------
def _abs(x):
    return ref.elementwise(abs, x, out_dtype=np.float64)


def _axes(data, ndim, min_size=1):
    return tuple(sorted(data.draw(st.sets(st.integers(0, ndim - 1), min_size=min_size))))


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, shape=st.one_of(any_shapes(1, 0), LONG_ROWS))
def test_sums_over_any_axes_match_loops(data, dtype, shape):
    """Over any set of axes, empty ones included (their sum is 0); bools count as int64."""
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, special=True), expand=True))
    axes = _axes(data, len(shape))
    got = fg.sum(t(x), dim=axes, keepdim=True)
    x_num = ref.copy(x, np.int64) if dtype == np.bool_ else x
    n = math.prod(shape[d] for d in axes)
    assert_matches(got, ref.sum_(x_num, axes), atol=sum_bound(ref.sum_(_abs(x), axes), n, dtype))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS), keepdim=st.booleans(),
       shape=any_shapes(0, 0))
def test_means_match_loops(data, dtype, keepdim, shape):
    """mean over some axes or all (NaN over no elements, as torch)."""
    x = data.draw(laid_out_arrays(shape, dtype, expand=True))
    axes = _axes(data, len(shape)) if shape and data.draw(st.booleans()) else None
    got = fg.mean(t(x), dim=axes, keepdim=keepdim) if axes else fg.mean(t(x))
    every = axes or tuple(range(len(shape)))
    want = ref.mean_(x, every)
    n = math.prod(shape[d] for d in every)
    bound = sum_bound(ref.sum_(_abs(x), every), n, dtype) / max(n, 1)
    if not (keepdim and axes):
        keep = tuple(s for d, s in enumerate(want.shape) if d not in every)
        want, bound = want.reshape(keep), bound.reshape(keep)
    assert_matches(got, want, atol=bound)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, op=st.sampled_from(["max", "min"]),
       shape=any_shapes(1, 1))
def test_max_and_min_over_any_axes_match_loops(data, dtype, op, shape):
    """The kernel reduces any set of axes (the API one or all); bool max is "any"; NaN wins."""
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, special=True), expand=True))
    axes = _axes(data, len(shape))
    code = lib.FG_MAX if op == "max" else lib.FG_MIN
    got = K.reduce(code, t(x), axes, keepdim=True)
    assert_matches(got, (ref.max_ if op == "max" else ref.min_)(x, axes), ulps=0)


BETTER = {"max": lambda v, b: v > b, "min": lambda v, b: v < b}


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, op=st.sampled_from(["max", "min"]), keepdim=st.booleans(),
       shape=any_shapes(0, 1))
def test_max_min_argmax_argmin_along_a_dim_match_loops(data, dtype, op, keepdim, shape):
    """values and indices of max(dim)/min(dim), argmax/argmin: ties give the first index; and the
    extreme of all elements. The first NaN is the extreme."""
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, special=True), expand=True))
    better = BETTER[op]
    if not shape:  # a 0-d tensor is its own extreme, at index 0
        assert_matches(getattr(fg, op)(t(x)), x.copy(), ulps=0)
        assert_matches(getattr(fg, "arg" + op)(t(x)), np.array(0, np.int64))
        return
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    d = dim % len(shape)
    values, indices = getattr(fg, op)(t(x), dim, keepdim)
    want_values = (ref.max_ if op == "max" else ref.min_)(x, (d,))
    want_indices = ref.arg_along(x, d, better)
    if not keepdim:
        want_values, want_indices = want_values.squeeze(d), want_indices.squeeze(d)
    assert_matches(values, want_values, ulps=0)
    assert_matches(indices, want_indices)
    assert_matches(getattr(fg, "arg" + op)(t(x), dim, keepdim), want_indices)
    flat = x.reshape(-1)  # row-major order: argmax over all elements
    assert_matches(getattr(fg, "arg" + op)(t(x)), ref.arg_along(flat, 0, better).reshape(()))
    assert_matches(getattr(fg, op)(t(x)),
                   (ref.max_ if op == "max" else ref.min_)(flat, (0,)).reshape(()), ulps=0)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, shape=st.one_of(any_shapes(0, 0), LONG_ROWS))
def test_cumsums_match_loops(data, dtype, shape):
    """Along any dim (a 0-d tensor is its own cumsum); bools count as int64; float32 running
    sums are kept in double, so each is within its own sum's bound."""
    x = data.draw(laid_out_arrays(shape, dtype, expand=True))
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    got = fg.cumsum(t(x), dim)
    x_num = ref.copy(x, np.int64) if dtype == np.bool_ else x
    if not shape:
        assert_matches(got, x_num.copy(), ulps=0)
        return
    d = dim % len(shape)
    n = shape[d]
    assert_matches(got, ref.cumsum(x_num, d), atol=sum_bound(ref.cumsum(_abs(x), d), n, dtype))


# ---- products ----------------------------------------------------------------------------------
def product_bound(abs_a, abs_b, k, dtype):
    """Each output sums k products: k * eps * sum_p |a_ip| |b_pj|."""
    return sum_bound(abs_a @ abs_b, k, dtype) + eps(dtype) * (abs_a @ abs_b)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS),
       m=st.integers(0, 24), k=st.integers(0, 64), n=st.integers(0, 24))
def test_matrix_products_match_loops(data, dtype, m, k, n):
    a = data.draw(laid_out_arrays((m, k), dtype, expand=True))
    b = data.draw(laid_out_arrays((k, n), dtype, expand=True))
    assert_matches(fg.mm(t(a), t(b)), ref.mm(a, b),
                   atol=product_bound(np.abs(a), np.abs(b), k, dtype))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS), m=st.integers(0, 24), k=st.integers(0, 300))
def test_matrix_vector_and_dot_products_match_loops(data, dtype, m, k):
    a = data.draw(laid_out_arrays((m, k), dtype, expand=True))
    x = data.draw(laid_out_arrays((k,), dtype, expand=True))
    y = data.draw(laid_out_arrays((k,), dtype, expand=True))
    assert_matches(fg.mv(t(a), t(x)), ref.mv(a, x),
                   atol=product_bound(np.abs(a), np.abs(x), k, dtype))
    assert_matches(fg.dot(t(x), t(y)), ref.dot(x, y),
                   atol=product_bound(np.abs(x), np.abs(y), k, dtype))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS), batch=st.integers(1, 3),
       broadcast=st.sampled_from(["none", "a", "b"]),
       m=st.integers(0, 5), k=st.integers(0, 6), n=st.integers(0, 5))
def test_batched_products_match_loops(data, dtype, batch, broadcast, m, k, n):
    """matmul of (batch, m, k) and (batch, k, n), either batch possibly 1 (broadcast)."""
    a = data.draw(laid_out_arrays((1 if broadcast == "a" else batch, m, k), dtype, expand=True))
    b = data.draw(laid_out_arrays((1 if broadcast == "b" else batch, k, n), dtype, expand=True))
    bound = np.stack([product_bound(np.abs(a[min(i, a.shape[0] - 1)]),
                                    np.abs(b[min(i, b.shape[0] - 1)]), k, dtype)
                      for i in range(batch)])
    assert_matches(fg.matmul(t(a), t(b)), ref.bmm(a, b), atol=bound)


# ---- softmax, log-softmax, cross entropy ------------------------------------------------------
SOFTMAX_ROWS = {"softmax": ref.softmax_row, "log_softmax": ref.log_softmax_row}
SOFTMAX_BACKWARD_ROWS = {"softmax": ref.softmax_backward_row,
                         "log_softmax": ref.log_softmax_backward_row}
SOFTMAX_CODES = {"softmax": lib.FG_SOFTMAX, "log_softmax": lib.FG_LOG_SOFTMAX}
LOGITS = 5.0  # logits in [-5, 5]


def softmax_bound(name, n, dtype):
    """softmax: each output is exp / (a sum of n exps): relative error about (n + 4) eps.
    log_softmax: x - max - log(sum): absolute error about eps * (|x - max| + n + log n)."""
    if name == "softmax":
        return dict(ulps=2 * (n + 4), atol=0.0)
    return dict(ulps=4, atol=2 * eps(dtype) * (2 * LOGITS + n + 4))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS), name=st.sampled_from(sorted(SOFTMAX_ROWS)),
       shape=st.one_of(SHAPES, LONG_ROWS))
def test_softmax_and_log_softmax_along_any_dim_match_loops(data, dtype, name, shape):
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, -LOGITS, LOGITS), expand=True))
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    got = getattr(fg, name)(t(x), dim)
    d = dim % max(len(shape), 1)
    want = ref.along_axis(SOFTMAX_ROWS[name], d, as_1d(x)).reshape(shape)
    assert_matches(got, want, **softmax_bound(name, as_1d(x).shape[d], dtype))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS), name=st.sampled_from(sorted(SOFTMAX_ROWS)),
       shape=any_shapes(1, 0))
def test_softmax_backward_kernels_match_loops(data, dtype, name, shape):
    """gx from the upstream g and the forward's output y, each in its own layout."""
    d = data.draw(st.integers(0, len(shape) - 1))
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, -LOGITS, LOGITS)))
    y = ref.along_axis(SOFTMAX_ROWS[name], d, x)
    y_laid = data.draw(laid_out_arrays(shape, dtype, st.just(0.0)))  # a layout, then y in it
    ref.write_through(y_laid, y)
    g = data.draw(laid_out_arrays(shape, dtype, expand=True))
    got = K.softmax_backward(SOFTMAX_CODES[name], t(g), t(y_laid), d)
    n = shape[d]
    # softmax: y * (g - sum(g * y)) with sum(y) = 1, so terms of at most max|g| = 3;
    # log_softmax: g - exp(y) * sum(g), a sum of n terms of at most 3
    scale = 3.0 * (1 if name == "softmax" else max(n, 1))
    assert_matches(got, ref.along_axis(SOFTMAX_BACKWARD_ROWS[name], d, g, y),
                   atol=2 * (n + 4) * eps(dtype) * scale)


@st.composite
def class_problems(draw, dtype, min_dims=1):
    """(x, axis, target, ignore_index): logits x with classes along `axis`, one int64 class per
    position off it, some set to ignore_index."""
    shape = draw(st.one_of(hnp.array_shapes(min_dims=min_dims, max_dims=4, max_side=4, min_side=0),
                           hnp.array_shapes(min_dims=min_dims, max_dims=2, max_side=40)))
    axis = draw(st.integers(0, len(shape) - 1))
    if shape[axis] == 0:  # at least one class
        shape = shape[:axis] + (draw(st.integers(1, 4)),) + shape[axis + 1:]
    x = draw(laid_out_arrays(shape, dtype, elements(dtype, -LOGITS, LOGITS), expand=True))
    ignore_index = draw(st.sampled_from([-100, 0, 1]))
    classes = st.one_of(st.integers(0, shape[axis] - 1), st.just(ignore_index))
    target = draw(laid_out_arrays(shape[:axis] + shape[axis + 1:], np.int64, classes, expand=True))
    return x, axis, target, ignore_index


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_cross_entropy_kernels_along_any_axis_match_loops(data, dtype):
    x, axis, target, ignore_index = data.draw(class_problems(dtype))
    loss, count = K.cross_entropy(t(x), t(target), axis, ignore_index)
    counted = count.item()  # a 0-d int64 tensor the kernel writes
    assert count.dtype is fg.int64 and count.shape == ()
    assert counted == sum(1 for v in target.reshape(-1) if v != ignore_index)
    n = x.shape[axis]
    assert_matches(loss, ref.cross_entropy(x, target, axis, ignore_index),
                   **softmax_bound("log_softmax", n, dtype))
    mean = data.draw(st.booleans())
    g_shape = () if data.draw(st.booleans()) else target.shape  # a reduced loss's g, or each one's
    g = data.draw(laid_out_arrays(g_shape, dtype, expand=True))
    got = K.cross_entropy_backward(t(g), t(x), t(target), axis, ignore_index, mean)
    scale = 1 / counted if mean and counted else 1
    want = ref.cross_entropy_backward(g, x, target, axis, ignore_index, scale)
    assert_matches(got, want, atol=2 * (n + 4) * eps(dtype) * 3.0 * scale)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS),
       reduction=st.sampled_from(["none", "sum", "mean"]))
def test_cross_entropy_and_its_gradient_match_loops(data, dtype, reduction):
    """F.cross_entropy: classes along dim 1 (0 for one (C,) input), so not the last dim for
    inputs of 3 or more dims; its gradient by backward()."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    axis = 0 if len(shape) == 1 else 1
    x = data.draw(laid_out_arrays(shape, dtype, elements(dtype, -LOGITS, LOGITS)))
    ignore_index = data.draw(st.sampled_from([-100, 1]))
    classes = st.one_of(st.integers(0, shape[axis] - 1), st.just(ignore_index))
    target = data.draw(laid_out_arrays(shape[:axis] + shape[axis + 1:], np.int64, classes))
    xt = t(x.copy()).requires_grad_(True)
    loss = fg.nn.functional.cross_entropy(xt, t(target), ignore_index=ignore_index,
                                          reduction=reduction)
    per_position = ref.cross_entropy(x, target, axis, ignore_index)
    counted = sum(1 for v in target.reshape(-1) if v != ignore_index)
    n = shape[axis]
    bound = softmax_bound("log_softmax", n, dtype)
    if reduction == "none":
        assert_matches(loss, per_position, **bound)
        g = data.draw(laid_out_arrays(target.shape, dtype))
    else:
        total = ref.sum_(per_position.reshape(-1), (0,)).reshape(())
        if reduction == "mean":
            total = np.array(total / counted if counted else math.nan, dtype)
        positions = max(per_position.size, 1)
        assert_matches(loss, total, ulps=4 * (positions + 1),
                       atol=positions * bound["atol"])
        g = data.draw(laid_out_arrays((), dtype))
    loss.backward(t(g))
    scale = 1 / counted if reduction == "mean" and counted else 1  # all ignored: 0 anyway
    want = ref.cross_entropy_backward(g, x, target, axis, ignore_index, scale)
    assert_matches(xt.grad, want, atol=2 * (n + 4) * eps(dtype) * 3.0 * scale)


# ---- gather, scatter, index_select ------------------------------------------------------------
@st.composite
def along_problems(draw, with_src):
    """(x shape, dim, index shape, src shape): index no larger than x off dim (and than src
    everywhere); an empty axis of x along dim leaves nothing to index."""
    x_shape = draw(any_shapes(1, 0))
    dim = draw(st.integers(0, len(x_shape) - 1))
    index_shape = tuple(draw(st.integers(0, 4)) if d == dim else draw(st.integers(0, n))
                        for d, n in enumerate(x_shape))
    if x_shape[dim] == 0:
        index_shape = index_shape[:dim] + (0,) + index_shape[dim + 1:]
    src_shape = tuple(i + draw(st.integers(0, 1)) for i in index_shape) if with_src else None
    return x_shape, dim, index_shape, src_shape


def index_arrays(shape, size, negative=False):
    """int64 indices into an axis of `size` (an empty `shape` when size is 0)."""
    size = max(size, 1)
    return laid_out_arrays(shape, np.int64, st.integers(-size if negative else 0, size - 1),
                           expand=True)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, problem=along_problems(with_src=False))
def test_gather_matches_loops(data, dtype, problem):
    x_shape, dim, index_shape, _ = problem
    x = data.draw(laid_out_arrays(x_shape, dtype, expand=True))
    index = data.draw(index_arrays(index_shape, x_shape[dim]))
    assert_matches(fg.gather(t(x), dim, t(index)), ref.gather(x, dim, index))


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, index_shape=st.sampled_from([(), (1,), (3,)]))
def test_gather_from_a_0d_tensor_matches_loops(data, dtype, index_shape):
    x = data.draw(laid_out_arrays((), dtype))
    index = data.draw(index_arrays(index_shape, 1))
    want = ref.gather(as_1d(x), 0, as_1d(index)).reshape(index.shape)
    assert_matches(fg.gather(t(x), 0, t(index)), want)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, problem=along_problems(with_src=True),
       in_place=st.booleans())
def test_scatter_add_matches_loops(data, dtype, problem, in_place):
    """Repeated indices accumulate, in index order (bool adds as "or"); src may be larger than
    index (only its leading part is read). In place, x is a strided view of a larger base."""
    x_shape, dim, index_shape, src_shape = problem
    base, key = data.draw(writable_views(x_shape, dtype))
    x = view_of(base, key)
    index = data.draw(index_arrays(index_shape, x_shape[dim]))
    src = data.draw(laid_out_arrays(src_shape, dtype, expand=True))
    want_base = base.copy()
    src_part = src[tuple(slice(0, n) for n in index_shape)]
    want = ref.scatter(x, dim, index, src_part, "add")
    ref.write_through(view_of(want_base, key), want)
    magnitudes = ref.scatter(_abs(x), dim, index, _abs(src_part), "add")
    bound = sum_bound(magnitudes, max(index_shape[dim], 1) + 1, dtype)
    if in_place:
        t(x).scatter_add_(dim, t(index), t(src))
        assert_matches(base, want_base, atol=_bound_in_base(base.shape, key, bound))
    else:
        before = base.copy()
        assert_matches(fg.scatter_add(t(x), dim, t(index), t(src)), want, atol=bound)
        assert_matches(base, before, ulps=0)  # the out-of-place one leaves x alone


def _bound_in_base(shape, key, bound):
    """An error bound per element of a base: `bound` inside the view at key, 0 elsewhere."""
    full = np.zeros(shape)
    if bound.size:
        ref.write_through(view_of(full, key), bound)
    return full


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, problem=along_problems(with_src=True),
       accumulate=st.booleans())
def test_scatter_kernel_into_strided_views_matches_loops(data, dtype, problem, accumulate):
    """fg_scatter itself (index_put_'s assign and scatter_add's add) on a strided target: the
    assignment writes in index order, so the last of repeated indices wins."""
    x_shape, dim, index_shape, _ = problem
    base, key = data.draw(writable_views(x_shape, dtype))
    index = data.draw(index_arrays(index_shape, x_shape[dim]))
    src = data.draw(laid_out_arrays(index_shape, dtype, expand=True))
    want_base = base.copy()
    x = view_of(base, key)
    want = ref.scatter(x, dim, index, src, "add" if accumulate else None)
    ref.write_through(view_of(want_base, key), want)
    magnitudes = ref.scatter(_abs(x), dim, index, _abs(src), "add")
    bound = sum_bound(magnitudes, index_shape[dim] + 1, dtype) if accumulate else \
        np.zeros(magnitudes.shape)  # assignments are exact
    code = lib.FG_SCATTER_ADD if accumulate else lib.FG_SCATTER_ASSIGN
    K.scatter(code, t(x), dim, t(index), t(src))
    assert_matches(base, want_base, atol=_bound_in_base(base.shape, key, bound))


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, shape=SHAPES, n=st.integers(0, 5))
def test_index_select_matches_loops(data, dtype, shape, n):
    x = data.draw(laid_out_arrays(shape, dtype, expand=True))
    if not shape:
        dim, n = 0, 1
    else:
        dim = data.draw(st.integers(0, len(shape) - 1))
        n = n if shape[dim] else 0
    index = data.draw(index_arrays((n,), shape[dim] if shape else 1))
    assert_matches(fg.index_select(t(x), dim, t(index)), ref.index_select(x, dim, index))


# ---- advanced indexing: flat indices, reads, writes, nonzero ----------------------------------
@SETTINGS
@given(data=st.data(), shapes=BROADCAST[3],
       sizes=st.lists(st.integers(1, 5), min_size=3, max_size=3), count=st.integers(1, 3))
def test_index_fold_matches_loops(data, shapes, sizes, count):
    """Several index tensors (negative ones from the end) into one row-major flat index."""
    indices = [data.draw(index_arrays(s, n, negative=True))
               for s, n in zip(shapes.input_shapes[:count], sizes)]
    out = fg.zeros(np.broadcast_shapes(*(i.shape for i in indices)), dtype=fg.int64)
    for index, n in zip(indices, sizes):
        K.index_fold(out, t(index), n, None)
    assert_matches(out, ref.flat_index(indices, sizes[:count]))


@st.composite
def advanced_keys(draw, shape):
    """(key, basic, arrays): a key mixing whole axes, ints (also as 0-d int64 tensors, which
    torch reads as ints), stepped slices and int64 index arrays (at least one; negative entries
    too; broadcasting together) for x of `shape`; `basic` is the key's ints and slices (whole
    axes where the arrays go), `arrays` the arrays per axis of x[basic] (None for a whole axis)."""
    ndim = len(shape)
    kinds = [draw(st.sampled_from(["whole", "int", "int_tensor", "slice", "array"]))
             for _ in shape]
    if "array" not in kinds:
        kinds[draw(st.integers(0, ndim - 1))] = "array"
    n_arrays = kinds.count("array")
    array_shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n_arrays, min_dims=1,
                                                          max_dims=2, min_side=0, max_side=3))
    key, basic, arrays, shapes = [], [], [], iter(array_shapes.input_shapes)
    for kind, n in zip(kinds, shape):
        if kind in ("int", "int_tensor"):
            i = draw(st.integers(-n, n - 1))
            key.append(i if kind == "int" else np.array(i, np.int64))
            basic.append(i)
        elif kind == "slice":
            s = slice(draw(st.integers(0, n)), draw(st.integers(0, n)), draw(st.integers(1, 2)))
            key.append(s)
            basic.append(s)
            arrays.append(None)
        elif kind == "whole":
            key.append(slice(None))
            basic.append(slice(None))
            arrays.append(None)
        else:
            a = draw(index_arrays(next(shapes), n, negative=True))
            key.append(a)
            basic.append(slice(None))
            arrays.append(a)
    return key, tuple(basic), arrays


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES,
       shape=any_shapes(1, 1))
def test_advanced_index_reads_match_loops(data, dtype, shape):
    """x[key] with index arrays: torch applies the ints and slices first, then the arrays index
    that view; their broadcast axes stand in place if the indexed axes are adjacent, else first."""
    x = data.draw(laid_out_arrays(shape, dtype, expand=True))
    key, basic, arrays = data.draw(advanced_keys(shape))
    got = t(x)[tuple(t(k) if isinstance(k, np.ndarray) else k for k in key)]
    assert_matches(got, ref.advanced_index(x[basic], arrays))


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES,
       shape=any_shapes(1, 0))
def test_boolean_mask_reads_match_loops(data, dtype, shape):
    """x[mask] for a mask over x's leading k axes: the elements (rows) where it is True."""
    k = data.draw(st.integers(1, len(shape)))
    x = data.draw(laid_out_arrays(shape, dtype, expand=True))
    mask = data.draw(laid_out_arrays(shape[:k], np.bool_, expand=True))
    want = ref.advanced_index(x, ref.mask_to_indices(mask) + [None] * (len(shape) - k))
    assert_matches(t(x)[t(mask)], want)


@st.composite
def unique_put_keys(draw, shape):
    """Index arrays (one shape, on some axes of x) that name each element at most once: a
    write's result then does not depend on the order of writes."""
    axes = sorted(draw(st.sets(st.integers(0, len(shape) - 1), min_size=1)))
    points = draw(st.lists(st.tuples(*[st.integers(0, shape[d] - 1) for d in axes]),
                           unique=True, max_size=5))
    index_shape = draw(st.sampled_from([(len(points),)] + ([(1, len(points))] if points else [])))
    arrays = []
    for j, d in enumerate(axes):
        values = [p[j] - (shape[d] if draw(st.booleans()) else 0) for p in points]
        a = np.array(values, np.int64).reshape(index_shape)
        if draw(st.booleans()):  # the same values read through negative strides
            a = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
        arrays.append(a)
    return [arrays[axes.index(d)] if d in axes else None for d in range(len(shape))]


def draw_put_value(data, dtype, scalar, result_shape):
    """The value of an index_put: (numpy value, what fastgrad is given): a Python number, or
    an array broadcast to the selected elements' shape."""
    if scalar:
        number = data.draw(elements(dtype))
        return np.array(number, dtype), number
    value_shape = tuple(data.draw(st.sampled_from([1, n])) for n in result_shape)
    value = data.draw(laid_out_arrays(value_shape, dtype, expand=True))
    return value, t(value)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, scalar=st.booleans(),
       shape=any_shapes(1, 1))
def test_advanced_index_writes_match_loops(data, dtype, scalar, shape):
    """x[arrays] = value on a strided view, value a number or a tensor broadcast to the
    result's shape; the base around the view unchanged."""
    base, key = data.draw(writable_views(shape, dtype))
    indices = data.draw(unique_put_keys(shape))
    value, fg_value = draw_put_value(data, dtype, scalar, ref.advanced_shape(shape, indices))
    want_base = base.copy()
    view = view_of(want_base, key)
    ref.write_through(view, ref.index_put(view.copy(), indices, value))
    x = t(view_of(base, key))
    x[tuple(slice(None) if a is None else t(a) for a in indices)] = fg_value
    assert_matches(base, want_base, ulps=0)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, shape=any_shapes(1, 1))
def test_advanced_index_writes_of_a_number_with_any_key_match_loops(data, dtype, shape):
    """x[key] = number for keys as the reads take them (ints, slices, broadcast index arrays,
    repeated positions: all get the same number) on a strided view."""
    base, view_key = data.draw(writable_views(shape, dtype))
    key, basic, arrays = data.draw(advanced_keys(shape))
    number = data.draw(elements(dtype))
    want_base = base.copy()
    v = view_of(want_base, view_key)[basic]  # torch: the ints and slices first, a view
    ref.write_through(v, ref.index_put(v.copy(), arrays, np.array(number, dtype)))
    x = t(view_of(base, view_key))
    x[tuple(t(k) if isinstance(k, np.ndarray) else k for k in key)] = number
    assert_matches(base, want_base, ulps=0)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, scalar=st.booleans(), shape=any_shapes(1, 0))
def test_boolean_mask_writes_match_loops(data, dtype, scalar, shape):
    """x[mask] = value, the mask over x's leading k axes, value a number or a tensor broadcast
    to the selected rows."""
    k = data.draw(st.integers(1, len(shape)))
    base, key = data.draw(writable_views(shape, dtype))
    mask = data.draw(laid_out_arrays(shape[:k], np.bool_, expand=True))
    indices = ref.mask_to_indices(mask) + [None] * (len(shape) - k)
    value, fg_value = draw_put_value(data, dtype, scalar, ref.advanced_shape(shape, indices))
    want_base = base.copy()
    view = view_of(want_base, key)
    ref.write_through(view, ref.index_put(view.copy(), indices, value))
    x = t(view_of(base, key))
    x[t(mask)] = fg_value
    assert_matches(base, want_base, ulps=0)


@SETTINGS
@given(data=st.data(), dtype=ALL_DTYPES, shape=SHAPES)
def test_nonzero_matches_loops(data, dtype, shape):
    sparse = {np.bool_: st.booleans(), np.int64: st.sampled_from([0, 0, 1, -2])}.get(
        dtype, st.sampled_from([0.0, 0.0, -0.0, 1.5, -2.0, math.nan, math.inf]))
    x = data.draw(laid_out_arrays(shape, dtype, sparse, expand=True))
    assert_matches(fg.nonzero(t(x)), ref.nonzero(x))


# ---- random graphs -----------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.integers(0, 1)),
                      min_size=1, max_size=5),
       seed=st.integers(0, 2 ** 16))
def test_random_graphs_match_finite_differences(steps, seed):
    """Graphs of up to five steps drawn from the op database's cases, against finite
    differences."""
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1, 1, (3, 4)) for _ in range(2)]

    def graph(*ws):
        h = ws[0]
        for name, which in steps:
            h = STEPS[name](fg, h, ws[which])
        return h * ws[1]  # every input reaches the output

    gradcheck(graph, *inputs, atol=1e-5, rtol=1e-4)


LAYOUT_KINDS = {
    "contiguous": lambda x: x.flags.c_contiguous,
    "broadcast": lambda x: 0 in x.strides,
    "reversed": lambda x: any(s < 0 for s in x.strides),
    "transposed": lambda x: 0 < abs(x.strides[0]) < abs(x.strides[1]),
    "stepped": lambda x: 0 not in x.strides and min(abs(s) for s in x.strides) > x.itemsize,
}


@pytest.mark.parametrize("kind", sorted(LAYOUT_KINDS))
def test_generated_layouts_include_every_kind(kind):
    """The strategies above really produce each kind of operand (a search for one, not a
    sample), and the kernels read it right; writable views lie inside larger buffers."""
    x = find(laid_out_arrays((3, 4), np.float64, expand=True), LAYOUT_KINDS[kind],
             settings=settings(max_examples=2000, database=None))
    assert_matches(fg.add(t(x), 1.0),
                   ref.elementwise(ELEMENTWISE["add"].scalar, x, np.array(1.0), out_dtype=np.float64))
    if kind in ("reversed", "transposed", "stepped"):
        base, key = find(writable_views((3, 4), np.float64),
                         lambda view: LAYOUT_KINDS[kind](view_of(*view)),
                         settings=settings(max_examples=2000, database=None))
        assert view_of(base, key).shape == (3, 4) and base.size > 12
