"""fastgrad: a C-accelerated reverse-mode autograd library that speaks PyTorch's dialect.

    import fastgrad as torch
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    y.backward()
    x.grad          # tensor([ 0.,  4.,  8., 12.])
"""
from ._dtype import bool_ as bool  # noqa: A001  (torch.bool)
from ._dtype import dtype, float32, float64, int64
from ._tensor import Size, Tensor
from ._autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._creation import (arange, as_tensor, empty, empty_like, from_dlpack, from_numpy, full,
                        full_like, manual_seed, normal, ones, ones_like, rand, randn, tensor,
                        zeros, zeros_like)
from ._ops import (abs, add, argmax, argmin, bmm, cat, cos, cumsum, div, dot, eq, exp, flatten,
                   ge, gt, le, log, lt, matmul, max, maximum, mean, min, minimum, mm, mul, mv,
                   ne, neg, norm, permute, pow, relu, reshape, sigmoid, sign, sin, sqrt, squeeze,
                   stack, sub, sum, t, tanh, transpose, unsqueeze, where)
from ._ops import log_softmax, softmax
from ._ops import gather, index_select, nonzero, scatter_add
from ._kernels import get_num_threads, isa, set_num_threads
from . import autograd, func, nn, optim, viz

float = float32  # noqa: A001
double = float64
long = int64

__version__ = "0.1.0"


def clone(x):
    return x.clone()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(x):
    return x.numel()
