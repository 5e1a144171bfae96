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
    "selu": lambda F, x: F.selu(x), "celu": lambda F, x: F.celu(x, 1.5),
    "logsigmoid": lambda F, x: F.logsigmoid(x), "softshrink": lambda F, x: F.softshrink(x, 1.0),
    "hardshrink": lambda F, x: F.hardshrink(x), "threshold": lambda F, x: F.threshold(x, 0.5, 4),
    "glu": lambda F, x: F.glu(x.expand(2, *x.shape) * 2 - x, 0), "softmin": lambda F, x: F.softmin(x, 0),
    "rrelu eval": lambda F, x: F.rrelu(x, 0.2, 0.4),
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
    "selu_": lambda F, x: F.selu_(x), "celu inplace": lambda F, x: F.celu(x, 0.5, True),
    "threshold_": lambda F, x: F.threshold_(x, 0.5, -1.0), "rrelu_": lambda F, x: F.rrelu_(x),
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
    ("SELU", ()), ("SELU", (True,)), ("CELU", ()), ("CELU", (2.0, True)), ("LogSigmoid", ()),
    ("Threshold", (0.1, 20)), ("Threshold", (-0.5, 2.5, True)), ("Softshrink", ()),
    ("Softshrink", (1,)), ("Hardshrink", (0.25,)), ("Softmin", (1,)), ("Softmax2d", ()),
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
    "selu of ints": lambda L: L.selu(L.tensor([1, 2])),
    "celu alpha 0": lambda L: L.celu(L.ones(2), 0.0),
    "logsigmoid of ints": lambda L: L.nn.functional.logsigmoid(L.tensor([1, 2])),
    "softshrink lambda": lambda L: L.nn.functional.softshrink(L.ones(2), -0.5),
    "softshrink lambda float64": lambda L: L.nn.functional.softshrink(L.ones(2).double(), -2),
    "hardshrink of ints": lambda L: L.nn.functional.hardshrink(L.tensor([1, 2])),
    "glu odd": lambda L: L.nn.functional.glu(L.ones(2, 3)),
    "glu 0-d": lambda L: L.nn.functional.glu(L.ones(())),
    "rrelu bounds": lambda L: L.nn.functional.rrelu(L.ones(2), 0.5, 0.25, True),
    "softmax2d 2-d": lambda L: L.nn.Softmax2d()(L.ones(2, 3)),
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


# ---- act2 --------------------------------------------------------------------------------------
IN_PLACE_TWICE = {  # in-place forms whose second derivative reads the input or the output
    "relu_": lambda L, h: L.nn.functional.relu(h, inplace=True), "sigmoid_": lambda L, h: h.sigmoid_(),
    "tanh_": lambda L, h: h.tanh_(), "exp_": lambda L, h: h.exp_(),
    "elu_": lambda L, h: L.nn.functional.elu_(h), "selu_": lambda L, h: L.selu_(h),
    "mul_": lambda L, h: h.mul_(h.detach() + 1),
}


@pytest.mark.parametrize("call", sorted(IN_PLACE_TWICE))
def test_second_derivatives_through_in_place_activations_match_torch(call):
    x0 = rand((2, 3), "float64", low=-2, high=2)
    results = []
    for L in (fg, torch):
        x = L.tensor(x0, requires_grad=True)
        y = IN_PLACE_TWICE[call](L, x * x - 1)
        (g,) = L.autograd.grad((y * y).sum(), x, create_graph=True)
        (gg,) = L.autograd.grad((g * g).sum(), x)
        results.append((g, gg))
    for ours, theirs in zip(*results):
        assert_same(ours, theirs)


def test_rrelu_training_draws_torchs_noise_from_the_generator():
    x0 = rand((3, 7), "float64", low=-3, high=2)
    for dtype in ("float32", "float64"):
        compare(lambda L, x: (L.manual_seed(5), L.nn.functional.rrelu(x, 0.1, 0.6, True))[1],
                x0.astype(dtype))
    for L in (fg, torch):  # a module in train mode, then eval; torch.rrelu with a generator
        L.manual_seed(3)
        m = L.nn.RReLU(0.2, 0.5, inplace=True)
        x = L.tensor(x0)
        results = [m(x * 1), m.eval()(x * 1), L.rrelu(x, generator=L.Generator().manual_seed(1),
                                                      training=True), L.rand(2)]
        if L is fg:
            ours = results
    for o, t in zip(ours, results):
        assert_same(o, t)


def test_threshold_of_integers_truncates_as_torch():
    compare(lambda L, x: L.nn.functional.threshold(x, 1.5, 7.9), np.array([-3, 1, 2, 9]),
            grad=False)
    compare(lambda L, x: L.threshold_(x * 1, 2, -1), np.array([-3, 1, 2, 9]), grad=False)


def test_softmin_and_softmax2d_pick_torchs_dims():
    x = rand((2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin") as ours:
        got = fg.nn.Softmin()(fg.tensor(x))
    assert ours[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(got, torch.nn.Softmin()(torch.tensor(x)))
    assert_same(fg.nn.Softmax2d()(fg.tensor(x[0])), torch.nn.Softmax2d()(torch.tensor(x[0])))


@pytest.mark.parametrize("args", [(), (0,)])
def test_glu_module_matches_torch(args):
    ours, theirs = fg.nn.GLU(*args), torch.nn.GLU(*args)
    assert repr(ours) == repr(theirs)
    compare(lambda L, x: (ours if L is fg else theirs)(x), rand((2, 3, 4), "float64"))


def test_linear_grad_fn_names_match_torch():
    for shape in [(4,), (3, 4), (2, 3, 4), (0, 4)]:
        names = []
        for L in (fg, torch):
            x, w, b = (L.ones(*s, requires_grad=True) for s in (shape, (5, 4), (5,)))
            out = L.nn.functional.linear(x, w, b)
            inner = out.grad_fn.next_functions[0][0] if len(shape) != 2 else out.grad_fn
            names.append((out.grad_fn.name(), inner.name(), L.nn.functional.linear(x, w).grad_fn.name()
                          if len(shape) > 1 else ""))
        assert names[0] == names[1], shape


def test_threshold_kernels_match_their_rules_on_one_element():
    x = np.array([[-np.inf, -1.0, 0.5, 0.75], [np.nan, 0.5 + 1e-9, 3.0, np.inf]]).T  # strided
    for dtype in (np.float32, np.float64):
        t = fg.tensor(x.astype(dtype), requires_grad=True)
        out = fg.nn.functional.threshold(t, 0.5, -2.0)
        want = ref.elementwise(lambda v: -2.0 if v <= 0.5 else v, x.astype(dtype), out_dtype=dtype)
        np.testing.assert_array_equal(out.detach().numpy(), want)
        out.backward(fg.ones(x.shape) * 3)
        np.testing.assert_array_equal(t.grad.numpy(), ref.elementwise(
            lambda v: 0.0 if v <= 0.5 else 3.0, x.astype(dtype), out_dtype=dtype))
