"""Layers, activations and losses: small Modules over fastgrad's ops and
fastgrad.nn.functional."""
import math

from .. import ops
from .._creation import empty
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features). Initialised as torch's:
    kaiming_uniform_(a=sqrt(5)) for W, U(-1/sqrt(in), 1/sqrt(in)) for b, drawn in that order with
    torch's bounds to the last bit, so a seeded torch program gets torch's parameters."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0
            self.bias = Parameter(empty(out_features))
            init.uniform_(self.bias, -bound, bound)
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        y = ops.matmul(x, self.weight.t())
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    def forward(self, x):
        return ops.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return ops.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return ops.tanh(x)


class _Loss(Module):
    """A loss module: its constructor's options (torch's) are passed on to the function."""

    def __init__(self, **options):
        super().__init__()
        self.reduction = options.pop("reduction")
        self._options = options

    def forward(self, input, target):
        return self._function(input, target, reduction=self.reduction, **self._options)


class MSELoss(_Loss):
    """The mean (or sum, or none: reduction=) of the squared differences."""

    _function = staticmethod(F.mse_loss)

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average=size_average, reduce=reduce, reduction=reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C) against int64 class indices (N,)."""

    _function = staticmethod(F.cross_entropy)

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight=weight, size_average=size_average, ignore_index=ignore_index,
                         reduce=reduce, reduction=reduction, label_smoothing=label_smoothing)
