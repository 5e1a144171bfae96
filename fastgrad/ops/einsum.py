"""torch.einsum on the differentiable ops: each operand's repeated subscripts taken as a diagonal
(a mask and a sum), subscripts no one else needs summed away, then the operands contracted left
to right, each pair as one batched matrix product (batch, kept and summed subscripts gathered by
permute and reshape), and the result permuted to the output's order."""
import math

from .. import _dtype
from .. import _kernels as K
from ._core import check_tensor
from .elementwise import eq, where
from .linalg import matmul
from .reductions import sum
from .views import expand, permute, reshape

def _parse(equation, operands):
    """Each operand's labels (one per dimension; '...' dims become labels '0', '1', ... counted
    from the right) and the output's."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    widest = 0
    labels = []
    for i, (term, x) in enumerate(zip(terms, operands)):
        named = term.replace("...", "")
        if any(not c.isalpha() for c in named):
            raise RuntimeError(f"einsum(): invalid subscript given at index "
                               f"{equation.index(next(c for c in named if not c.isalpha()))} in "
                               f"the equation string, subscripts must be in [a-zA-Z]")
        spread = x.ndim - len(named)
        if ("..." in term and spread < 0) or ("..." not in term and spread != 0):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(named)}) does not match the number of dimensions "
                               f"({x.ndim}) for operand {i}"
                               + ("" if "..." in term else " and no ellipsis was given"))
        widest = max(widest, spread)
        head, _, tail = term.partition("...")
        labels.append(list(head) + [str(spread - k - 1) for k in range(spread)] * ("..." in term)
                      + list(tail))
    ellipsis = [str(k) for k in reversed(range(widest))]
    if arrow:
        out = list(output.replace("...", "|"))
        if "|" in out:
            at = out.index("|")
            out[at:at + 1] = ellipsis
        _check_output(output, out, labels)
    else:  # implicit: the '...' dims, then the subscripts seen once, in alphabetical order
        seen = [c for term in labels for c in term if c.isalpha()]
        out = ellipsis + sorted(c for c in set(seen) if seen.count(c) == 1)
    return labels, out


def _check_output(output, out, labels):
    for c in out:
        if c.isalpha() and not any(c in term for term in labels):
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               f"for any input operand")
        if c.isalpha() and out.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               f"output")


def _sizes(labels, operands):
    """Each label's size (broadcasting 1 against anything, as torch)."""
    sizes = {}
    for i, (term, x) in enumerate(zip(labels, operands)):
        for c, n in zip(term, x._a.shape):
            seen = sizes.get(c, 1)
            if seen != 1 and n != 1 and seen != n:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {seen}")
            sizes[c] = max(seen, n) if seen != 1 else n
    return sizes


def _diagonal(x, term, i):
    """x with each repeated label taken once: the elements on the diagonal of its axes."""
    while len(set(term)) < len(term):
        c = next(c for c in term if term.count(c) > 1)
        a, b = [k for k, d in enumerate(term) if d == c][:2]
        n, m = x._a.shape[a], x._a.shape[b]
        if n != m:
            raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the "
                               f"sizes don't match, {m} != {n}")
        shape = [1] * x.ndim
        rows, cols = list(shape), list(shape)
        rows[a], cols[b] = n, n
        positions = K.arange(n, 0, 1, _dtype.int64)
        on = eq(reshape(positions, rows), reshape(positions, cols))
        x = sum(where(on, x, 0.0), b)  # (not x * on: inf * 0 would be NaN)
        term = term[:b] + term[b + 1:]
    return x, term


def _sum_unneeded(x, term, needed):
    """x with the labels no one needs later summed away."""
    axes = [k for k, c in enumerate(term) if c not in needed]
    if axes:
        x = sum(x, axes)
    return x, [c for c in term if c in needed]


def _arrange(x, term, order, sizes):
    """x permuted to `order` (labels it lacks become size-1 axes), expanded to sizes."""
    x = permute(x, [term.index(c) for c in order if c in term])
    present = [c for c in order if c in term]
    x = reshape(x, [x._a.shape[present.index(c)] if c in term else 1 for c in order])
    return expand(x, [sizes[c] for c in order])


def _contract(a, ta, b, tb, needed, sizes):
    """a times b summed over the labels they share that are not needed later: one batched
    matrix product."""
    batch = [c for c in ta if c in tb and c in needed]
    summed = [c for c in ta if c in tb and c not in needed]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]
    count = lambda labels: math.prod(sizes[c] for c in labels)  # noqa: E731
    a3 = reshape(_arrange(a, ta, batch + left + summed, sizes),
                 (count(batch), count(left), count(summed)))
    b3 = reshape(_arrange(b, tb, batch + summed + right, sizes),
                 (count(batch), count(summed), count(right)))
    out = reshape(matmul(a3, b3), [sizes[c] for c in batch + left + right])
    return out, batch + left + right


def _subscripts(sublist):
    """A sublist's subscripts as equation letters: 0-25 are a-z, 26-51 A-Z, Ellipsis '...'."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for s in sublist:
        if s is Ellipsis:
            out.append("...")
        elif isinstance(s, int) and 0 <= s < 52:
            out.append(letters[s])
        else:
            raise ValueError(f"einsum(): expected subscript to be within the range [0, 52), but "
                             f"got {s}")
    return "".join(out)


def _from_sublists(args):
    """einsum(a, [0, 1], b, [1, 2], [0, 2]): the equation and the operands."""
    pairs = len(args) // 2 * 2
    equation = ",".join(_subscripts(s) for s in args[1:pairs:2])
    if len(args) % 2:
        equation += "->" + _subscripts(args[-1])
    return equation, args[0:pairs:2]


def einsum(equation, *operands):
    if not isinstance(equation, str):  # the sublist form
        equation, operands = _from_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, x in enumerate(operands):
        check_tensor(x, "einsum", "tensors", f" (operand {i})")
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    labels, out = _parse(equation, operands)
    terms = [_diagonal(x, term, i) for i, (x, term) in enumerate(zip(operands, labels))]
    sizes = _sizes([t for _, t in terms], [x for x, _ in terms])
    x, term = terms[0]
    for k in range(1, len(terms)):
        later = set(out).union(*(t for _, t in terms[k + 1:]))  # needed after this product
        y, ty = terms[k]
        x, term = _sum_unneeded(x, term, later | set(ty))
        y, ty = _sum_unneeded(y, ty, later | set(term))
        x, term = _contract(x, term, y, ty, later, sizes)
    x, term = _sum_unneeded(x, term, set(out))
    return _arrange(x, term, out, {c: x._a.shape[term.index(c)] if c in term else 1
                                   for c in out})
