"""nn.RNN, nn.LSTM, nn.GRU and their cells against torch's: parameters after manual_seed, state
dicts both ways, outputs, final states and gradients (of the input, hx and every parameter) in
several configurations, second derivatives, dropout between layers, reprs and errors."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402

from torch_compare import assert_same, to_np  # noqa: E402

CONFIGS = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", num_layers=2, batch_first=True)),
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(bias=False, batch_first=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(proj_size=2, bias=False)),
]


def pair(kind, *args, **kwargs):
    """The same module in both libraries, each built after manual_seed(0)."""
    torch.manual_seed(0)
    t = getattr(torch.nn, kind)(*args, **kwargs)
    fg.manual_seed(0)
    return getattr(fg.nn, kind)(*args, **kwargs), t


def tensors(lib, state):
    """The tensors of `state` (a tensor, a pair of them or None) as fresh leaves of lib."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(tensors(lib, s) for s in state)
    return lib.tensor(state.copy(), requires_grad=True)


def leaves(state):
    return [] if state is None else list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("kind,kwargs", CONFIGS)
def test_seeded_parameters_repr_and_state_dict(kind, kwargs):
    f, t = pair(kind, 5, 4, **kwargs)
    assert repr(f) == repr(t)
    assert list(f.state_dict()) == list(t.state_dict())
    assert f._flat_weights_names == t._flat_weights_names
    assert [[tuple(w.shape) for w in ws] for ws in f.all_weights] == \
        [[tuple(w.shape) for w in ws] for ws in t.all_weights]
    for a, b in zip(f.parameters(), t.parameters()):
        np.testing.assert_array_equal(to_np(a), to_np(b))  # the same draws, bit for bit


def states(kind, kwargs, batched, rng):
    """A random initial state of the layer's shapes (h, or LSTM's (h, c))."""
    directions = 2 if kwargs.get("bidirectional") else 1
    layers = kwargs.get("num_layers", 1) * directions
    h = (layers, 3, kwargs.get("proj_size") or 4) if batched else (layers, kwargs.get(
        "proj_size") or 4)
    c = h[:-1] + (4,)
    draw = lambda shape: rng.uniform(-1, 1, shape)  # noqa: E731
    return (draw(h), draw(c)) if kind == "LSTM" else draw(h)


@pytest.mark.parametrize("kind,kwargs", CONFIGS)
@pytest.mark.parametrize("batched,given_hx", [(True, False), (True, True), (False, True)])
def test_forward_and_gradients(kind, kwargs, batched, given_hx):
    """torch's float64 parameters loaded into ours; the outputs and every gradient agree."""
    f, t = pair(kind, 5, 4, **kwargs)
    t.double()
    f.double()
    f.load_state_dict({k: fg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(1)
    shape = ((3, 4) if kwargs.get("batch_first") else (4, 3)) if batched else (4,)
    x = rng.uniform(-1, 1, shape + (5,))
    hx = states(kind, kwargs, batched, rng) if given_hx else None
    results = []
    for lib, m in ((fg, f), (torch, t)):
        xl, hl = lib.tensor(x.copy(), requires_grad=True), tensors(lib, hx)
        out, h_n = m(xl, hl)
        finals = list(h_n) if kind == "LSTM" else [h_n]
        loss = (out * out).sum() + sum((s * s * s).sum() for s in finals)
        loss.backward()
        results.append((out, finals, [xl] + leaves(hl), list(m.parameters())))
    (fo, fh, fl, fp), (to, th, tl, tp) = results
    for a, b in zip([fo] + fh, [to] + th):
        assert_same(a, b)
    for a, b in zip(fl + fp, tl + tp):
        assert_same(a.grad, b.grad)


def test_our_state_dict_loads_into_torch():
    f, t = pair("LSTM", 3, 4, num_layers=2, bidirectional=True)
    fg.manual_seed(5)
    f.reset_parameters()
    t.load_state_dict({k: torch.tensor(to_np(v)) for k, v in f.state_dict().items()})
    x = np.random.default_rng(0).uniform(-1, 1, (5, 2, 3)).astype(np.float32)
    (fo, (fh, fc)), (to, (th, tc)) = f(fg.tensor(x)), t(torch.tensor(x))
    for a, b in ((fo, to), (fh, th), (fc, tc)):
        assert_same(a, b)


def test_dropout_between_layers_draws_as_torch():
    f, t = pair("GRU", 3, 4, num_layers=3, dropout=0.5)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 2, 3)).astype(np.float32)
    torch.manual_seed(3)
    to, th = t(torch.tensor(x))
    fg.manual_seed(3)
    fo, fh = f(fg.tensor(x))
    assert_same(fo, to)
    assert_same(fh, th)
    f.eval()
    t.eval()
    assert_same(f(fg.tensor(x))[0], t(torch.tensor(x))[0])


@pytest.mark.parametrize("kind,kwargs", [("RNNCell", dict(nonlinearity="relu")),
                                         ("GRUCell", dict()), ("LSTMCell", dict(bias=False))])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(kind, kwargs, batched):
    f, t = pair(kind, 3, 4, **kwargs)
    assert repr(f) == repr(t)
    for a, b in zip(f.parameters(), t.parameters()):
        np.testing.assert_array_equal(to_np(a), to_np(b))
    t.double()
    f.double()
    f.load_state_dict({k: fg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (2, 3) if batched else (3,))
    h = rng.uniform(-1, 1, (2, 4) if batched else (4,))
    hx = (h, h * 0.5) if kind == "LSTMCell" else h
    results = []
    for lib, m in ((fg, f), (torch, t)):
        xl, hl = lib.tensor(x.copy(), requires_grad=True), tensors(lib, hx)
        out = m(xl, hl)
        outs = list(out) if kind == "LSTMCell" else [out]
        sum((o * o).sum() for o in outs).backward()
        default = m(xl)  # hx of zeros
        outs += list(default) if kind == "LSTMCell" else [default]
        results.append((outs, [xl] + leaves(hl) + list(m.parameters())))
    (fo, fl), (to, tl) = results
    for a, b in zip(fo, to):
        assert_same(a, b)
    for a, b in zip(fl, tl):
        assert_same(a.grad, b.grad)


def test_second_derivatives():
    """Gradients are made of ops: the gradient of a gradient agrees with torch's."""
    f, t = pair("GRU", 2, 3)
    t.double()
    f.double()
    f.load_state_dict({k: fg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(4).uniform(-1, 1, (3, 1, 2))
    grads = []
    for lib, m in ((fg, f), (torch, t)):
        xl = lib.tensor(x.copy(), requires_grad=True)
        out, _ = m(xl)
        (g,) = lib.autograd.grad((out ** 2).sum(), xl, create_graph=True)
        (g * g).sum().backward()
        grads.append([xl.grad, m.weight_hh_l0.grad])
    for a, b in zip(*grads):
        assert_same(a, b)


ERRORS = [
    lambda L: L.nn.RNN(3, 4)(L.zeros(5, 3, 2, 1)),
    lambda L: L.nn.LSTM(3, 4)(L.zeros(5, 3, 2, 1)),
    lambda L: L.nn.GRU(3, 4)(L.zeros(5, 2, 2)),
    lambda L: L.nn.GRU(3, 4)(L.zeros(5, 2, 3, dtype=L.float64)),
    lambda L: L.nn.RNN(3, 4)(L.zeros(5, 2, 3), L.zeros(1, 3, 4)),
    lambda L: L.nn.RNN(3, 4)(L.zeros(5, 3), L.zeros(1, 1, 4)),
    lambda L: L.nn.RNN(3, 4)(L.zeros(5, 2, 3), L.zeros(3, 4)),
    lambda L: L.nn.LSTM(3, 4)(L.zeros(5, 2, 3), (L.zeros(1, 2, 4), L.zeros(2, 2, 4))),
    lambda L: L.nn.LSTM(3, 4)(L.zeros(5, 3), (L.zeros(1, 2, 4), L.zeros(2, 2, 4))),
    lambda L: L.nn.LSTM(3, 4)(L.zeros(0, 2, 3)),
    lambda L: L.nn.RNN(3, 4, nonlinearity="sigmoid"),
    lambda L: L.nn.GRU(3, 4, proj_size=2),
    lambda L: L.nn.LSTM(3, 4, proj_size=4),
    lambda L: L.nn.LSTM(3, 0),
    lambda L: L.nn.LSTM(3.0, 2),
    lambda L: L.nn.LSTM(3, 2, dropout=2),
    lambda L: L.nn.LSTM(3, 2, num_layers=0),
    lambda L: L.nn.RNNCell(3, 4)(L.zeros(2, 5)),
    lambda L: L.nn.RNNCell(3, 4)(L.zeros(2, 3), L.zeros(3, 4)),
    lambda L: L.nn.LSTMCell(3, 4)(L.zeros(2, 3), (L.zeros(2, 4), L.zeros(2, 5))),
    lambda L: L.nn.GRUCell(3, 4)(L.zeros(2, 3, 1)),
    lambda L: L.nn.LSTMCell(3, 4)(L.zeros(3), (L.zeros(4), L.zeros(1, 1, 4))),
]


@pytest.mark.parametrize("make", ERRORS)
def test_errors_as_torch(make):
    raised = []
    for lib in (torch, fg):
        with pytest.raises((ValueError, TypeError, RuntimeError)) as info:
            make(lib)
        raised.append((type(info.value), str(info.value)))
    assert raised[0] == raised[1]


def test_dropout_on_one_layer_warns_as_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fg.nn.LSTM(3, 4, dropout=0.5)
        torch.nn.LSTM(3, 4, dropout=0.5)
    assert len(caught) == 2 and str(caught[0].message) == str(caught[1].message)
