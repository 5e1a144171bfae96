"""The op tables. Each module has the small kernel-side helpers its rows need, then its table of
rows (the kernel that computes an op, the gradient rule of each input, the forward-mode rule,
what the rules save), then the public functions that check PyTorch's arguments and apply the
rows. _core holds the row type, `apply` and the derived forward-mode rules. Imports:

    _core <- elementwise <- views <- inplace <- indexing <- joining, scatter, shaping
    shaping, reductions <- copying
    elementwise, views <- reductions, linalg;  elementwise, reductions <- softmax
    inplace, indexing <- bitwise <- elementwise_more;  inplace <- division
    reductions, indexing, joining <- sorting;  reductions, linalg <- norms, einsum
    reductions, views <- conv
"""
from .elementwise import (abs, add, as_dtype, cast, clone, cos, eq, exp, ge, gt, le, log, lt,
                          maximum, minimum, mul, ne, neg, pow, relu, sigmoid, sign, sin, sqrt, sub,
                          tanh)
from .elementwise import (acos, asin, atan, ceil, clamp, clip, cosh, erf, expm1, floor, log1p,
                          log2, log10, masked_fill, reciprocal, round, rsqrt, sinh, square, trunc)
from .views import expand, flatten, flip, permute, reshape, squeeze, t, transpose, unsqueeze, view
from .inplace import (add_, clamp_, clip_, copy_, exp_, fill_, masked_fill_, mul_, relu_, sigmoid_,
                      sub_, tanh_)
from .indexing import gather, getitem, index_select, nonzero, scatter_add, scatter_add_, setitem
from .joining import cat, column_stack, concat, concatenate, dstack, hstack, stack, vstack
from .scatter import (index_add, index_add_, index_fill, index_fill_, index_put, index_put_,
                      masked_select, scatter, scatter_, take)
from .shaping import (chunk, diagonal, meshgrid, movedim, narrow, split, swapaxes, swapdims,
                      unbind, unflatten)
from .copying import (diag, diag_embed, repeat, repeat_interleave, roll, tile, tril, tril_, triu,
                      triu_)
from .reductions import argmax, argmin, cumsum, max, mean, min, sum
from .reductions import (all, allclose, amax, amin, any, count_nonzero, cumprod, equal,
                         logsumexp, prod, std, std_mean, var, var_mean)
from .sorting import (argsort, bincount, histc, histogram, kthvalue, median, mode, sort, topk,
                      unique, unique_consecutive)
from .norms import cdist, dist, norm
from .einsum import einsum
from .linalg import bmm, dot, ger, matmul, mm, mv, outer
from .softmax import log_softmax, softmax
from .conv import conv1d, conv2d
# (div, div_ and where extend elementwise's and inplace's: rounding modes, where(condition))
from .division import (div, div_, divide, floor_divide, floor_divide_, fmod, fmod_, remainder,
                       remainder_, true_divide, true_divide_)
from .bitwise import (bitwise_and, bitwise_and_, bitwise_left_shift, bitwise_left_shift_,
                      bitwise_not, bitwise_not_, bitwise_or, bitwise_or_, bitwise_right_shift,
                      bitwise_right_shift_, bitwise_xor, bitwise_xor_, invert, logical_and,
                      logical_and_, logical_not, logical_not_, logical_or, logical_or_,
                      logical_xor, logical_xor_)
from .elementwise_more import (arctan2, arctan2_, atan2, atan2_, frac, frac_, hypot, hypot_,
                               isclose, isfinite, isinf, isnan, isneginf, isposinf, lerp, lerp_,
                               nan_to_num, nan_to_num_, signbit, where)
from .elementwise import erfinv  # rnn: nn.init.trunc_normal_
from .elementwise_more import erfinv_

arccos, arcsin, arctan, fix = acos, asin, atan, trunc  # torch's other names
moveaxis = movedim

# The Tensor methods that are the function of the same name with the tensor first (x.exp() is
# exp(x)); _tensor.py attaches them. Methods whose arguments differ are written out there.
TENSOR_METHODS = (
    "abs", "acos", "all", "allclose", "amax", "amin", "any", "arccos", "arcsin", "arctan",
    "arctan2", "arctan2_", "argmax", "argmin", "argsort", "asin", "atan", "atan2", "atan2_",
    "bincount", "bitwise_and", "bitwise_and_", "bitwise_left_shift", "bitwise_left_shift_",
    "bitwise_not", "bitwise_not_", "bitwise_or", "bitwise_or_", "bitwise_right_shift",
    "bitwise_right_shift_", "bitwise_xor", "bitwise_xor_", "ceil", "chunk", "clamp", "clamp_",
    "clip", "clip_", "clone", "copy_", "cos", "cosh", "count_nonzero", "cumprod", "cumsum",
    "diag", "diag_embed", "diagonal", "dist", "div", "div_", "divide", "eq", "equal", "erf",
    "erfinv", "erfinv_",
    "exp", "expm1", "fill_", "fix", "flatten", "floor", "floor_divide", "floor_divide_", "fmod",
    "fmod_", "frac", "frac_", "gather", "ge", "ger", "gt", "histc", "histogram", "hypot", "hypot_",
    "index_add", "index_add_", "index_fill", "index_fill_", "index_put", "index_put_",
    "index_select", "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "kthvalue",
    "le", "lerp", "lerp_", "log", "log10", "log1p", "log2", "log_softmax", "logical_and",
    "logical_and_", "logical_not", "logical_not_", "logical_or", "logical_or_", "logical_xor",
    "logical_xor_", "logsumexp", "lt", "masked_fill", "masked_fill_", "masked_select", "max",
    "maximum", "mean", "median", "min", "minimum", "mode", "moveaxis", "movedim", "mul", "mul_",
    "nan_to_num", "nan_to_num_", "narrow", "ne", "neg", "nonzero", "norm", "outer", "pow",
    "prod",
    "reciprocal", "relu", "remainder", "remainder_", "repeat", "repeat_interleave", "roll",
    "rsqrt", "scatter",
    "scatter_", "scatter_add", "scatter_add_", "sigmoid", "sign", "signbit", "sin", "sinh",
    "softmax", "sort", "sqrt", "square", "squeeze", "std", "sum", "swapaxes", "swapdims", "t",
    "take", "tanh", "topk", "transpose", "tril", "tril_", "triu", "triu_", "true_divide",
    "true_divide_", "trunc", "unbind", "unflatten", "unique", "unique_consecutive", "unsqueeze",
    "var",
    "exp_", "relu_", "sigmoid_", "tanh_",
)
