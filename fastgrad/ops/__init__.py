"""The op tables. Each module has the small kernel-side helpers its rows need, then its table of
rows (the kernel that computes an op, the gradient rule of each input, the forward-mode rule,
what the rules save), then the public functions that check PyTorch's arguments and apply the
rows. _core holds the row type, `apply` and the derived forward-mode rules. Imports:

    _core <- elementwise <- views <- inplace <- indexing <- joining, scatter, shaping
    shaping, reductions <- copying
    elementwise, views <- reductions, linalg;  elementwise, reductions <- softmax
"""
from .elementwise import (abs, add, as_dtype, cast, clone, cos, div, eq, exp, ge, gt, le, log,
                          lt, maximum, minimum, mul, ne, neg, pow, relu, sigmoid, sign, sin, sqrt,
                          sub, tanh, where)
from .elementwise import (acos, asin, atan, ceil, clamp, clip, cosh, erf, expm1, floor, log1p,
                          log2, log10, masked_fill, reciprocal, round, rsqrt, sinh, square, trunc)
from .views import expand, flatten, flip, permute, reshape, squeeze, t, transpose, unsqueeze, view
from .inplace import add_, clamp_, clip_, copy_, div_, fill_, masked_fill_, mul_, sub_
from .indexing import gather, getitem, index_select, nonzero, scatter_add, scatter_add_, setitem
from .joining import cat, column_stack, concat, concatenate, dstack, hstack, stack, vstack
from .scatter import (index_add, index_add_, index_fill, index_fill_, index_put, index_put_,
                      masked_select, scatter, scatter_, take)
from .shaping import (chunk, diagonal, meshgrid, movedim, narrow, split, swapaxes, swapdims,
                      unbind, unflatten)
from .copying import diag, diag_embed, repeat, roll, tile, tril, tril_, triu, triu_
from .reductions import argmax, argmin, cumsum, max, mean, min, norm, sum
from .linalg import bmm, dot, matmul, mm, mv
from .softmax import log_softmax, softmax

arccos, arcsin, arctan, fix = acos, asin, atan, trunc  # torch's other names
moveaxis = movedim

# The Tensor methods that are the function of the same name with the tensor first (x.exp() is
# exp(x)); _tensor.py attaches them. Methods whose arguments differ are written out there.
TENSOR_METHODS = (
    "abs", "acos", "arccos", "arcsin", "arctan", "argmax", "argmin", "asin", "atan", "ceil",
    "clamp", "clamp_", "clip", "clip_", "clone", "copy_", "cos", "cosh", "cumsum", "div",
    "div_", "eq", "erf", "exp", "expm1", "fill_", "fix", "flatten", "floor", "gather", "ge",
    "gt", "index_add", "index_add_", "index_fill", "index_fill_", "index_put", "index_put_",
    "index_select", "le", "log", "log10", "log1p", "log2", "log_softmax", "lt", "masked_fill",
    "masked_fill_", "masked_select", "max", "maximum", "mean", "min", "minimum", "mul", "mul_",
    "ne", "neg", "nonzero", "norm", "pow", "reciprocal", "relu", "rsqrt", "scatter", "scatter_",
    "scatter_add", "scatter_add_", "sigmoid", "sign", "sin", "sinh", "softmax", "sqrt",
    "square", "squeeze", "sum", "t", "take", "tanh", "transpose", "trunc", "unsqueeze",
    "chunk", "diag", "diag_embed", "diagonal", "movedim", "moveaxis", "narrow", "repeat", "roll",
    "swapaxes", "swapdims", "tril", "tril_", "triu", "triu_", "unbind",
    "unflatten",
)
