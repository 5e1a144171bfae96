"""fastgrad against real PyTorch, shape ops, basic indexing, joining, where, copies and casts: the
same inputs through both libraries give the same values, dtypes, shapes, gradients, reprs and
errors. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402
from torch_compare import rand, both, compare, FLOATS, assert_same_error  # noqa: E402


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


# ---- cutting, rearranging and copying: values, gradients, views and errors as torch's ----------
CUTS = {
    "split int": lambda L, t: L.stack(t.split(2, 2), 0),
    "split last shorter": lambda L, t: t.split(3, 2)[1],
    "split sizes": lambda L, t: L.split(t, [1, 2], dim=1)[1],
    "split keywords": lambda L, t: t.split(split_size=[3, 1], dim=2)[0] * L.split(
        t, split_size_or_sections=2, dim=0)[0][..., 1:],
    "chunk": lambda L, t: t.chunk(3, -1)[1],
    "chunk uneven": lambda L, t: L.chunk(t, 3, 1)[0] * t.chunk(3, 1)[2].sum(),
    "unbind": lambda L, t: t.unbind(1)[2],
    "narrow": lambda L, t: t.narrow(2, 1, 2),
    "narrow tensor start": lambda L, t: L.narrow(t, 0, L.tensor(1), 1),
    "diagonal": lambda L, t: t.diagonal(),
    "diagonal offset dims": lambda L, t: L.diagonal(t, 1, -1, 0),
    "diagonal past the edge": lambda L, t: t.diagonal(5),
    "movedim": lambda L, t: t.movedim(-1, 0),
    "moveaxis lists": lambda L, t: L.moveaxis(t, [0, 2], [2, 1]),
    "swapaxes": lambda L, t: t.swapaxes(0, 2),
    "swapdims": lambda L, t: L.swapdims(t, 1, -1),
    "unflatten": lambda L, t: t.unflatten(-1, (2, 2)),
    "unflatten -1": lambda L, t: L.unflatten(t, 1, (-1, 1)),
    "view -1 middle": lambda L, t: t.view(2, -1, 2),
    "reshape -1 first": lambda L, t: t.reshape(-1, 3, 2),
    "expand -1": lambda L, t: t[:, :1].expand(-1, 5, 4),
    "squeeze tuple": lambda L, t: t[:, :1, None].squeeze((1, 2)),
    "repeat": lambda L, t: t.repeat(1, 2, 1, 2),
    "tile short dims": lambda L, t: t.tile((2,)),
    "roll flat": lambda L, t: t.roll(5),
    "roll dims": lambda L, t: L.roll(t, (1, -1), (0, 2)),
    "tril": lambda L, t: t.tril(),
    "triu -1": lambda L, t: L.triu(t, diagonal=-1),
    "diag": lambda L, t: L.diag(t[0], 2),
    "diag 2-d": lambda L, t: t[0].diag(-1),
    "diag_embed": lambda L, t: L.diag_embed(t, -1, 0, 3),
    "hstack": lambda L, t: L.hstack([t, t]),
    "vstack": lambda L, t: L.vstack([t[0, 0], t[1, 1]]),
    "dstack": lambda L, t: L.dstack([t[0, 0], t[1, 2]]),
    "column_stack": lambda L, t: L.column_stack([t[0, :, 0], t[0]]),
    "concat": lambda L, t: L.concat([t, t], dim=-1),
    "concatenate": lambda L, t: L.concatenate([t, t], axis=1),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", CUTS)
def test_cuts_and_copies(op, dtype):
    compare(CUTS[op], rand((2, 3, 4), dtype, seed=5))


VIEWS = {
    "split": lambda L, t: t.split(1, 1)[1],
    "split sizes": lambda L, t: t.split([2, 2], 2)[1],
    "chunk": lambda L, t: t.chunk(2, 2)[1],
    "unbind": lambda L, t: t.unbind(0)[1],
    "narrow": lambda L, t: t.narrow(1, 1, 2),
    "diagonal": lambda L, t: t.diagonal(1, 1, 2),
    "movedim": lambda L, t: t.movedim(0, 2),
    "swapaxes": lambda L, t: t.swapaxes(0, 1),
    "unflatten": lambda L, t: t.unflatten(2, (2, 2)),
    "meshgrid": lambda L, t: L.meshgrid(t[0, 0], t[1, 1], indexing="ij")[0],
}


def version(t):
    return t._version if isinstance(t, torch.Tensor) else t._version[0]  # ours: a shared cell


@pytest.mark.parametrize("op", VIEWS)
def test_views_share_memory_and_version(op):
    """A write through the view shows in the base and bumps the version both see; the view's
    _base (torch's ._base) is the base."""
    results = []
    for L in (fg, torch):
        base = L.tensor(rand((2, 3, 4), "float64", seed=2))
        v = VIEWS[op](L, base)
        assert v._base is base
        before = version(base)
        if op != "meshgrid":  # meshgrid's views expand: torch refuses writes into them
            v.mul_(10)
            assert version(base) == version(v) == before + 1
        results.append(base.numpy().copy())
    np.testing.assert_array_equal(*results)


@pytest.mark.parametrize("op", ["repeat", "tile", "roll", "tril", "diag 2-d", "hstack"])
def test_copies_do_not_share_memory(op):
    base = fg.ones(2, 3, 4, dtype=fg.float64)
    out = CUTS[{"tile": "tile short dims", "roll": "roll flat"}.get(op, op)](fg, base)
    assert out._base is None
    out.mul_(3)
    assert base.tolist() == fg.ones(2, 3, 4, dtype=fg.float64).tolist()


def test_in_place_triangles():
    for name in ("tril_", "triu_"):
        ours, theirs = both(rand((3, 4), "float64"))
        assert getattr(ours, name)(1) is ours and getattr(theirs, name)(1) is theirs
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert version(ours) == version(theirs) == 1


def test_meshgrid_warns_without_indexing():
    for L in (fg, torch):
        with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
            grids = L.meshgrid(L.arange(2), L.arange(3))
        assert [tuple(g.shape) for g in grids] == [(2, 3), (2, 3)]


SHAPE_ERRORS = {
    "split negative": lambda L: L.ones(4).split(-1),
    "split zero": lambda L: L.ones(4).split(0),
    "split sizes sum": lambda L: L.ones(4, 6).split([1, 3], 1),
    "chunk zero": lambda L: L.ones(4).chunk(0),
    "chunk 0-d": lambda L: L.ones(()).chunk(2),
    "narrow past the end": lambda L: L.ones(4).narrow(0, 2, 3),
    "narrow start out of range": lambda L: L.ones(4).narrow(0, 5, 0),
    "narrow 0-d": lambda L: L.ones(()).narrow(0, 0, 1),
    "diagonal same dims": lambda L: L.ones(3, 3).diagonal(0, 1, 1),
    "movedim lengths": lambda L: L.ones(2, 3).movedim((0, 1), (0,)),
    "movedim repeated": lambda L: L.ones(2, 3).movedim((0, 0), (0, 1)),
    "unflatten sizes": lambda L: L.ones(2, 6).unflatten(1, (4, 2)),
    "repeat too few": lambda L: L.ones(2, 3).repeat(2),
    "roll misaligned": lambda L: L.ones(2, 3).roll((1, 2), 0),
    "tril 1-d": lambda L: L.ones(3).tril(),
    "triu 1-d": lambda L: L.ones(3).triu(),
    "diag 3-d": lambda L: L.diag(L.ones(2, 2, 2)),
    "meshgrid indexing": lambda L: L.meshgrid(L.ones(2), indexing="yx"),
    "meshgrid dtypes": lambda L: L.meshgrid(L.ones(2), L.ones(2, dtype=L.int64), indexing="ij"),
    "meshgrid empty": lambda L: L.meshgrid([], indexing="ij"),
    "hstack empty": lambda L: L.hstack([]),
    "split negative size": lambda L: L.ones(4).split([5, -1]),
    "split float": lambda L: L.ones(4).split([1.5]),
    "split float sizes": lambda L: L.ones(4).split(1.5),
    "tile float": lambda L: L.ones(2).tile((1.5,)),
    "repeat negative": lambda L: L.ones(2).repeat(-1),
    "view two -1": lambda L: L.ones(12).view(-1, -1),
    "expand fewer sizes": lambda L: L.ones(2, 3, dtype=L.float64).expand(3),
    "expand leading -1": lambda L: L.ones(3).expand(-1, 3),
    "expand mismatch": lambda L: L.ones(3).expand(2, 2),
}


@pytest.mark.parametrize("op", list(CUTS))
def test_grad_fn_names(op):
    """The node each op records is named as torch's (x.grad_fn.name())."""
    names = []
    for L in (fg, torch):
        t = L.ones(2, 3, 4, dtype=L.float64, requires_grad=True)
        names.append(CUTS[op](L, t * 1).grad_fn.name())
    assert names[0] == names[1]


@pytest.mark.parametrize("dim", [None, 1, (1,), (0, 1)], ids=str)
def test_squeeze_grad_fn_names(dim):
    names = [(L.ones(1, 1, 3, requires_grad=True) * 1).squeeze(*(() if dim is None else (dim,)))
             .grad_fn.name() for L in (fg, torch)]
    assert names[0] == names[1]


@pytest.mark.parametrize("case", list(SHAPE_ERRORS))
def test_shape_errors_match_torch(case):
    assert_same_error(SHAPE_ERRORS[case])


def test_repeat_interleave_forms_and_errors_as_torch():
    def run(L):
        x = L.arange(6.0).reshape(2, 3)
        out = [x.repeat_interleave(L.tensor([2]), dim=0), x.repeat_interleave(L.tensor(2), dim=1),
               x.repeat_interleave(2, 0, output_size=4),
               x.repeat_interleave(L.tensor([0, 3, 1]), dim=1),
               L.repeat_interleave(L.tensor([2, 0, 1])), L.repeat_interleave(L.tensor([3, 0])),
               L.repeat_interleave(L.tensor([], dtype=L.int64))]
        out = [(tuple(t.shape), t.tolist(), repr(t.dtype)) for t in out]
        for bad in (lambda: x.repeat_interleave(-1),
                    lambda: x.repeat_interleave(L.tensor([1, 2, 3]), dim=0),
                    lambda: x.repeat_interleave(L.tensor([[1, 2]]), dim=0),
                    lambda: x.repeat_interleave(L.tensor([1.0, 2.0]), dim=0),
                    lambda: x.repeat_interleave(L.tensor([1, -2]), dim=0),
                    lambda: L.repeat_interleave(L.tensor([[1]]))):
            try:
                bad()
            except (RuntimeError, NotImplementedError) as e:
                out.append((type(e).__name__, str(e)))
        return out
    assert run(fg) == run(torch)
