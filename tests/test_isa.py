"""Every instruction-set level of the matrix-product kernel, on this one machine: the
FASTGRAD_ISA environment variable caps the level picked at load time, so each level runs in a
subprocess of its own. (test_kernels.py checks the default level against for-loop products;
here numpy in float64 is the oracle, to keep three subprocesses quick.) NaN and infinities too,
and the dot products and window products behind the convolution.
"""
import os
import subprocess
import sys

import pytest

import fastgrad as fg

LEVELS = ["baseline", "avx2", "avx512"]

CHECK = r"""
import numpy as np, fastgrad as fg
rng = np.random.default_rng(0)
for dtype in (np.float32, np.float64):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for m, k, n in [(1, 1, 1), (5, 7, 3), (17, 33, 29), (70, 130, 90), (3, 300, 700),
                    (260, 520, 300), (32, 30, 200), (32, 200, 27), (200, 32, 27)]:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        want = a.astype(np.float64) @ b.astype(np.float64)
        for x, y in [(a, b), (np.asfortranarray(a), b), (a, np.asfortranarray(b)),
                     (np.asfortranarray(a), np.asfortranarray(b))]:
            got = fg.mm(fg.from_numpy(x), fg.from_numpy(y)).numpy()
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
# NaN and 0 * inf reach every output they touch: no kernel skips a zero
a = rng.uniform(-1, 1, (130, 600))
b = rng.uniform(-1, 1, (600, 40))
a[5, 7], a[9, :], b[:, 3], b[11, 13] = np.nan, 0.0, 0.0, np.inf
got = np.isnan(fg.mm(fg.tensor(a), fg.tensor(b)).numpy())
assert (got == np.isnan((a[:, :, None] * b[None, :, :]).sum(1))).all(), np.argwhere(got)
# the convolution's weight gradient of few channels, as dot products of rows (fg_dots); rows of
# 6 * 11 + 9 = 75 positions end in a short piece
from numpy.lib.stride_tricks import sliding_window_view
for dtype in (np.float32, np.float64):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    x, g = rng.standard_normal((3, 2, 9, 11)), rng.standard_normal((3, 5, 7, 9))
    w = fg.zeros(5, 2, 3, 3, dtype=fg.float32 if dtype == np.float32 else fg.float64)
    w.requires_grad_()
    fg.conv2d(fg.tensor(x.astype(dtype)), w).backward(fg.tensor(g.astype(dtype)))
    want = np.einsum("nohw,nchwij->ocij", g, sliding_window_view(x, (3, 3), axis=(2, 3)))
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=tol, atol=tol)
# larger images: windows read in place as B's rows (fg_taps: the forward, the input gradient as
# a flipped forward) and as A's rows (fg_rows: the weight gradient)
for dtype in (np.float32, np.float64):
    tol = 1e-3 if dtype == np.float32 else 1e-10
    x, w, g = (rng.standard_normal(s) for s in ((2, 16, 20, 24), (32, 16, 3, 3), (2, 32, 20, 24)))
    xt, wt = (fg.tensor(a.astype(dtype)).requires_grad_() for a in (x, w))
    y = fg.conv2d(xt, wt, padding=1)
    y.backward(fg.tensor(g.astype(dtype)))
    win = lambda a: sliding_window_view(np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3),
                                        axis=(2, 3))
    for got, want in [(y, np.einsum("nchwij,ocij->nohw", win(x), w)),
                      (xt.grad, np.einsum("nohwij,ocij->nchw", win(g), w[:, :, ::-1, ::-1])),
                      (wt.grad, np.einsum("nohw,nchwij->ocij", g, win(x)))]:
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=tol, atol=tol)
print(fg.isa())
"""


@pytest.mark.parametrize("level", LEVELS)
def test_each_isa_level_computes_the_same_products(level, tmp_path):
    best = fg.isa()
    expected = LEVELS[min(LEVELS.index(level), LEVELS.index(best))]
    env = dict(os.environ, FASTGRAD_ISA=level)
    # from an empty folder, so that the installed package is imported, not a source tree
    run = subprocess.run([sys.executable, "-c", CHECK], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[-1] == expected
