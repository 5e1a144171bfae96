"""For-loop versions of every kernel, written straight from the definitions in plain Python.
numpy only holds the numbers and walks indices here; each value is computed by a Python loop."""
import math

import numpy as np


def _scalar(v):
    return v.item() if hasattr(v, "item") else v


def elementwise(fn, *arrays, out_dtype):
    """out[i] = fn(a[i], b[i], ...) over the broadcast shape."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    views = [np.broadcast_to(a, shape) for a in arrays]
    out = np.empty(shape, out_dtype)
    for idx in np.ndindex(*shape):
        out[idx] = fn(*(_scalar(v[idx]) for v in views))
    return out


def _sign(x):
    return 1 if x > 0 else -1 if x < 0 else x


UNARY = {
    "neg": lambda x: -x,
    "abs": lambda x: x if x > 0 else -x if x < 0 else x * 0,
    "sign": _sign,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "relu": lambda x: x if x > 0 else x * 0,
}

BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x ** y,
    "maximum": lambda x, y: x if x > y else y,
    "minimum": lambda x, y: x if x < y else y,
}

COMPARISONS = {
    "eq": lambda x, y: x == y,
    "ne": lambda x, y: x != y,
    "lt": lambda x, y: x < y,
    "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y,
    "ge": lambda x, y: x >= y,
}

BACKWARD = {  # (upstream gradient g, saved value(s)) -> input gradient
    "relu_backward": lambda g, x: g if x > 0 else 0.0,
    "abs_backward": lambda g, x: g * _sign(x) if x != 0 else 0.0,
    "sigmoid_backward": lambda g, y: g * y * (1 - y),
    "tanh_backward": lambda g, y: g * (1 - y * y),
    "max_backward": lambda g, a, b: g if a > b else g / 2 if a == b else 0.0,
}


def where(cond, a, b):
    return elementwise(lambda c, x, y: x if c else y, cond, a, b, out_dtype=a.dtype)


def reduce(fn, start, x, axes, out_dtype):
    """Folds fn over the axes in `axes`, keeping them as size-1 dimensions."""
    out_shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    out = np.empty(out_shape, out_dtype)
    for o in np.ndindex(*out_shape):
        acc = start
        ranges = [range(n) if d in axes else [o[d]] for d, n in enumerate(x.shape)]
        for idx in _product(ranges):
            acc = fn(acc, _scalar(x[idx]))
        out[o] = acc
    return out


def _product(ranges):
    if not ranges:
        yield ()
        return
    for i in ranges[0]:
        for rest in _product(ranges[1:]):
            yield (i,) + rest


def sum_(x, axes):
    return reduce(lambda acc, v: acc + v, 0, x, axes, x.dtype)


def max_(x, axes):
    return reduce(lambda acc, v: v if v > acc else acc, -math.inf, x, axes, x.dtype)


def min_(x, axes):
    return reduce(lambda acc, v: v if v < acc else acc, math.inf, x, axes, x.dtype)


def arg_along(x, axis, better):
    """Index of the first extreme element along `axis` (kept as size 1)."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape[:-1], np.int64)
    for o in np.ndindex(*moved.shape[:-1]):
        row = [_scalar(v) for v in moved[o]]
        best = 0
        for j in range(1, len(row)):
            if better(row[j], row[best]):
                best = j
        out[o] = best
    return np.expand_dims(out, axis)


def cumsum(x, axis):
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape, x.dtype)
    for o in np.ndindex(*moved.shape[:-1]):
        acc = 0
        for j in range(moved.shape[-1]):
            acc += _scalar(moved[o + (j,)])
            out[o + (j,)] = acc
    return np.moveaxis(out, -1, axis)


def dot(a, b):
    acc = 0.0
    for i in range(a.shape[0]):
        acc += _scalar(a[i]) * _scalar(b[i])
    return np.array(acc, a.dtype)


def mv(a, x):
    out = np.empty(a.shape[0], a.dtype)
    for i in range(a.shape[0]):
        out[i] = dot(a[i], x)
    return out


def mm(a, b):
    m, k = a.shape
    n = b.shape[1]
    out = np.empty((m, n), a.dtype)
    for i in range(m):
        for j in range(n):
            acc = 0.0
            for p in range(k):
                acc += _scalar(a[i, p]) * _scalar(b[p, j])
            out[i, j] = acc
    return out


def bmm(a, b):
    batch = max(a.shape[0], b.shape[0])
    out = np.empty((batch, a.shape[1], b.shape[2]), a.dtype)
    for i in range(batch):
        out[i] = mm(a[i if a.shape[0] > 1 else 0], b[i if b.shape[0] > 1 else 0])
    return out


def copy(x, out_dtype):
    convert = {np.bool_: bool, np.int64: int, np.float32: float, np.float64: float}[np.dtype(out_dtype).type]
    return elementwise(lambda v: convert(v) if out_dtype != np.bool_ else v != 0, x, out_dtype=out_dtype)
