"""Properties over generated inputs (hypothesis): kernels against their for-loop references on
random shapes, broadcast pairs, memory layouts and dtypes, and random small op graphs against
finite differences."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastgrad as fg
import reference as ref
from gradcheck import gradcheck

SETTINGS = settings(max_examples=40, deadline=None)
TOL = {np.float32: dict(rtol=2e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12),
       np.int64: dict(rtol=0, atol=0)}


@st.composite
def laid_out_arrays(draw, shape, dtype):
    """An array of `shape` whose memory is read through strides: every axis may be stepped
    over a larger buffer or reversed, and the whole may be a transposed view."""
    steps = [draw(st.sampled_from([1, 2, -1])) for _ in shape]
    transpose = len(shape) > 1 and draw(st.booleans())
    full = tuple(n * abs(s) for n, s in zip(shape, steps))
    elements = (st.integers(-5, 5) if dtype == np.int64 else
                st.floats(-3, 3, width=32 if dtype == np.float32 else 64))
    base = draw(hnp.arrays(dtype, full[::-1] if transpose else full, elements=elements))
    if transpose:
        base = base.T
    return base[tuple(slice(None, None, s) for s in steps) + (Ellipsis,)]  # 0-d stays an array


DTYPES = st.sampled_from([np.float32, np.float64, np.int64])
BINARY = ["add", "sub", "mul", "maximum", "minimum"]


@SETTINGS
@given(data=st.data(), dtype=DTYPES, op=st.sampled_from(BINARY),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
def test_binary_kernels_match_loops(data, dtype, op, shapes):
    a, b = (data.draw(laid_out_arrays(s, dtype)) for s in shapes.input_shapes)
    got = getattr(fg, op)(fg.from_numpy(a), fg.from_numpy(b)).numpy()
    want = ref.elementwise(ref.BINARY[op], a, b, out_dtype=dtype)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **TOL[dtype])


@SETTINGS
@given(data=st.data(), dtype=DTYPES, shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
def test_sums_over_any_axes_match_loops(data, dtype, shape):
    x = data.draw(laid_out_arrays(shape, dtype))
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
    got = fg.sum(fg.from_numpy(x), dim=axes, keepdim=True).numpy()
    np.testing.assert_allclose(got, ref.sum_(x, axes), **TOL[dtype])


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]),
       m=st.integers(1, 9), k=st.integers(1, 9), n=st.integers(1, 9))
def test_matrix_products_match_loops(data, dtype, m, k, n):
    a, b = data.draw(laid_out_arrays((m, k), dtype)), data.draw(laid_out_arrays((k, n), dtype))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(fg.mm(fg.from_numpy(a), fg.from_numpy(b)).numpy(),
                               ref.mm(a, b), **tol)


# ---- random graphs -----------------------------------------------------------------------------
# Each step takes the running value h (shape (3, 4)) and one of the inputs w (shape (3, 4)).
STEPS = {
    "add": lambda h, w: h + w,
    "mul": lambda h, w: h * w,
    "div": lambda h, w: h / (w * w + 1),
    "tanh": lambda h, w: fg.tanh(h),
    "sigmoid": lambda h, w: fg.sigmoid(h) * w,
    "sin": lambda h, w: fg.sin(h) + w,
    "exp": lambda h, w: fg.exp(h * 0.1),
    "square": lambda h, w: h ** 2,
    "row_sums": lambda h, w: h.sum(dim=1, keepdim=True) * w,
    "matmul": lambda h, w: h @ w.t() @ w * 0.1,
    "transpose": lambda h, w: (h.t() * w.t()).t(),
    "softmax": lambda h, w: fg.nn.functional.softmax(h, dim=1) + w,
    "index": lambda h, w: h[[2, 0, 1, 2]][:3] + w,
}


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.integers(0, 1)),
                      min_size=1, max_size=5),
       seed=st.integers(0, 2 ** 16))
def test_random_graphs_match_finite_differences(steps, seed):
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1, 1, (3, 4)) for _ in range(2)]

    def graph(*ws):
        h = ws[0]
        for name, which in steps:
            h = STEPS[name](h, ws[which])
        return h * ws[1]  # every input reaches the output

    gradcheck(graph, *inputs, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("op", ["add", "mul"])
def test_generated_layouts_include_every_kind(op):
    """The strategy above really produces non-contiguous, reversed and transposed operands."""
    kinds = set()

    @settings(max_examples=60, deadline=None)
    @given(data=st.data())
    def collect(data):
        x = data.draw(laid_out_arrays((3, 4), np.float64))
        kinds.add("contiguous" if x.flags.c_contiguous else
                  "reversed" if any(s < 0 for s in x.strides) else
                  "transposed" if x.flags.f_contiguous else "strided")
        np.testing.assert_array_equal(getattr(fg, op)(fg.from_numpy(x), 1.0).numpy(),
                                      ref.elementwise(ref.BINARY[op], x, np.array(1.0),
                                                      out_dtype=np.float64))

    collect()
    assert {"contiguous", "reversed", "strided"} <= kinds
