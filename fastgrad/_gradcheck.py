"""gradcheck and gradgradcheck, as torch.autograd's: the Jacobian autograd computes (one
vector-Jacobian product per output element) against central finite differences (two calls of
the function per input element). Both Jacobians are laid out as PyTorch's: for input i and
output j, a matrix with one row per element of input i and one column per element of output j."""
import warnings

import numpy as np

from . import _creation
from ._autograd import enable_grad, grad, no_grad
from ._tensor import Tensor
from .func import _assemble, _reverse_jacobians

_LISTED = 10  # mismatching entries listed in the message; the rest are counted


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytical Jacobian differs from the numerical one."""


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True if the gradients of fn at `inputs` (a tensor or a tuple, float64 for precision)
    match finite differences for every input that requires grad and every floating output;
    otherwise raises a GradcheckError listing the mismatching entries (or returns False if
    raise_exception is False)."""
    inputs = _as_tuple(inputs)
    diff = _differentiable(inputs)
    with enable_grad():
        outputs = _floating_outputs(fn(*inputs))
    analytical = _analytical_jacobian(outputs, [inputs[i] for i in diff])
    numerical = _numerical_jacobian(fn, inputs, diff, eps)
    failures = [_mismatch(j, i, numerical[n][j], analytical[n][j], inputs[i], outputs[j],
                          atol, rtol)
                for n, i in enumerate(diff) for j in range(len(outputs))]
    failures = [f for f in failures if f]
    if failures and raise_exception:
        raise GradcheckError("\n\n".join(failures))
    return not failures


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """gradcheck of the vector-Jacobian product of fn: the second derivatives, computed by a
    backward with create_graph=True, against finite differences of the first. grad_outputs
    (one per output that requires grad) default to fixed random tensors that require grad, so
    the product's derivative with respect to them is checked too."""
    inputs = _as_tuple(inputs)
    diff = _differentiable(inputs)
    with enable_grad():
        outputs = [o for o in _floating_outputs(fn(*inputs)) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_creation.tensor(rng.uniform(-1.0, 1.0, o.shape), dtype=o.dtype,
                                              requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def vjp(*args):
        outs = [o for o in _floating_outputs(fn(*args[:n])) if o.requires_grad]
        grads = grad(outs, [args[i] for i in diff], args[n:], create_graph=True,
                     allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(vjp, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _differentiable(inputs):
    """The positions of the inputs that require grad (at least one must)."""
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          f"point. This check will likely fail if all the inputs are not of "
                          f"double precision floating point.", stacklevel=3)
    return diff


def _floating_outputs(out):
    return [o for o in _as_tuple(out) if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _analytical_jacobian(outputs, xs):
    """[input][output] matrices: func's reverse-mode Jacobians (one autograd.grad call per
    output element), each (output numel, input numel), transposed."""
    jac = _reverse_jacobians(outputs, xs, create_graph=False)
    return [[jac[j][i].reshape(out.numel(), x.numel()).t() for j, out in enumerate(outputs)]
            for i, x in enumerate(xs)]


def _numerical_jacobian(fn, inputs, diff, eps):
    """[input][output] matrices: row k of [i][j] is (f(x + eps e_k) - f(x - eps e_k)) / 2eps.
    fn sees copies of the inputs (leaves requiring grad, as gradgradcheck's function needs);
    each element is moved through an alias of the copy's memory with its own version counter,
    so the copies' graphs never see the change."""
    args = list(inputs)
    for i in diff:
        args[i] = inputs[i].detach().clone().requires_grad_()
    jacobian = []
    for i in diff:
        flat = Tensor(args[i]._a.reshape(-1), args[i].dtype)
        rows = []
        for k in range(flat.numel()):
            with no_grad():
                value = flat[k].item()
                flat[k] = value + eps
            plus = _evaluate(fn, args)
            with no_grad():
                flat[k] = value - eps
            minus = _evaluate(fn, args)
            with no_grad():
                flat[k] = value
                rows.append([(p - q) / (2 * eps) for p, q in zip(plus, minus)])
        outputs = _evaluate(fn, args)
        jacobian.append([_assemble([r[j] for r in rows], 0, (flat.numel(), out.numel()),
                                   out.dtype) for j, out in enumerate(outputs)])
    return jacobian


def _evaluate(fn, args):
    with enable_grad():  # gradgradcheck's function takes gradients inside
        return [o.detach() for o in _floating_outputs(fn(*args))]


def _mismatch(j, i, numerical, analytical, x, out, atol, rtol):
    """The message for output j and input i, or '' if the Jacobians agree as allclose does:
    |analytical - numerical| <= atol + rtol |numerical| (NaN never agrees)."""
    close = ((analytical - numerical).abs() <= atol + rtol * numerical.abs()).reshape(-1)
    bad = [k for k, ok in enumerate(close.tolist()) if not ok]
    if not bad:
        return ""
    lines = [f"Jacobian mismatch for output {j} with respect to input {i},",
             f"numerical:{numerical}", f"analytical:{analytical}",
             f"{len(bad)} mismatching entries (output {j} element, input {i} element: "
             f"numerical vs analytical):"]
    num, ana = numerical.reshape(-1).tolist(), analytical.reshape(-1).tolist()
    for k in bad[:_LISTED]:
        row, col = divmod(k, out.numel())
        lines.append(f"  output {j} {_index(col, out.shape)}, input {i} {_index(row, x.shape)}: "
                     f"{num[k]:.6g} vs {ana[k]:.6g}")
    if len(bad) > _LISTED:
        lines.append(f"  ... and {len(bad) - _LISTED} more")
    return "\n".join(lines)


def _index(flat, shape):
    return tuple(int(v) for v in np.unravel_index(flat, shape)) if shape else ()
