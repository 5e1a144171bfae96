"""fastgrad: a C-accelerated reverse-mode autograd library that speaks PyTorch's dialect.

    import fastgrad as torch
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    y.backward()
    x.grad          # tensor([ 0.,  4.,  8., 12.])
"""
import os as _os


def _missing_extension(error):
    """Why the compiled kernels did not load, and what to do: most often Python found this source
    folder (the current directory comes first on sys.path) before the installed package."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    root = _os.path.dirname(here)
    if _os.path.exists(_os.path.join(root, "pyproject.toml")) and _os.path.isdir(
            _os.path.join(root, "csrc")):
        return (f"fastgrad is being imported from its source folder {here}, which has no compiled "
                f"C extension: Python puts the current directory first on sys.path, so this "
                f"folder hides an installed fastgrad. Run Python from another directory, or use "
                f"the installed commands (`fastgrad-bench`, `pytest`); to work on fastgrad "
                f"itself, install it in place as README.md's 'Developing' section shows "
                f"(pip install -e .).")
    return (f"fastgrad's compiled C extension (fastgrad._fastgrad_c) could not be loaded "
            f"({error}); reinstall fastgrad, e.g. pip install --force-reinstall fastgrad")


try:
    from . import _fastgrad_c  # noqa: F401  (the C kernels, which every module below uses)
except ImportError as _error:
    raise ImportError(_missing_extension(_error)) from None

from ._dtype import bool_ as bool  # noqa: A001  (torch.bool)
from ._dtype import (dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
                     set_default_dtype, uint8)
from ._device import device, get_default_device, set_default_device
from ._tensor import Size, Tensor
from ._format import set_printoptions
from ._legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,
                      IntTensor, LongTensor, ShortTensor)
from ._autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ._creation import (arange, as_tensor, empty, empty_like, from_dlpack, from_numpy, full,
                        full_like, ones, ones_like, tensor, zeros, zeros_like)
from ._random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed,
                      manual_seed, multinomial, normal, rand, rand_like, randint, randint_like,
                      randn, randn_like, randperm, seed, set_rng_state)
from ._creation import eye, linspace, logspace
from .ops import (abs, add, argmax, argmin, bmm, cat, cos, cumsum, div, dot, eq, exp, flatten,
                   ge, gt, le, log, lt, matmul, max, maximum, mean, min, minimum, mm, mul, mv,
                   ne, neg, norm, permute, pow, relu, reshape, sigmoid, sign, sin, sqrt, squeeze,
                   stack, sub, sum, t, tanh, transpose, unsqueeze, where)
from .ops import log_softmax, softmax
from .ops import ger, outer, repeat_interleave
from .ops import conv1d, conv2d
from .ops import (acos, asin, atan, ceil, clamp, clip, cosh, erf, expm1, flip, floor, log1p,
                  log2, log10, masked_fill, reciprocal, round, rsqrt, sinh, square, trunc)
from .ops import arccos, arcsin, arctan, fix  # torch's other names
from .ops import erfinv
from .ops import gather, index_select, nonzero, scatter_add
from .ops import index_add, index_fill, index_put, index_put_, masked_select, scatter, take
from .ops import (arctan2, atan2, bitwise_and, bitwise_left_shift, bitwise_not, bitwise_or,
                  bitwise_right_shift, bitwise_xor, divide, floor_divide, fmod, frac, hypot,
                  isclose, isfinite, isinf, isnan, isneginf, isposinf, lerp, logical_and,
                  logical_not, logical_or, logical_xor, nan_to_num, nan_to_num_, remainder,
                  signbit, true_divide)
from .ops import (all, amax, amin, any, count_nonzero, cumprod, logsumexp, prod, std, std_mean,
                  var, var_mean)
from .ops import (argsort, bincount, histc, histogram, kthvalue, median, mode, sort, topk,
                  unique, unique_consecutive)
from .ops import allclose, cdist, dist, einsum, equal
from .ops.normalization import (torch_batch_norm as batch_norm, torch_group_norm as group_norm,
                                torch_layer_norm as layer_norm)
from .ops.pooling import (adaptive_avg_pool1d, avg_pool1d, max_pool1d,  # pooling
                          max_pool1d_with_indices, max_pool2d)
from .ops import (chunk, column_stack, concat, concatenate, diag, diag_embed, diagonal, dstack,
                  hstack, meshgrid, moveaxis, movedim, narrow, roll,
                  split, swapaxes, swapdims, tile, tril, triu, unbind, unflatten, vstack)
from ._kernels import get_num_threads, isa, set_num_threads
from ._compile import compile  # noqa: A001  (torch.compile)
from . import linalg, return_types
from . import (accelerator, autograd, backends, cuda, distributions, func, nn, optim, random,
               version, viz)
from . import serialization  # checkpoints: torch.save / torch.load in torch's file format
from .serialization import load, save
from . import distributed  # torch.distributed's names over MPI (mpi4py: imported when used)
from . import utils  # torch.utils (data loading)
# The activations torch has at top level too (torch.rrelu takes a generator, not inplace)
from .nn.functional_activations import (celu, celu_, hardshrink, selu, selu_, threshold,
                                        threshold_, torch_rrelu as rrelu,
                                        torch_rrelu_ as rrelu_)
Tensor.hardshrink = hardshrink
from .ops import exp_, relu_, sigmoid_, tanh_

float = float32  # noqa: A001  (torch's other names of dtypes)
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

from .version import __version__


def clone(x):
    return x.clone()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(x):
    return x.numel()
