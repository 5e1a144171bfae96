"""fastgrad against real PyTorch, shape ops, basic indexing, joining, where, copies and casts: the
same inputs through both libraries give the same values, dtypes, shapes, gradients, reprs and
errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import rand, both, compare, FLOATS  # noqa: E402


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
