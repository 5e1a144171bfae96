"""autograd.gradcheck and gradgradcheck: they pass on correct ops, and on a wrong gradient they
raise naming the output, the input and each mismatching entry with both values."""
import re
import warnings

import numpy as np
import pytest

import fastgrad as fg
from fastgrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None


def leaf(values):
    return fg.tensor(np.asarray(values, np.float64), requires_grad=True)


X = [0.5, -1.0, 2.0]
A = [[1.0, 2.0, 0.5], [0.0, 3.0, -1.0]]

CORRECT = {
    "elementwise": (lambda x: x.exp() * x.sin(), [X]),
    "broadcast": (lambda a, x: (a * x + 1).tanh() / (x * x + 1), [A, X]),
    "mm": (lambda a, b: fg.mm(a, b), [A, np.transpose(A) * 2]),
    "sum": (lambda a: (a * a).sum(dim=0), [A]),
    "composite": (lambda a, x: fg.sigmoid(fg.mv(a, x)).sum() * x, [A, X]),
    "two_outputs": (lambda a, x: (fg.mv(a, x), (x * x).sum()), [A, X]),
}


@pytest.mark.parametrize("case", CORRECT)
def test_passes_on_correct_ops(case):
    fn, values = CORRECT[case]
    inputs = tuple(leaf(v) for v in values)
    assert gradcheck(fn, inputs) is True
    assert gradgradcheck(fn, inputs) is True


def test_inputs_are_left_as_they_were():
    x = leaf(X)
    assert gradcheck(lambda x: x ** 3, x)
    assert x.tolist() == X and x._version[0] == 0 and x.grad is None


def test_non_contiguous_input():
    a = fg.tensor(np.asarray(A)).t().requires_grad_()  # each element is still moved alone
    assert not a.is_contiguous()
    assert gradcheck(lambda a: a.exp() * a[0], a)
    with pytest.raises(GradcheckError, match="6 mismatching entries"):
        gradcheck(WrongExp.apply, a)


def test_non_differentiable_inputs_are_passed_through():
    x = leaf(X)
    c = fg.tensor(np.asarray(X) * 3)  # does not require grad: not checked
    assert gradcheck(lambda x, c, k: (x * c) ** k, (x, c, 2))


def exp_function(L, factor):
    """exp as a Function of library L whose gradient is `factor` times the true one."""

    class Exp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return factor * g * y

    return Exp


WrongExp = exp_function(fg, 2)  # a gradient twice too large


def test_wrong_gradient_raises_with_the_entries():
    x = leaf(X)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongExp.apply, x)
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0,\n"
                              "numerical:tensor([[")
    assert "\nanalytical:tensor([[" in message
    assert "3 mismatching entries" in message
    for k, v in enumerate(X):  # the diagonal: numerical e^x, analytical 2 e^x
        assert f"output 0 ({k},), input 0 ({k},): {np.exp(v):.6g} vs {2 * np.exp(v):.6g}" in message
    assert gradcheck(WrongExp.apply, x, raise_exception=False) is False


def test_names_the_input_and_output_that_are_wrong():
    class WrongSecond(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * b  # the second should be g * a

    a, b = leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([[5.0, 6.0], [7.0, 8.0]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: (a + b, WrongSecond.apply(a, b)), (a, b))
    message = str(info.value)
    assert "for output 1 with respect to input 1," in message
    assert "output 0 with respect" not in message and "input 0," not in message
    assert "4 mismatching entries" in message
    assert "output 1 (0, 1), input 1 (0, 1): 2 vs 6" in message  # d(a*b)/db = a = 2; got b = 6
    assert "output 1 (1, 0), input 1 (1, 0): 3 vs 7" in message


def test_lists_at_most_ten_entries():
    x = leaf(np.linspace(-1.0, 1.0, 12))
    with pytest.raises(GradcheckError, match=r"12 mismatching entries[\s\S]*\.\.\. and 2 more$"):
        gradcheck(WrongExp.apply, x)


class DetachedBackward(Function):
    """x ** 3 with a right first derivative, 3 x^2, computed from a detached x: its own
    derivative is lost, which only gradgradcheck sees."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * g * x.detach() ** 2


def test_gradgradcheck_finds_a_backward_that_is_not_differentiable():
    x = leaf(X)
    assert gradcheck(DetachedBackward.apply, x)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        gradgradcheck(DetachedBackward.apply, x)


def test_gradgradcheck_with_given_grad_outputs():
    x = leaf(X)
    v = fg.tensor([1.0, -2.0, 0.5], dtype=fg.float64, requires_grad=True)
    assert gradgradcheck(lambda x: x.sin() * x, x, v)


def test_input_errors_and_warnings():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(fg.exp, fg.tensor(X, dtype=fg.float64))
    x32 = fg.tensor(X, dtype=fg.float32, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradcheck(lambda x: x * 2, x32, atol=1e-2, rtol=1e-2, eps=1e-3)
    assert any(re.search("Input #0 requires gradient and is not a double precision",
                         str(w.message)) for w in caught)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_agrees_with_torch_gradcheck():
    """The same Function, written for both libraries, passes or fails in both."""
    for factor, expected in ((1.0, True), (2.0, False)):
        ours = gradcheck(exp_function(fg, factor).apply, leaf(X), raise_exception=False)
        theirs = torch.autograd.gradcheck(exp_function(torch, factor).apply,
                                          torch.tensor(X, dtype=torch.float64, requires_grad=True),
                                          raise_exception=False)
        assert ours is theirs is expected
