"""The losses of torch.nn and torch.nn.functional against torch: values and gradients in every
reduction, weights, ignore_index, label smoothing, class probabilities, extreme logits, the
deprecated size_average/reduce, modules (reprs, buffers), errors and warnings."""
import warnings

import numpy as np
import pytest

from torch_compare import assert_same, assert_same_error, compare, fg, rand, torch

REDUCTIONS = ["none", "mean", "sum"]
TARGETS = np.array([2, 0, -100, 4])  # one ignored
WEIGHT = np.array([0.5, 2.0, 1.0, 0.25, 3.0])


def _weight(L, x):
    return L.tensor(WEIGHT, dtype=x.dtype)


CLASS_LOSSES = {
    "nll_loss": lambda L, x, r: L.nn.functional.nll_loss(x, L.tensor(TARGETS), reduction=r),
    "nll_loss weight": lambda L, x, r: L.nn.functional.nll_loss(
        x, L.tensor(TARGETS), _weight(L, x), reduction=r),
    "nll_loss ignore_index": lambda L, x, r: L.nn.functional.nll_loss(
        x, L.tensor([2, 0, 1, 1]), _weight(L, x), ignore_index=1, reduction=r),
    "cross_entropy": lambda L, x, r: L.nn.functional.cross_entropy(
        x, L.tensor(TARGETS), reduction=r),
    "cross_entropy weight": lambda L, x, r: L.nn.functional.cross_entropy(
        x, L.tensor(TARGETS), _weight(L, x), reduction=r),
    "cross_entropy smoothing": lambda L, x, r: L.nn.functional.cross_entropy(
        x, L.tensor(TARGETS), reduction=r, label_smoothing=0.25),
    "cross_entropy weight smoothing": lambda L, x, r: L.nn.functional.cross_entropy(
        x, L.tensor(TARGETS), _weight(L, x), reduction=r, label_smoothing=0.1),
    "cross_entropy probabilities": lambda L, x, r: L.nn.functional.cross_entropy(
        x, (x * 0.5).detach().softmax(1), reduction=r),
    "cross_entropy probabilities weight smoothing": lambda L, x, r: L.nn.functional.cross_entropy(
        x, (x * 0.5).detach().softmax(1), _weight(L, x), reduction=r, label_smoothing=0.3),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", sorted(CLASS_LOSSES))
def test_class_losses_match_torch(loss, reduction):
    compare(lambda L, x: CLASS_LOSSES[loss](L, x, reduction), rand((4, 5)))


@pytest.mark.parametrize("loss", sorted(CLASS_LOSSES))
def test_class_losses_are_finite_at_extreme_logits(loss):
    x = rand((4, 5), "float32", seed=2) * 1e4  # logits of +-1e4
    x[0, :2] = [1e4, -1e4]
    compare(lambda L, x: CLASS_LOSSES[loss](L, x, "mean"), x)
    compare(lambda L, x: CLASS_LOSSES[loss](L, x, "none"), x)


def test_class_losses_of_more_dimensions_and_unbatched_inputs():
    targets = np.array([[[1, 0], [2, -100]], [[0, 0], [1, 2]]])
    for r in REDUCTIONS:
        for fn in (lambda L, x: L.nn.functional.nll_loss(x, L.tensor(targets), reduction=r),
                   lambda L, x: L.nn.functional.cross_entropy(
                       x, L.tensor(targets), L.tensor([1.0, 2.0, 0.5], dtype=x.dtype),
                       reduction=r, label_smoothing=0.2)):
            compare(fn, rand((2, 3, 2, 2)))
    compare(lambda L, x: L.nn.functional.nll_loss(x, L.tensor(1)), rand((5,)))
    compare(lambda L, x: L.nn.functional.cross_entropy(x, L.tensor(3), _weight(L, x)), rand((5,)))


def test_every_target_ignored_gives_torch_nan_mean_and_zero_sum():
    for r in REDUCTIONS:
        for fn in (lambda L, x: L.nn.functional.nll_loss(x, L.tensor([-100, -100]), reduction=r),
                   lambda L, x: L.nn.functional.cross_entropy(
                       x, L.tensor([-100, -100]), _weight(L, x), reduction=r,
                       label_smoothing=0.1)):
            compare(fn, rand((2, 5)), grad=False)


POINTWISE = {  # fn(L, x, t, reduction); x logits or probabilities as the loss takes
    "mse_loss": lambda L, x, t, r: L.nn.functional.mse_loss(x, t, reduction=r),
    "mse_loss weight": lambda L, x, t, r: L.nn.functional.mse_loss(x, t, reduction=r,
                                                                  weight=t.abs()),
    "l1_loss": lambda L, x, t, r: L.nn.functional.l1_loss(x, t, reduction=r),
    "l1_loss weight": lambda L, x, t, r: L.nn.functional.l1_loss(x, t, reduction=r,
                                                                weight=t.abs()),
    "smooth_l1_loss": lambda L, x, t, r: L.nn.functional.smooth_l1_loss(x, t, reduction=r),
    "smooth_l1_loss beta": lambda L, x, t, r: L.nn.functional.smooth_l1_loss(
        x, t, reduction=r, beta=0.3),
    "smooth_l1_loss beta 0": lambda L, x, t, r: L.nn.functional.smooth_l1_loss(
        x, t, reduction=r, beta=0.0),
    "huber_loss": lambda L, x, t, r: L.nn.functional.huber_loss(x, t, reduction=r),
    "huber_loss delta weight": lambda L, x, t, r: L.nn.functional.huber_loss(
        x, t, reduction=r, delta=0.4, weight=t.abs()),
    "binary_cross_entropy": lambda L, x, t, r: L.nn.functional.binary_cross_entropy(
        x.sigmoid(), t.sigmoid(), reduction=r),
    "binary_cross_entropy weight": lambda L, x, t, r: L.nn.functional.binary_cross_entropy(
        x.sigmoid(), (t > 0).to(x.dtype), weight=L.tensor([1.0, 2.0, 0.5], dtype=x.dtype),
        reduction=r),
    "bce_with_logits": lambda L, x, t, r: L.nn.functional.binary_cross_entropy_with_logits(
        x, t.sigmoid(), reduction=r),
    "bce_with_logits weights": lambda L, x, t, r: L.nn.functional.binary_cross_entropy_with_logits(
        x, t.sigmoid(), L.tensor([1.0, 2.0, 0.5], dtype=x.dtype), reduction=r,
        pos_weight=L.tensor([3.0, 0.5, 1.0], dtype=x.dtype)),
    "kl_div": lambda L, x, t, r: L.nn.functional.kl_div(
        x.log_softmax(1), t.softmax(1), reduction="batchmean" if r == "mean" else r),
    "kl_div log_target": lambda L, x, t, r: L.nn.functional.kl_div(
        x.log_softmax(1), t.log_softmax(1), reduction="batchmean" if r == "mean" else r,
        log_target=True),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", sorted(POINTWISE))
def test_pointwise_losses_match_torch(loss, reduction):
    compare(lambda L, x, t: POINTWISE[loss](L, x, t, reduction), rand((4, 3)),
            rand((4, 3), seed=5, low=-3, high=3))


@pytest.mark.parametrize("loss", sorted(POINTWISE))
def test_pointwise_losses_at_extreme_inputs_match_torch(loss):
    x = np.array([[1e4, -1e4, 0.0], [30.0, -30.0, 1e-3], [100.0, -100.0, 5.0]])
    t = np.array([[-1e4, 1e4, 0.0], [1.0, -1.0, 2.0], [-0.5, 0.5, 5.0]])
    # (kl_div's gradient subtracts nearly equal float32 terms, which torch's fused kernels round
    # otherwise: compared in float64)
    dtype = "float64" if loss.startswith("kl_div") else "float32"
    for r in ("none", "mean"):
        compare(lambda L, x, t: POINTWISE[loss](L, x, t, r), x.astype(dtype), t.astype(dtype))


def test_binary_cross_entropy_clamps_its_logs_at_minus_100_as_torch():
    x, t = np.array([0.0, 1.0, 1e-50, 1.0 - 1e-16, 0.5]), np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    for r in REDUCTIONS:
        compare(lambda L, x, t: L.nn.functional.binary_cross_entropy(x, t, reduction=r), x, t)


def test_regression_losses_broadcast_with_torch_warning():
    def fn(L, x, t):
        with pytest.warns(UserWarning, match="Using a target size") as caught:
            loss = L.nn.functional.l1_loss(x, t) + L.nn.functional.huber_loss(x, t) + \
                L.nn.functional.smooth_l1_loss(x, t) + L.nn.functional.mse_loss(x, t)
        assert caught[0].filename == __file__
        return loss
    compare(fn, rand((3, 4)), rand((4,), seed=2))


def test_kl_div_mean_warns_as_torch():
    for L in (fg, torch):
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            L.nn.functional.kl_div(L.zeros(2, 3), L.ones(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda L, x, t: L.nn.functional.kl_div(x, t.softmax(1)),
                rand((2, 3)), rand((2, 3), seed=3))


LEGACY = [(None, False), (False, None), (True, True), (False, True), (True, None)]


@pytest.mark.parametrize("size_average,reduce", LEGACY)
def test_deprecated_size_average_and_reduce_map_to_reduction_with_torch_warning(size_average,
                                                                                 reduce):
    def fn(L, x):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            return L.nn.functional.cross_entropy(x, L.tensor([1, 0, 2]), None, size_average,
                                                 reduce=reduce)
    compare(fn, rand((3, 4)))
    with pytest.warns(UserWarning) as caught:
        module = fg.nn.L1Loss(size_average, reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert module.reduction == torch.nn.L1Loss(size_average, reduce).reduction
    assert "reduction='" in str(caught[0].message)


MODULES = [
    ("L1Loss", (), {}), ("MSELoss", (), {"reduction": "sum"}), ("NLLLoss", (), {}),
    ("NLLLoss", (), {"weight": WEIGHT, "ignore_index": 1}),
    ("CrossEntropyLoss", (), {"weight": WEIGHT, "label_smoothing": 0.1, "reduction": "none"}),
    ("CrossEntropyLoss", (), {}), ("BCELoss", (), {"weight": np.array([1.0, 2.0, 3.0, 4.0, 5.0])}),
    ("BCEWithLogitsLoss", (), {"pos_weight": np.array([1.0, 2.0, 3.0, 4.0, 5.0])}),
    ("SmoothL1Loss", (), {"beta": 0.5}), ("HuberLoss", (), {"delta": 0.5, "reduction": "sum"}),
    ("KLDivLoss", (), {"reduction": "batchmean", "log_target": True}),
]


def _module_target(name, L, x):
    if name in ("NLLLoss", "CrossEntropyLoss"):
        return L.tensor([1, 0, 4])
    return (x * 0.3).detach().sigmoid() if name.startswith("BCE") else x.detach() * 0.5


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_match_torch(name, args, kwargs):
    def build(L):
        options = {k: L.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return getattr(L.nn, name)(*args, **options)
    ours, theirs = build(fg), build(torch)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.reduction == theirs.reduction

    def fn(L, x):
        module = ours if L is fg else theirs
        inp = x.sigmoid() if name == "BCELoss" else x
        return module(inp, _module_target(name, L, x))
    compare(fn, rand((3, 5)))


ERRORS = {
    "bad reduction": lambda L: L.nn.functional.l1_loss(L.ones(2), L.ones(2), reduction="avg"),
    "nll target out of bounds": lambda L: L.nn.functional.nll_loss(L.ones(3, 5),
                                                                   L.tensor([1, 7, 2])),
    "nll negative target": lambda L: L.nn.functional.nll_loss(L.ones(3, 5), L.tensor([1, -3, 2])),
    "ce weighted target out of bounds": lambda L: L.nn.functional.cross_entropy(
        L.ones(3, 5), L.tensor([1, 7, 2]), L.ones(5)),
    "nll weight size": lambda L: L.nn.functional.nll_loss(L.ones(3, 5), L.tensor([1, 2, 3]),
                                                         L.ones(4)),
    "ce probabilities weight size": lambda L: L.nn.functional.cross_entropy(
        L.ones(3, 5), L.ones(3, 5), L.ones(4)),
    "ce probabilities ignore_index": lambda L: L.nn.functional.cross_entropy(
        L.ones(3, 5), L.ones(3, 5), ignore_index=1),
    "ce probabilities of ints": lambda L: L.nn.functional.cross_entropy(
        L.ones(3, 5), L.ones(3, 5, dtype=L.int64)),
    "label_smoothing above 1": lambda L: L.nn.functional.cross_entropy(
        L.ones(3, 5), L.tensor([1, 2, 3]), label_smoothing=1.5),
    "bce sizes": lambda L: L.nn.functional.binary_cross_entropy(L.ones(3, 1) / 2, L.ones(3)),
    "bce out of range": lambda L: L.nn.functional.binary_cross_entropy(L.ones(3) * 2, L.ones(3)),
    "bce with logits sizes": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.ones(3, 1), L.ones(3)),
    "smooth_l1 negative beta": lambda L: L.nn.functional.smooth_l1_loss(L.ones(2), L.ones(2),
                                                                        beta=-1.0),
    "huber delta": lambda L: L.nn.functional.huber_loss(L.ones(2), L.ones(2), delta=0.0),
    "weight size": lambda L: L.nn.functional.mse_loss(L.ones(2, 3), L.ones(2, 3),
                                                      weight=L.ones(3)),
    "nll 0-d input": lambda L: L.nn.functional.nll_loss(L.tensor(1.0), L.tensor(1)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(case):
    assert_same_error(ERRORS[case])


def test_plain_class_indices_take_the_fused_node():
    x = fg.tensor(rand((3, 5)), requires_grad=True)
    loss = fg.nn.functional.cross_entropy(x, fg.tensor([1, 2, 3]))
    assert loss.grad_fn.name() == "NllLossBackward0"
    # x itself (its AccumulateGrad): one node, no softmax before it
    assert loss.grad_fn.next_functions[0][0].variable is x


def test_losses_of_float32_keep_their_dtype_and_shape():
    x, t = fg.ones(2, 3, requires_grad=True), fg.zeros(2, 3)
    for fn in (fg.nn.functional.huber_loss, fg.nn.functional.smooth_l1_loss,
               fg.nn.functional.binary_cross_entropy_with_logits):
        assert_same(fn(x, t), getattr(torch.nn.functional, fn.__name__)(
            torch.ones(2, 3), torch.zeros(2, 3)))


def test_grad_fn_names_match_torch():
    differ = set()
    for r in REDUCTIONS:
        for name, fn in CLASS_LOSSES.items():
            ours, theirs = (fn(L, L.tensor(rand((4, 5)), requires_grad=True), r)
                            for L in (fg, torch))
            if ours.grad_fn.name() != theirs.grad_fn.name():
                differ.add((name, r, ours.grad_fn.name(), theirs.grad_fn.name()))
        for name, fn in POINTWISE.items():
            ours, theirs = (fn(L, L.tensor(rand((4, 3)), requires_grad=True),
                               L.tensor(rand((4, 3))), r) for L in (fg, torch))
            if ours.grad_fn.name() != theirs.grad_fn.name():
                differ.add((name, r, ours.grad_fn.name(), theirs.grad_fn.name()))
    assert differ == set(), sorted(differ)
