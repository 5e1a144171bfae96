"""For-loop versions of every kernel, written straight from the definitions in plain Python.
numpy only holds the numbers and walks indices here; each value is computed by a Python loop.
The elementwise ops' rules on one element are in ops_db.py (ELEMENTWISE)."""
import math
from fractions import Fraction

import numpy as np


def _scalar(v):
    return v.item() if hasattr(v, "item") else v


def _ieee(v):
    """A float element as a numpy float64 (whose arithmetic gives inf and NaN where Python's
    raises), other elements as Python ints and bools."""
    return np.float64(v) if isinstance(v, np.floating) else _scalar(v)


def elementwise(fn, *arrays, out_dtype):
    """out[i] = fn(a[i], b[i], ...) over the broadcast shape, floats in double precision."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    views = [np.broadcast_to(a, shape) for a in arrays]
    out = np.empty(shape, out_dtype)
    with np.errstate(all="ignore"):
        for idx in np.ndindex(*shape):
            out[idx] = fn(*(_ieee(v[idx]) for v in views))
    return out


def _sign(x):
    return 1 if x > 0 else -1 if x < 0 else x


BACKWARD = {  # (upstream gradient g, saved value(s)) -> input gradient
    "relu_backward": lambda g, x: g if x > 0 else 0.0,
    "abs_backward": lambda g, x: g * _sign(x) if x != 0 else 0.0,
    "sigmoid_backward": lambda g, y: g * y * (1 - y),
    "tanh_backward": lambda g, y: g * (1 - y * y),
    "max_backward": lambda g, a, b: 0.0 if a < b else g / 2 if a == b else g,  # NaN: g
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
    """The largest element; NaN if any is (torch propagates NaN)."""
    return reduce(lambda acc, v: v if v > acc or v != v else acc, -math.inf, x, axes, x.dtype)


def min_(x, axes):
    return reduce(lambda acc, v: v if v < acc or v != v else acc, math.inf, x, axes, x.dtype)


def arg_along(x, axis, better):
    """Index of the first extreme element along `axis` (kept as size 1); of the first NaN if
    there is one (torch's rule)."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape[:-1], np.int64)
    for o in np.ndindex(*moved.shape[:-1]):
        row = [_scalar(v) for v in moved[o]]
        best = 0
        for j in range(1, len(row)):
            if row[best] != row[best]:
                break
            if better(row[j], row[best]) or row[j] != row[j]:
                best = j
        out[o] = best
    return np.expand_dims(out, axis)


def _scan(x, axis, combine, start):
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape, x.dtype)
    for o in np.ndindex(*moved.shape[:-1]):
        acc = start
        for j in range(moved.shape[-1]):
            acc = combine(acc, _ieee(moved[o + (j,)]))
            out[o + (j,)] = acc
    return np.moveaxis(out, -1, axis)


def cumsum(x, axis):
    return _scan(x, axis, lambda acc, v: acc + v, 0)


def prod_(x, axes):
    return reduce(lambda acc, v: acc * v, 1, x, axes, x.dtype)


def cumprod(x, axis):
    return _scan(x, axis, lambda acc, v: acc * v, 1)


def _sort_key(v, descending):
    """NaN above every number; descending flips the order, not that of equal elements."""
    rank = (1, 0) if v != v else (0, v)
    return tuple(-r for r in rank) if descending else rank


def sort(x, axis, descending):
    """(values, indices) along axis by insertion sort, which keeps equal elements in order."""
    moved = np.moveaxis(x, axis, -1)
    values, indices = np.empty(moved.shape, x.dtype), np.empty(moved.shape, np.int64)
    for o in np.ndindex(*moved.shape[:-1]):
        order = []
        for j in range(moved.shape[-1]):
            key = _sort_key(_scalar(moved[o + (j,)]), descending)
            at = len(order)
            while at and _sort_key(_scalar(moved[o + (order[at - 1],)]), descending) > key:
                at -= 1
            order.insert(at, j)
        for j, i in enumerate(order):
            values[o + (j,)], indices[o + (j,)] = moved[o + (i,)], i
    return np.moveaxis(values, -1, axis), np.moveaxis(indices, -1, axis)


def mode(x, axis):
    """(the most frequent value, the smallest of those as frequent; the last index it is at)
    along axis, kept as size 1."""
    moved = np.moveaxis(x, axis, -1)
    values, indices = np.empty(moved.shape[:-1], x.dtype), np.empty(moved.shape[:-1], np.int64)
    for o in np.ndindex(*moved.shape[:-1]):
        row = [_scalar(v) for v in moved[o]]
        counts = {}
        for v in row:
            counts[v] = counts.get(v, 0) + 1
        best = min(counts, key=lambda v: (-counts[v], v))
        values[o] = best
        indices[o] = max(j for j, v in enumerate(row) if v == best)
    return np.expand_dims(values, axis), np.expand_dims(indices, axis)


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


# ---- softmax, log-softmax and cross entropy along one axis ----------------------------------
def along_axis(fn, axis, *arrays):
    """out = fn(row of each array) for every row along `axis` (arrays of one shape)."""
    moved = [np.moveaxis(a, axis, -1) for a in arrays]
    out = np.empty(moved[0].shape, arrays[0].dtype)
    for o in np.ndindex(*moved[0].shape[:-1]) if moved[0].shape[-1] else ():
        out[o] = fn(*([_scalar(v) for v in m[o]] for m in moved))
    return np.moveaxis(out, -1, axis)


def softmax_row(row):
    top = max(row)  # exp(v - top) <= 1: the same values, without overflow
    exps = [math.exp(v - top) for v in row]
    total = sum(exps)
    return [e / total for e in exps]


def log_softmax_row(row):
    top = max(row)
    log_total = math.log(sum(math.exp(v - top) for v in row))
    return [v - top - log_total for v in row]


def softmax_backward_row(g, y):
    dot = sum(a * b for a, b in zip(g, y))
    return [b * (a - dot) for a, b in zip(g, y)]


def log_softmax_backward_row(g, y):
    total = sum(g)
    return [a - math.exp(b) * total for a, b in zip(g, y)]


def cross_entropy(x, target, axis, ignore_index):
    """-log_softmax(x)[target] at each position off the class axis; 0 where ignored."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(target.shape, x.dtype)
    for o in np.ndindex(*target.shape):
        t = int(target[o])
        out[o] = 0.0 if t == ignore_index else -log_softmax_row([_scalar(v) for v in moved[o]])[t]
    return out


def cross_entropy_backward(g, x, target, axis, ignore_index, scale):
    """(softmax(x) - onehot(target)) * g * scale along the class axis; 0 where ignored."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape, x.dtype)
    g = np.broadcast_to(g, target.shape)
    for o in np.ndindex(*target.shape):
        t = int(target[o])
        probs = softmax_row([_scalar(v) for v in moved[o]])
        out[o] = [0.0 if t == ignore_index else (p - (j == t)) * _scalar(g[o]) * scale
                  for j, p in enumerate(probs)]
    return np.moveaxis(out, -1, axis)


# ---- indexing ---------------------------------------------------------------------------------
def _along(i, dim, j):
    return i[:dim] + (int(j),) + i[dim + 1:]


def gather(x, dim, index):
    """out[i] = x[i with i[dim] = index[i]]."""
    out = np.empty(index.shape, x.dtype)
    for i in np.ndindex(*index.shape):
        out[i] = x[_along(i, dim, index[i])]
    return out


def scatter(out, dim, index, src, combine=None):
    """out[i with i[dim] = index[i]] = src[i] (or combine(out[j], src[i]): "add", "multiply"),
    in index order, on a copy of out; bools add as "or" and multiply as "and"."""
    out = out.copy()
    boolean = out.dtype == np.bool_
    for i in np.ndindex(*index.shape):
        j = _along(i, dim, index[i])
        if combine == "add":
            out[j] = out[j] or src[i] if boolean else out[j] + src[i]
        elif combine == "multiply":
            out[j] = out[j] and src[i] if boolean else out[j] * src[i]
        else:
            out[j] = src[i]
    return out


def flat_index(indices, sizes):
    """The row-major position, in an array of shape `sizes`, of each broadcast tuple of indices
    (negative ones counted from the end)."""
    shape = np.broadcast_shapes(*(i.shape for i in indices))
    views = [np.broadcast_to(i, shape) for i in indices]
    out = np.empty(shape, np.int64)
    for o in np.ndindex(*shape):
        acc = 0
        for v, n in zip(views, sizes):
            j = int(v[o])
            acc = acc * n + (j + n if j < 0 else j)
        out[o] = acc
    return out


def nonzero(x):
    """The coordinates of x's nonzero elements, row-major, as a (count, ndim) int64 array."""
    rows = [idx for idx in np.ndindex(*x.shape) if x[idx] != 0]
    return np.array(rows, np.int64).reshape(len(rows), x.ndim)


# ---- more loops: the rest of the kernels and the ops built on them ---------------------------
def mean_(x, axes):
    """sum over `axes` / their element count (NaN for no elements, as 0/0 in torch)."""
    count = 1
    for d in axes:
        count *= x.shape[d]
    return elementwise(lambda s: s / count if count else math.nan, sum_(x, axes), out_dtype=x.dtype)


def arange(n, start, step, out_dtype, threads=1):
    """out[i] = start + i * step: exact for int64; for floats as torch's CPU kernel computes it
    (one fma each, in double, or float for float16; vectors of 32 bytes in pairs from a rounded
    base; the range cut into equal chunks among threads when it exceeds 32768 values)."""
    out = np.empty(n, out_dtype)
    if out_dtype == np.int64:
        for i in range(n):
            out[i] = start + i * step
        return out
    acc = np.float32 if out_dtype == np.float16 else np.float64
    start, step = float(acc(start)), float(acc(step))
    width = 32 // np.dtype(out_dtype).itemsize
    parts = min(threads, -(-n // 32768)) if n > 32768 and threads > 1 else 1
    chunk = -(-n // parts) if n else 1
    for begin in range(0, n, chunk):
        end, i = min(n, begin + chunk), begin
        while i + 2 * width <= end:
            for v in (i, i + width):
                base = float(out_dtype(rounded(fma(step, v, start), acc)))
                for k in range(width):
                    out[v + k] = rounded(fma(k, step, base), acc)
            i += 2 * width
        for j in range(i, end):
            out[j] = rounded(fma(step, j, start), acc)
    return out


def half(x):
    """c10::Half from a float or double: through float, then rounded to half (inf beyond its
    range, as the kernel)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.float16(np.float32(x))


def fma(a, b, c):
    """a * b + c exactly (a Fraction), to be rounded once."""
    return Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))


def rounded(exact, dtype):
    """The value of dtype nearest to `exact` (a Fraction or float), ties to even."""
    near = float(exact)  # correctly rounded to double: float() of a Fraction divides ints
    guess = dtype(near)
    # Rounding twice (to double, then to dtype) errs only when the double is a tie of dtype.
    other = np.nextafter(guess, dtype(np.inf if near > guess else -np.inf))
    if np.isfinite(guess) and (dtype == np.float64 or near == guess
                               or near != (float(guess) + float(other)) / 2):
        return guess
    below, above = np.nextafter(guess, dtype(-np.inf)), np.nextafter(guess, dtype(np.inf))
    best = min((abs(Fraction(float(v)) - exact), int(v.view(np.uint32 if dtype == np.float32
                                                              else np.uint64)) & 1, i)
               for i, v in enumerate((below, guess, above)) if np.isfinite(v))
    return (below, guess, above)[best[2]]


def linspace(n, start, end, dtype, base=None):
    """torch's linspace: the first half start + step * i, the second end - step * (n - 1 - i),
    in dtype for floats with one fma each (in double, truncated, for int64; float16 in half
    arithmetic); with a base,
    torch's logspace: base ** those values in double (step from the difference in dtype)."""
    out = np.empty(n, dtype)
    store = half if dtype == np.float16 else dtype
    if n == 1:
        out[0] = store(base ** start if base is not None else start)
        return out
    floating = dtype != np.int64
    if base is not None:
        step = float(dtype(end - start)) / (n - 1)
        for i in range(n):
            x = float(start) + step * i if i < n // 2 else float(end) - step * (n - 1 - i)
            out[i] = store(math.pow(base, x)) if floating else math.trunc(math.pow(base, x))
        return out
    if dtype == np.float16:  # c10::Half arithmetic: each operation in float, rounded to half
        start, end = half(start), half(end)
        with np.errstate(over="ignore", invalid="ignore"):  # inf * 0 is NaN there too
            step = half(np.float32(half(np.float32(end) - np.float32(start))) /
                        np.float32(half(n - 1)))
            for i in range(n):
                part = half(np.float32(step) * np.float32(half(i if i < n // 2 else n - 1 - i)))
                out[i] = half(np.float32(start) + part if i < n // 2 else np.float32(end) - part)
        return out
    step_type = dtype if floating else np.float64
    step = step_type(step_type(end) - step_type(start)) / step_type(n - 1)
    for i in range(n):
        exact = (fma(step, step_type(i), step_type(start)) if i < n // 2 else
                 fma(-step, step_type(n - 1 - i), step_type(end)))
        out[i] = rounded(exact, step_type) if floating else math.trunc(float(exact))
    return out


def int_pow(x, y):
    """x ** y for int64 x and y >= 0, wrapping around as int64 does."""
    r = 1
    for _ in range(y):
        r = (r * x + 2 ** 63) % 2 ** 64 - 2 ** 63
    return r


def index_select(x, dim, index):
    """out[..., j, ...] = x[..., index[j], ...] along dim (x 0-d: index has one element)."""
    if x.ndim == 0:
        return x.copy()
    shape = x.shape[:dim] + (index.shape[0] if index.ndim else 1,) + x.shape[dim + 1:]
    flat = [int(v) for v in index.reshape(-1)]
    out = np.empty(shape, x.dtype)
    for i in np.ndindex(*shape):
        out[i] = x[_along(i, dim, flat[i[dim]])]
    return out


def _advanced_positions(shape, indices):
    """For x of `shape` indexed by `indices` (one entry per axis: None for a whole axis, else
    an int64 array; the arrays broadcast together), each (result position, source position)
    in the result's row-major order. Negative indices count from the end."""
    axes, b_shape, lead, trail = _advanced_layout(shape, indices)
    views = [np.broadcast_to(indices[d], b_shape) for d in axes]
    nb = len(b_shape)
    for o in np.ndindex(*advanced_shape(shape, indices)):
        b = o[len(lead):len(lead) + nb]
        src = [0] * len(shape)
        for d, i in zip(lead, o[:len(lead)]):
            src[d] = i
        for d, i in zip(trail, o[len(lead) + nb:]):
            src[d] = i
        for d, v in zip(axes, views):
            j = int(v[b])
            src[d] = j + shape[d] if j < 0 else j
        yield o, tuple(src)


def _advanced_layout(shape, indices):
    """(indexed axes, their broadcast shape, the whole axes before and after it in the result).
    The broadcast axes stand where the indexed axes were if those are adjacent, else first
    (numpy's and torch's rule)."""
    axes = [d for d, k in enumerate(indices) if k is not None]
    b_shape = np.broadcast_shapes(*(indices[d].shape for d in axes))
    rest = [d for d in range(len(shape)) if d not in axes]
    adjacent = axes == list(range(axes[0], axes[0] + len(axes)))
    lead = [d for d in rest if adjacent and d < axes[0]]
    trail = [d for d in rest if d not in lead]
    return axes, b_shape, lead, trail


def advanced_index(x, indices):
    """x[indices] for one entry per axis of x: None (the whole axis) or an int64 array."""
    out = np.empty(advanced_shape(x.shape, indices), x.dtype)
    for o, src in _advanced_positions(x.shape, indices):
        out[o] = x[src]
    return out


def advanced_shape(shape, indices):
    """The shape of x[indices] (see _advanced_positions)."""
    axes, b_shape, lead, trail = _advanced_layout(shape, indices)
    return tuple(shape[d] for d in lead) + b_shape + tuple(shape[d] for d in trail)


def index_put(x, indices, value):
    """A copy of x with x[indices] = value (value broadcast to the result's shape), written in
    row-major order of the result."""
    out = x.copy()
    value = np.broadcast_to(value, advanced_shape(x.shape, indices))
    for o, src in _advanced_positions(x.shape, indices):
        out[src] = value[o]
    return out


def mask_to_indices(mask):
    """A k-d bool mask as k int64 index arrays: the coordinates of its True elements."""
    coords = nonzero(mask)
    return [np.array([int(coords[r, j]) for r in range(coords.shape[0])], np.int64)
            for j in range(mask.ndim)]


def write_through(view, value):
    """view[...] = value (broadcast), one element at a time; view is a view of some base."""
    value = np.broadcast_to(value, view.shape)
    for idx in np.ndindex(*view.shape):
        view[idx] = value[idx]


def convert(v, out_dtype):
    """One Python number as an element of out_dtype: floats into int64 truncate toward 0."""
    kind = np.dtype(out_dtype).kind
    if kind == "b":
        return v != 0
    if kind == "i":
        return int(v)
    return float(v)
