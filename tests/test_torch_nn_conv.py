"""Convolution: csrc/conv.c's three kernels against plain loops, their bounds checks, and
F.conv1d/conv2d, nn.Conv1d/Conv2d and the lazy modules against torch (values, gradients,
initialisation after manual_seed, repr, errors). The op's gradients, double backward, forward
mode and compile replay are the op database's (tests/ops_db.py)."""
import itertools

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import _kernels_conv as K
from fastgrad._fastgrad_c import lib

from torch_compare import both, rand, to_np, torch  # skips without torch

FORWARD, INPUT_GRAD, WEIGHT_GRAD = lib.FG_CONV_FORWARD, lib.FG_CONV_INPUT_GRAD, lib.FG_CONV_WEIGHT_GRAD


# ---- the kernels against loops -----------------------------------------------------------------
def loop_conv(x, w, bias, stride, pads, dilation, groups, out_hw):
    """y by the definition, one multiply-add at a time (pads: top, left)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    y = np.zeros((n, o) + out_hw)
    for b, oc, oy, ox in itertools.product(range(n), range(o), *map(range, out_hw)):
        acc = bias[oc] if bias is not None else 0.0
        for ci, ky, kx in itertools.product(range(cg), range(kh), range(kw)):
            iy = oy * stride[0] - pads[0] + ky * dilation[0]
            ix = ox * stride[1] - pads[1] + kx * dilation[1]
            if 0 <= iy < h and 0 <= ix < wd:
                acc += w[oc, ci, ky, kx] * x[b, oc // og * cg + ci, iy, ix]
        y[b, oc, oy, ox] = acc
    return y


def loop_grads(x, w, g, stride, pads, dilation, groups):
    """(gx, gw) of sum(g * y), by the same loops (the group's input channels side by side: each
    element's sum still runs in loop order)."""
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    o, cg, kh, kw = w.shape
    og = o // groups
    for b, oc, oy, ox in itertools.product(range(x.shape[0]), range(o), *map(range, g.shape[2:])):
        cs = slice(oc // og * cg, oc // og * cg + cg)
        for ky, kx in itertools.product(range(kh), range(kw)):
            iy = oy * stride[0] - pads[0] + ky * dilation[0]
            ix = ox * stride[1] - pads[1] + kx * dilation[1]
            if 0 <= iy < x.shape[2] and 0 <= ix < x.shape[3]:
                gx[b, cs, iy, ix] += g[b, oc, oy, ox] * w[oc, :, ky, kx]
                gw[oc, :, ky, kx] += g[b, oc, oy, ox] * x[b, cs, iy, ix]
    return gx, gw


GEOMETRIES = [  # x shape, w shape, stride, (top, left) pads, out size, dilation, groups
    ((2, 4, 5, 6), (6, 2, 3, 2), (2, 1), (1, 0), (3, 6), (1, 2), 2),  # uneven pads: bottom 0
    ((1, 3, 4, 4), (2, 3, 1, 1), (1, 1), (0, 0), (4, 4), (1, 1), 1),  # 1x1: no packing
    ((2, 2, 3, 7), (3, 2, 2, 3), (1, 3), (2, 1), (5, 3), (2, 1), 1),  # pads beyond the kernel
    # unit stride: the extended layout (a padded copy, images side by side, gaps past each row)
    ((3, 2, 5, 6), (4, 2, 3, 3), (1, 1), (1, 2), (5, 8), (1, 1), 1),
    ((2, 4, 6, 5), (2, 2, 2, 3), (1, 1), (0, 1), (4, 4), (2, 1), 2),  # dilated, grouped
    ((2, 3, 6, 7), (2, 3, 2, 3), (1, 1), (0, 0), (5, 5), (1, 1), 1),  # no copy: x in place
    ((2, 3, 4, 5), (32, 3, 3, 2), (1, 1), (1, 1), (4, 6), (1, 1), 1),  # weight grad: a product
    ((1, 2, 3, 30), (8, 2, 2, 3), (1, 1), (1, 1), (4, 30), (1, 1), 1),  # forward: rows of tiles
    # a padded image past L1: the windows read in place as B's rows (the forward, the input
    # gradient as a flipped forward) and A's (the weight gradient); ragged tiles both ways
    ((1, 16, 12, 24), (33, 16, 1, 3), (1, 1), (0, 2), (12, 24), (1, 2), 1),
    ((1, 2, 24, 24), (32, 2, 3, 3), (1, 1), (1, 1), (24, 24), (1, 1), 1),  # fg_rows: 2 blocks
]


@pytest.mark.parametrize("geo", GEOMETRIES)
def test_the_three_kernels_match_loops(geo):
    xs, ws, stride, pads, out_hw, dilation, groups = geo
    x, w, b, g = rand(xs, seed=1), rand(ws, seed=2), rand(ws[:1], seed=3), rand(
        (xs[0], ws[0]) + out_hw, seed=4)
    words = (*xs, ws[0], *ws[2:], *out_hw, *stride, *pads, *dilation, groups)
    X, W, B, G = (fg.tensor(a) for a in (x, w, b, g))
    y = K.conv2d(FORWARD, (xs[0], ws[0]) + out_hw, X, W, B, words)
    np.testing.assert_allclose(to_np(y), loop_conv(x, w, b, stride, pads, dilation, groups,
                                                   out_hw), rtol=1e-12, atol=1e-12)
    gx, gw = loop_grads(x, w, g, stride, pads, dilation, groups)
    np.testing.assert_allclose(to_np(K.conv2d(INPUT_GRAD, xs, G, W, None, words)), gx,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_np(K.conv2d(WEIGHT_GRAD, ws, X, G, None, words)), gw,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pads,o,xs", [((1, 2), 3, (2, 2, 5, 6)), ((0, 0), 3, (2, 2, 5, 6)),
                                        ((0, 0), 32, (2, 2, 5, 6)), ((1, 1), 32, (1, 16, 12, 20))])
@pytest.mark.parametrize("spot", ["x", "w", "g"])
def test_non_finite_values_stay_where_loops_put_them(pads, o, xs, spot):
    """The extended layout computes columns past each output row and drops them: an inf in x,
    w or g must not leak from there into the results (0 * inf). Padding is zeros that do multiply
    (inf * 0 is nan in y and, from g, in the weight gradient, as in torch). 3 output channels:
    dot products; 32: a matrix product; 16 x 14 x 22 padded: windows read in place."""
    x, w = rand(xs, seed=1), rand((o, xs[1], 3, 3), seed=2)
    out_hw = (xs[2] + 2 * pads[0] - 2, xs[3] + 2 * pads[1] - 2)
    g = rand((xs[0], o) + out_hw, seed=3)
    if spot == "x":
        x[0, 1, 2, 5] = np.inf
    elif spot == "w":
        w[1, 0, 2, 2] = -np.inf
    else:
        g[0, 1, out_hw[0] - 1, out_hw[1] - 1] = np.inf
    words = (*xs, o, 3, 3, *out_hw, 1, 1, *pads, 1, 1, 1)
    X, W, G = (fg.tensor(a) for a in (x, w, g))
    with np.errstate(invalid="ignore"):
        gx, gw = loop_grads(x, w, g, (1, 1), pads, (1, 1), 1)
        padded = np.pad(x, ((0, 0), (0, 0), (pads[0],) * 2, (pads[1],) * 2))
        y = loop_conv(padded, w, None, (1, 1), (0, 0), (1, 1), 1, out_hw)
        if spot == "g":
            gw = loop_grads(padded, w, g, (1, 1), (0, 0), (1, 1), 1)[1]
    np.testing.assert_allclose(to_np(K.conv2d(FORWARD, (xs[0], o) + out_hw, X, W, None, words)), y,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_np(K.conv2d(INPUT_GRAD, x.shape, G, W, None, words)), gx,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_np(K.conv2d(WEIGHT_GRAD, w.shape, X, G, None, words)), gw,
                               rtol=1e-12, atol=1e-12)


def test_hostile_geometries_raise_instead_of_crashing():
    x, w = fg.ones(1, 2, 3, 3), fg.ones(2, 2, 1, 1)
    good = [1, 2, 3, 3, 2, 1, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1]
    for at, value in [(9, 0), (13, -1), (15, 0), (15, 3), (5, 0), (0, -1), (11, -(1 << 40)),
                      (7, 1 << 40), (2, 1 << 62)]:
        words = list(good)
        words[at] = value
        with pytest.raises(ValueError):
            K.conv2d(FORWARD, (1, 2, 3, 3), x, w, None, words)
    with pytest.raises(ValueError, match="do not match"):  # a buffer smaller than the geometry
        K.conv2d(FORWARD, (1, 2, 3, 3), x, w, None, good[:7] + [4, 4] + good[9:])


@pytest.mark.parametrize("xs,ws", [((10, 16, 12, 12), (16, 16, 3, 3)),
                                   ((10, 32, 20, 24), (32, 32, 3, 3))])  # windows, taps
def test_threads_change_no_bit(xs, ws):
    """Enough work for threads to split (the batch's images; the weight gradient's runs of
    images, 10 over 8 unequal runs), the same bits on 1 and 2."""
    x, w = fg.tensor(rand(xs, "float32")), fg.tensor(rand(ws, "float32", 1))
    results = []
    for threads in (1, 2):
        fg.set_num_threads(threads)
        xl, wl = x.clone().requires_grad_(), w.clone().requires_grad_()
        y = fg.conv2d(xl, wl, padding=1)
        (y * y).sum().backward()
        results.append([to_np(t) for t in (y, xl.grad, wl.grad)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# ---- the functions against torch ---------------------------------------------------------------
@pytest.mark.parametrize("stride", [(1, 2), (1, 1)])
def test_column_blocks_as_torch(stride):
    """Rows long enough (64 channels x 3 x 3 taps x 64 columns of float64) that the column
    matrix is made a block of output rows at a time: every pass against torch, in the plain
    layout (blocks of 3, 3 and 1 rows) and the extended one (of 1 row)."""
    (fx, tx), (fw, tw) = both(rand((1, 64, 9, 64), seed=1), True), both(rand((2, 64, 3, 3), seed=2),
                                                                          True)
    g = rand((1, 2, 7, 64 // stride[1]), seed=3)
    for L, x, w in ((fg, fx, fw), (torch, tx, tw)):
        L.conv2d(x, w, padding=(0, 1), stride=stride).backward(L.tensor(g))
    np.testing.assert_allclose(to_np(fg.conv2d(fx, fw, padding=(0, 1), stride=stride)),
                               to_np(torch.conv2d(tx, tw, padding=(0, 1), stride=stride)),
                               rtol=1e-12, atol=1e-12)
    for f, t in ((fx, tx), (fw, tw)):
        np.testing.assert_allclose(to_np(f.grad), to_np(t.grad), rtol=1e-12, atol=1e-12)


def test_float16_and_int64_as_torch():
    x, w = rand((1, 2, 4, 4), seed=1), rand((3, 2, 2, 2), seed=2)
    for dtype in ("float16", "int64"):
        a, b = (np.round(v * 3).astype(dtype) for v in (x, w))
        (fx, tx), (fw, tw) = both(a), both(b)
        ours, theirs = fg.conv2d(fx, fw, padding=1), torch.conv2d(tx, tw, padding=1)
        assert repr(ours.dtype) == repr(theirs.dtype)
        np.testing.assert_array_equal(to_np(ours), to_np(theirs))


def _x(*shape):
    return lambda L: L.ones(*shape)


BAD_CALLS = [  # (function, input, weight, kwargs)
    ("conv2d", (1, 3, 5, 5), (2, 2, 3, 3), {}),
    ("conv2d", (1, 4, 5, 5), (3, 2, 3, 3), dict(groups=2)),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(groups=2)),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(padding="same", stride=2)),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(padding="foo")),
    ("conv2d", (5, 5), (4, 4, 3, 3), {}),
    ("conv2d", (1, 4, 2, 2), (4, 4, 3, 3), {}),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(stride=0)),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(padding=-1)),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(dilation=0)),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(groups=0)),
    ("conv2d", (1, 4, 5, 5), (4, 4, 3, 3), dict(stride=(1, 2, 3))),
    ("conv2d", (1, 4, 5, 5), (4, 4, 0, 3), {}),
    ("conv1d", (1, 4, 5, 5), (4, 4, 3), {}),
    ("conv1d", (1, 4, 5), (4, 4, 3, 3), {}),
]


@pytest.mark.parametrize("fn,xs,ws,kwargs", BAD_CALLS)
def test_argument_errors_as_torch(fn, xs, ws, kwargs):
    errors = []
    for L in (fg, torch):
        with pytest.raises(Exception) as info:
            getattr(L.nn.functional, fn)(L.ones(*xs), L.ones(*ws), **kwargs)
        errors.append((type(info.value).__name__, str(info.value)))
    assert errors[0] == errors[1]


def test_bias_and_dtype_errors_as_torch():
    for L in (fg, torch):
        x, w = L.ones(1, 4, 5, 5), L.ones(4, 4, 3, 3)
        with pytest.raises(RuntimeError, match=r"expected bias to be 1-dimensional with 4 "
                                               r"elements, but got bias of size \[3\] instead"):
            L.conv2d(x, w, L.ones(3))
        with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
            L.conv2d(x, w.double())
        with pytest.raises(TypeError, match="invalid combination of arguments"):
            L.conv2d(x, w, stride=1.5)


# ---- the modules -------------------------------------------------------------------------------
MODULES = [
    ("Conv2d", (3, 4, (3, 2)), dict(stride=2, padding=1), (2, 3, 7, 6)),
    ("Conv2d", (4, 6, 3), dict(padding="same", dilation=2, groups=2, bias=False), (1, 4, 5, 5)),
    ("Conv1d", (2, 4, 3), dict(padding="valid", stride=(2,)), (3, 2, 9)),
    ("Conv1d", (2, 2, 4), dict(padding="same"), (2, 7)),
]


@pytest.mark.parametrize("cls,args,kwargs,shape", MODULES)
def test_modules_as_torch(cls, args, kwargs, shape):
    made = []
    for L in (fg, torch):
        L.manual_seed(0)
        made.append(getattr(L.nn, cls)(*args, **kwargs))
    ours, theirs = made
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, p in theirs.named_parameters():  # torch's draws, bit for bit
        np.testing.assert_array_equal(to_np(getattr(ours, name)), to_np(p))
    (fx, tx) = both(rand(shape, "float32"), requires_grad=True)
    fy, ty = ours(fx), theirs(tx)
    np.testing.assert_allclose(to_np(fy), to_np(ty), rtol=1e-5, atol=1e-5)
    assert fy.grad_fn.name() == ty.grad_fn.name()
    (fy * fy).sum().backward()
    (ty * ty).sum().backward()
    for f, t in [(fx, tx)] + [(getattr(ours, n), p) for n, p in theirs.named_parameters()]:
        np.testing.assert_allclose(to_np(f.grad), to_np(t.grad), rtol=1e-4, atol=1e-4)


def test_module_float64_and_module_errors_as_torch():
    for L in (fg, torch):
        L.manual_seed(1)
    ours, theirs = fg.nn.Conv2d(2, 2, 2, dtype=fg.float64), torch.nn.Conv2d(2, 2, 2,
                                                                             dtype=torch.float64)
    assert repr(ours.weight.dtype) == repr(theirs.weight.dtype)
    np.testing.assert_array_equal(to_np(ours.weight), to_np(theirs.weight))
    for kwargs in [dict(groups=0), dict(groups=3), dict(padding="x"),
                   dict(padding="same", stride=2)]:
        errors = []
        for L in (fg, torch):
            with pytest.raises(ValueError) as info:
                L.nn.Conv2d(6, 4, 3, **kwargs)
            errors.append(str(info.value))
        assert errors[0] == errors[1]
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        fg.nn.Conv2d(2, 2, 3, padding_mode="foo")


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_as_torch(mode):
    """Padded by F.pad first, as torch: values, gradients and the repr."""
    for L in (fg, torch):
        L.manual_seed(3)
    ours, theirs = (L.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, dtype=L.float64)
                    for L in (fg, torch))
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 6))
    fx, tx = fg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fy, ty = ours(fx), theirs(tx)
    np.testing.assert_allclose(to_np(fy), to_np(ty), rtol=1e-12, atol=1e-12)
    fy.square().sum().backward()
    ty.square().sum().backward()
    np.testing.assert_allclose(to_np(fx.grad), to_np(tx.grad), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_np(ours.weight.grad), to_np(theirs.weight.grad), rtol=1e-12)


@pytest.mark.parametrize("cls,args,shape", [("LazyConv2d", (4, 3), (2, 3, 5, 5)),
                                            ("LazyConv1d", (2, 2), (3, 4)),
                                            ("LazyLinear", (3,), (2, 5))])
def test_lazy_modules_as_torch(cls, args, shape):
    made, outputs = [], []
    for L in (fg, torch):
        L.manual_seed(0)
        m = getattr(L.nn, cls)(*args)
        before = (repr(m), repr(m.weight), type(m.weight).__name__,
                  repr(L.nn.Sequential(m).state_dict()))
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            m.weight.shape
        outputs.append(m(L.ones(*shape)))
        made.append((m, before, repr(m), type(m).__name__, type(m.weight).__name__))
    (ours, *ours_text), (theirs, *theirs_text) = made
    assert ours_text == theirs_text
    for name, p in theirs.named_parameters():
        np.testing.assert_array_equal(to_np(getattr(ours, name)), to_np(p))
    np.testing.assert_allclose(to_np(outputs[0]), to_np(outputs[1]), rtol=1e-5, atol=1e-6)


def test_lazy_conv_input_errors_as_torch():
    errors = []
    for L in (fg, torch):
        with pytest.raises(RuntimeError) as info:
            L.nn.LazyConv2d(4, 3)(L.ones(3, 3))
        errors.append(str(info.value))
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            L.nn.LazyConv2d(4, 3, groups=2)(L.ones(1, 3, 4, 4))
    assert errors[0] == errors[1]
