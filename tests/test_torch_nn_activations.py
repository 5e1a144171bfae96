"""The activations of torch.nn and torch.nn.functional against torch: values and gradients
(in place too), extreme inputs, reprs, errors; their kernels against the for-loop rules of
ops_db.ACTIVATIONS, and the gradients against torch's derivatives there."""
import warnings

import numpy as np
import pytest

from torch_compare import assert_same, assert_same_error, compare, fg, rand, torch
import ops_db as db
import reference as ref

F_CALLS = {  # name: fn(L.nn.functional, x)
    "gelu": lambda F, x: F.gelu(x), "gelu tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x), "mish": lambda F, x: F.mish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x), "hardswish": lambda F, x: F.hardswish(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2), "elu": lambda F, x: F.elu(x, 1.5),
    "softplus": lambda F, x: F.softplus(x), "softplus beta": lambda F, x: F.softplus(x, 2, 3),
    "hardtanh": lambda F, x: F.hardtanh(x, -2.0, 1.5), "relu6": lambda F, x: F.relu6(x * 4),
    "softsign": lambda F, x: F.softsign(x), "tanhshrink": lambda F, x: F.tanhshrink(x),
    "tanh": lambda F, x: F.tanh(x), "sigmoid": lambda F, x: F.sigmoid(x),
}
# torch's vectorized float32 gelu rounds 1 + erf(x) to a few units in the last place of 1
GELU_TOL = dict(rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("call", sorted(F_CALLS))
def test_functions_match_torch(call, dtype):
    compare(lambda L, x: F_CALLS[call](L.nn.functional, x), rand((4, 9), dtype, low=-5, high=5))


EXTREME = np.array([-1e4, -100.0, -30.0, -20.5, -3.0, -1e-30, 0.0, 3.0, 20.5, 30.0, 100.0, 1e4])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("call", sorted(F_CALLS))
def test_extreme_inputs_give_torch_values_and_gradients(call, dtype):
    compare(lambda L, x: F_CALLS[call](L.nn.functional, x), EXTREME.astype(dtype))


INPLACE = {
    "relu_": lambda F, x: F.relu_(x), "relu inplace": lambda F, x: F.relu(x, inplace=True),
    "leaky_relu_": lambda F, x: F.leaky_relu_(x, 0.3), "elu_": lambda F, x: F.elu_(x, 2.0),
    "elu inplace": lambda F, x: F.elu(x, inplace=True),
    "hardtanh_": lambda F, x: F.hardtanh_(x), "relu6 inplace": lambda F, x: F.relu6(x, True),
    "silu inplace": lambda F, x: F.silu(x, inplace=True),
    "mish inplace": lambda F, x: F.mish(x, inplace=True),
    "hardswish inplace": lambda F, x: F.hardswish(x, inplace=True),
    "hardsigmoid inplace": lambda F, x: F.hardsigmoid(x, inplace=True),
}


@pytest.mark.parametrize("call", sorted(INPLACE))
def test_in_place_forms_write_the_input_and_differentiate(call):
    def fn(L, x):
        h = x * 1
        out = INPLACE[call](L.nn.functional, h)
        assert out is h
        return h * x
    compare(fn, rand((3, 5), "float64", low=-4, high=4))


@pytest.mark.parametrize("e", db.ACTIVATIONS, ids=[e.name for e in db.ACTIVATIONS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_kernels_match_their_rules_on_one_element(e, dtype):
    x = db.operands(e, [(5, 7)], dtype, np.random.default_rng(0))[0]
    x.reshape(-1)[:3] = [np.inf, -np.inf, np.nan]
    x = x.T  # strided
    F = fg.nn.functional
    fn = (lambda t: F.gelu(t, approximate="tanh")) if e.name == "gelu_tanh" else \
        getattr(F, e.name)
    t = fg.tensor(x, requires_grad=dtype != np.float16)
    got = fn(t)
    wide = np.float32 if dtype == np.float16 else dtype
    want = ref.elementwise(e.scalar, x.astype(wide), out_dtype=wide).astype(dtype)
    tol = {np.float16: 1e-3, np.float32: 2e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=tol, atol=tol)
    if dtype == np.float16:
        return
    g = rand(x.shape, dtype.__name__, seed=3)
    got.backward(fg.tensor(g))
    finite = np.isfinite(x)
    with np.errstate(all="ignore"):
        derivative = e.derivative(x.astype(np.float64), None)
    np.testing.assert_allclose(t.grad.numpy()[finite], (g * derivative)[finite], rtol=tol * 4,
                               atol=tol)


def test_hardsigmoid_gradient_matches_torch_and_its_second_derivative_is_zero():
    compare(lambda L, x: L.nn.functional.hardsigmoid(x * 2) * x, rand((3, 4), low=-4, high=4))
    x = fg.tensor(rand((3, 4), low=-4, high=4), requires_grad=True)
    (g,) = fg.autograd.grad(fg.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    (gg,) = fg.autograd.grad(g.sum(), x)
    assert not gg.numpy().any()


MODULES = [
    ("ReLU", ()), ("ReLU", (True,)), ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", (True,)),
    ("Mish", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2, True)), ("ELU", ()), ("ELU", (2.0, True)),
    ("Softplus", ()), ("Softplus", (2, 5)), ("Hardtanh", ()), ("Hardtanh", (-2, 2, True)),
    ("ReLU6", ()), ("ReLU6", (True,)), ("Hardsigmoid", (True,)), ("Hardswish", ()),
    ("Softsign", ()), ("Tanhshrink", ()), ("Sigmoid", ()), ("Tanh", ()), ("Softmax", (1,)),
    ("LogSoftmax", (0,)), ("PReLU", ()), ("PReLU", (3, 0.1)),
]


@pytest.mark.parametrize("name,args", MODULES, ids=[f"{n}{a}" for n, a in MODULES])
def test_modules_match_torch(name, args):
    ours, theirs = getattr(fg.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours, theirs = ours.double(), theirs.double()
    compare(lambda L, x: (ours if L is fg else theirs)(x * 1) * x, rand((2, 3, 4), low=-4, high=4))


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
def test_softmax_modules_without_dim_warn_and_pick_torch_dim(name):
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = rand(shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice") as ours:
            got = getattr(fg.nn, name)()(fg.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = getattr(torch.nn, name)()(torch.tensor(x))
        assert_same(got, want)
        assert ours[0].filename == __file__  # the warning points at the caller, as torch's


ERRORS = {
    "gelu approximate": lambda L: L.nn.functional.gelu(L.ones(2), approximate="exact"),
    "gelu of ints": lambda L: L.nn.functional.gelu(L.tensor([1, 2])),
    "silu of ints": lambda L: L.nn.functional.silu(L.tensor([1, 2])),
    "elu of ints": lambda L: L.nn.functional.elu(L.tensor([1, 2])),
    "softplus of ints": lambda L: L.nn.functional.softplus(L.tensor([1, 2])),
    "gelu of a list": lambda L: L.nn.functional.gelu([1.0]),
    "hardtanh bounds": lambda L: L.nn.functional.hardtanh(L.ones(2), 2.0, 1.0),
    "linear shapes": lambda L: L.nn.functional.linear(L.ones(2, 3), L.ones(4, 2)),
    "prelu channels": lambda L: L.nn.functional.prelu(L.ones(2, 3), L.ones(2)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(case):
    assert_same_error(ERRORS[case])


def test_hardtanh_and_relu6_of_integers_clamp_as_torch():
    x = np.array([-3, 0, 2, 9])
    for fn in (lambda L, x: L.nn.functional.hardtanh(x), lambda L, x: L.nn.functional.relu6(x)):
        compare(fn, x, grad=False)


def test_grad_fn_names_match_torch():
    for call, fn in sorted(F_CALLS.items()):
        x, t = fg.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
        ours, theirs = fn(fg.nn.functional, x * 2), fn(torch.nn.functional, t * 2)
        assert ours.grad_fn.name() == theirs.grad_fn.name(), call


def test_in_place_grad_fn_names_match_torch():
    for call, fn in sorted(INPLACE.items()):
        x, t = fg.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
        ours, theirs = fn(fg.nn.functional, x * -2), fn(torch.nn.functional, t * -2)
        assert ours.grad_fn.name() == theirs.grad_fn.name(), call
