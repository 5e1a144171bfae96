"""torch.nn's padding layers against torch: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad
and CircularPad in 1, 2 and 3 dimensions (values, gradients, reprs, errors)."""
import numpy as np
import pytest

from torch_compare import assert_same, assert_same_error, both, rand, torch

import fastgrad as fg

LAYERS = [
    ("ZeroPad1d", ((1, 2),), (2, 3)), ("ZeroPad2d", (2,), (1, 2, 3)),
    ("ZeroPad3d", ((1, 0, 2, 1, 0, 1),), (1, 2, 2, 3)), ("ConstantPad1d", (2, -1.5), (2, 3, 4)),
    ("ConstantPad2d", ((1, -1, 0, 2), 3), (2, 3, 4)), ("ConstantPad3d", (1, 3.5), (1, 2, 2, 2)),
    ("ReflectionPad1d", (2,), (2, 4)), ("ReflectionPad2d", ((1, 2, 0, 1),), (1, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 1, 2, 3, 3)), ("ReplicationPad1d", ((3, 1),), (2, 2, 3)),
    ("ReplicationPad2d", (1,), (2, 3, 2)),
    ("ReplicationPad3d", ((1, 2, 0, 1, 2, 0),), (1, 2, 2, 3)),
    ("CircularPad1d", (2,), (2, 3)), ("CircularPad2d", ((1, 0, 2, 1),), (1, 2, 3, 3)),
    ("CircularPad3d", (1,), (2, 2, 2, 2)),
]


@pytest.mark.parametrize("name,args,shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_padding_layers_match_torch(name, args, shape):
    ours, theirs = getattr(fg.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    x, tx = both(rand(shape), requires_grad=True)
    out, tout = ours(x), theirs(tx)
    assert_same(out, tout)
    weights = rand(tuple(tout.shape), seed=2)
    (out * fg.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    assert_same(x.grad, tx.grad)


@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.CircularPad2d(1), (3, 3)),
    (lambda L: L.nn.CircularPad1d(1), (1, 2, 3, 3)),
    (lambda L: L.nn.ReflectionPad1d(3), (1, 3)),
    (lambda L: L.nn.ReplicationPad2d(1), (3,)),
    (lambda L: L.nn.ZeroPad2d((1, 2, 3)), (2, 3)),
])
def test_padding_layer_errors_match_torch(make, shape):
    assert_same_error(lambda L: make(L)(L.ones(shape)))


def test_padding_layers_in_a_model_as_torch():
    model = [L.nn.Sequential(L.nn.ReflectionPad2d(1), L.nn.ZeroPad2d((0, 1, 0, 1)))
             for L in (fg, torch)]
    assert repr(model[0]) == repr(model[1])
    x = np.arange(8.0).reshape(1, 2, 4)
    np.testing.assert_array_equal(model[0](fg.tensor(x)).numpy(),
                                  model[1](torch.tensor(x)).numpy())


def test_same_padding_with_an_even_kernel_warns_as_torch():
    # torch warns once per process (TORCH_WARN_ONCE), so only its words are checked here
    words = ("Using padding='same' with even kernel lengths and odd dilation may require a "
             "zero-padded copy of the input be created")
    with pytest.warns(UserWarning) as caught:
        out = fg.nn.Conv2d(1, 1, (2, 3), padding="same")(fg.ones(1, 1, 4, 4))
    assert [str(w.message) for w in caught] == [words]
    assert tuple(out.shape) == (1, 1, 4, 4)
