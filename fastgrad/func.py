"""Function transforms, as torch.func: `grad`, `grad_and_value`, `vjp`, `jvp`, `jacrev`,
`jacfwd`, `hessian`, and `jacobian` with a choice of layout and mode.

Unlike torch.func (functorch's vmap and levels), these run on fastgrad's own tape. Each transform
calls f on fresh copies of the differentiated inputs and takes derivatives with autograd.grad
(reverse mode, one vector-Jacobian product per output element for a Jacobian) or forward_ad
(forward mode, one Jacobian-vector product per input element). A copy is a new leaf when the
input does not require grad; when it does (it is an enclosing transform's input, so the call is
nested), the copy is a view of it and the result keeps its graph (create_graph), which is how
transforms compose: `jacrev(jacrev(f))`, `jacrev(jacfwd(f))`, and forward over reverse,
`jacfwd(jacrev(f))` (hessian), where the tangents flow through the backward pass. At the
outermost level the results are plain tensors. Tensors f reads from elsewhere (closures) are
constants of the transform. Not supported: forward over forward (`jacfwd(jacfwd(f))`: forward
mode has one level at a time); it raises."""
import numbers

from . import _creation
from ._autograd import enable_grad
from ._autograd import grad as _autograd_grad
from ._forward_ad import dual_level, make_dual, unpack_dual
from .ops import stack
from ._tensor import Tensor

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacobian", "jacrev", "jvp", "vjp"]


# ---- reverse mode -----------------------------------------------------------------------------
def grad_and_value(f, argnums=0, has_aux=False):
    """A function returning (gradient, value): grad(f, argnums)'s gradient and f's value, from
    one call of f; with has_aux, (gradient, (value, aux)), as torch.func.grad_and_value."""
    def wrapper(*args, **kwargs):
        with enable_grad():
            args, xs, nested = _prepare(args, argnums, "grad_and_value")
            out, aux = _split_aux(f(*args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(out, Tensor) or out.ndim != 0:
                got = (f"tensor with {out.ndim} dims" if isinstance(out, Tensor)
                       else type(out).__name__)
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got {got}. Maybe you wanted to use the vjp or "
                                   f"jacrev APIs instead?")
            grads = _vjp([out], xs, None, nested)
        value = _plain(out, nested)
        return (_pack(grads, argnums), (value, _plain(aux, nested)) if has_aux else value)
    return wrapper


def grad(f, argnums=0, has_aux=False):
    """A function returning the gradient of f (a 0-d tensor) with respect to the args at
    argnums (an int: one gradient; a tuple: a tuple of them); with has_aux, f returns
    (value, aux) and the function (gradient, aux)."""
    both = grad_and_value(f, argnums, has_aux)

    def wrapper(*args, **kwargs):
        grads, value = both(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def vjp(f, *primals, has_aux=False):
    """(f(*primals), vjp_fn): vjp_fn(cotangents), cotangents shaped as f's output (a tensor or
    a tuple of them), returns the tuple of vector-Jacobian products, one per primal. vjp_fn
    may be called many times."""
    with enable_grad():
        args, xs, nested = _prepare(primals, tuple(range(len(primals))), "vjp")
        out, aux = _split_aux(f(*args), has_aux, "vjp")
    outs = _outputs(out, "vjp")

    def vjp_fn(cotangents):
        cotangents = _outputs(cotangents, "vjp_fn")
        if len(cotangents) != len(outs):
            raise RuntimeError(f"vjp_fn: expected {len(outs)} cotangents, one per output of f, "
                               f"got {len(cotangents)}")
        with enable_grad():
            return tuple(_vjp(outs, xs, cotangents, nested))

    result = (_plain(out, nested), vjp_fn)
    return result + (_plain(aux, nested),) if has_aux else result


def jacrev(f, argnums=0, has_aux=False):
    """A function returning the Jacobian of f with respect to the args at argnums, from one
    vector-Jacobian product per output element: shape f(x).shape + x.shape (numerator
    layout). A tuple argnums gives a tuple of Jacobians; a tuple output, a tuple per output."""
    def wrapper(*args, **kwargs):
        with enable_grad():
            args, xs, nested = _prepare(args, argnums, "jacrev")
            out, aux = _split_aux(f(*args, **kwargs), has_aux, "jacrev")
            jac = _reverse_jacobians(_outputs(out, "jacrev"), xs, nested)
        jac = _pack_jacobians(jac, out, argnums)
        return (jac, _plain(aux, nested)) if has_aux else jac
    return wrapper


def _reverse_jacobians(outs, xs, create_graph):
    """[output][input] Jacobians, each out.shape + x.shape: row k (output element k) is one
    vector-Jacobian product with the k-th basis vector. gradcheck's analytical side too."""
    jac = []
    for out in outs:
        rows = [_vjp([out], xs, [_basis(out, k)], create_graph) for k in range(out.numel())]
        jac.append([_assemble([r[i] for r in rows], 0, out.shape + x.shape, x.dtype)
                    for i, x in enumerate(xs)])
    return jac


def _vjp(outs, xs, cotangents, create_graph):
    """The gradients of outs (contracted with cotangents) with respect to xs; zeros for an x
    they do not depend on. create_graph keeps them differentiable, for a nested transform."""
    cotangents = cotangents if cotangents is not None else [None] * len(outs)
    pairs = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    grads = [None] * len(xs)
    if pairs:
        grads = _autograd_grad([o for o, _ in pairs], xs, [c for _, c in pairs],
                               retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [_creation.zeros_like(x) if g is None else g for x, g in zip(xs, grads)]


# ---- forward mode -----------------------------------------------------------------------------
def jvp(f, primals, tangents, has_aux=False):
    """(f(*primals), J v): the Jacobian-vector product of f at primals with tangents (tuples
    of tensors, shaped alike), in one forward-mode pass. A tuple output gives tuples."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           "tuples. E.g. it should be valid to call f(*primals).")
    if len(primals) != len(tangents):
        raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have "
                           f"the same length, got {len(primals)} and {len(tangents)}")
    out, aux, out_tangents = _forward(f, list(primals), dict(enumerate(tangents)), has_aux)
    values = tuple(v for v, _ in out_tangents)
    derivatives = tuple(t for _, t in out_tangents)
    if isinstance(out, Tensor):
        values, derivatives = values[0], derivatives[0]
    return (values, derivatives, aux) if has_aux else (values, derivatives)


def jacfwd(f, argnums=0, has_aux=False):
    """A function returning the Jacobian of f with respect to the args at argnums, from one
    Jacobian-vector product per input element: shape f(x).shape + x.shape, as jacrev's."""
    def wrapper(*args, **kwargs):
        positions = _positions(argnums, len(args), "jacfwd")
        jac, out, aux = None, None, None
        for p in positions:
            x = args[p]
            _check_differentiable(x, "jacfwd")
            columns = []
            for k in range(x.numel()):
                out, aux, pairs = _forward(lambda *a: f(*a, **kwargs), list(args),
                                           {p: _basis(x, k)}, has_aux)
                columns.append([t for _, t in pairs])
            if out is None:  # x has no elements: f's outputs only give the shapes
                out, aux = _split_aux(f(*args, **kwargs), has_aux, "jacfwd")
            outs = _outputs(out, "jacfwd")
            jac = jac or [[] for _ in outs]
            for j, o in enumerate(outs):
                jac[j].append(_assemble([c[j] for c in columns], 1, o.shape + x.shape, o.dtype))
        jac = _pack_jacobians(jac, out, argnums)
        return (jac, aux) if has_aux else jac
    return wrapper


def _forward(f, args, tangents, has_aux):
    """f's output, aux, and (value, tangent) per output, from one pass in which the args at
    the keys of `tangents` carry those tangents."""
    with dual_level():
        for p, t in tangents.items():
            _check_differentiable(args[p], "jvp")
            args[p] = make_dual(args[p], t)
        out, aux = _split_aux(f(*args), has_aux, "jvp")
        pairs = [unpack_dual(o) for o in _outputs(out, "jvp")]
    return out, aux, [(v, _creation.zeros_like(v) if t is None else t) for v, t in pairs]


# ---- built on both ----------------------------------------------------------------------------
def hessian(f, argnums=0):
    """The Hessian of f (returning a 0-d tensor) with respect to the args at argnums: the
    Jacobian of its gradient, forward over reverse as torch.func.hessian."""
    return jacfwd(jacrev(f, argnums), argnums)


def jacobian(f, x, layout="numerator", mode="reverse"):
    """The Jacobian of f at the tensor x: every derivative of an element of f(x) by an element
    of x, arranged by the layout convention of matrix calculus.

    layout="numerator" (分子布局, y's axes first): shape f(x).shape + x.shape; for y in R^m and
    x in R^n, the m x n matrix J[i, j] = dy_i/dx_j. layout="denominator" (分母布局, x's axes
    first): x.shape + f(x).shape, the transpose; for a scalar y that is the gradient, shaped
    as x. The shape of dy/dx (numerator | denominator) for y and x of each kind:

        y \\ x          scalar ()       vector (n,)               matrix (n, k)
        scalar ()      ()              (n,)  | (n,)              (n, k) | (n, k)
        vector (m,)    (m,)  | (m,)    (m, n) | (n, m)           (m, n, k) | (n, k, m)
        matrix (m, l)  (m, l) | (m, l) (m, l, n) | (n, m, l)     (m, l, n, k) | (n, k, m, l)

    Matrix-calculus texts read a scalar-by-vector derivative as a row vector (1 x n) in
    numerator layout and a column (n x 1) in denominator layout; tensors keep just the (n,).
    For a matrix by a matrix such texts often write x's axes transposed, (m, l, k, n); here x
    keeps its own axis order, as in torch.autograd.functional.jacobian (transpose the last two
    axes for that form).

    mode="reverse" builds it from vector-Jacobian products (one per element of f(x), jacrev);
    mode="forward" from Jacobian-vector products (one per element of x, jacfwd). Both give the
    same numbers; the cheaper has fewer passes: reverse when f(x) is smaller than x."""
    if layout not in ("numerator", "denominator"):
        raise ValueError(f"jacobian(): layout must be 'numerator' or 'denominator', got {layout!r}")
    if mode not in ("reverse", "forward"):
        raise ValueError(f"jacobian(): mode must be 'reverse' or 'forward', got {mode!r}")
    jac = (jacrev if mode == "reverse" else jacfwd)(f)(x)
    if layout == "numerator":
        return jac
    y_ndim = jac.ndim - x.ndim
    return jac.permute(tuple(range(y_ndim, jac.ndim)) + tuple(range(y_ndim)))


# ---- arguments and results --------------------------------------------------------------------
def _positions(argnums, n, name):
    nums = (argnums,) if isinstance(argnums, numbers.Integral) else argnums
    if not isinstance(nums, tuple) or not nums or not all(
            isinstance(a, numbers.Integral) for a in nums):
        raise RuntimeError(f"{name}: argnums must be int or Tuple[int, ...], got: {argnums!r}")
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"{name}: Got argnums={a}, but only {n} positional inputs")
    return tuple(int(a) % n for a in nums)


def _check_differentiable(x, name):
    if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise RuntimeError(f"{name}: the differentiated arguments must be floating point "
                           f"tensors, got {got}")


def _prepare(args, argnums, name):
    """args with those at argnums replaced by fresh copies to differentiate with respect to,
    the copies, and whether the call is nested (an argument requires grad)."""
    positions = _positions(argnums, len(args), name)
    nested = any(isinstance(a, Tensor) and a.requires_grad for a in args)
    args = list(args)
    for p in positions:
        _check_differentiable(args[p], name)
        x = args[p]
        # A view keeps the path to an enclosing transform's input; a new leaf otherwise, which
        # keeps an enclosing forward-mode transform's tangent (jacfwd(jacrev(f))).
        args[p] = x.view_as(x) if x.requires_grad else _leaf(x)
    return args, [args[p] for p in positions], nested


def _leaf(x):
    leaf = x.detach().requires_grad_()
    leaf._tangent = x._tangent
    return leaf


def _split_aux(result, has_aux, name):
    if not has_aux:
        return result, None
    if not isinstance(result, tuple) or len(result) != 2:
        raise RuntimeError(f"{name}(f, ...)(*args): output of function f should be a tuple: "
                           f"(output, aux) if has_aux is True")
    return result


def _outputs(out, name):
    outs = (out,) if isinstance(out, Tensor) else out
    if not isinstance(outs, (tuple, list)) or not all(isinstance(o, Tensor) for o in outs):
        raise RuntimeError(f"{name}: expected f(*args) to return a Tensor or a tuple of "
                           f"Tensors, got {type(out).__name__}")
    return tuple(outs)


def _plain(value, nested):
    """A result as the caller gets it: without graph at the outermost level."""
    if nested:
        return value
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v, nested) for v in value)
    return value


def _pack(per_input, argnums):
    return per_input[0] if isinstance(argnums, numbers.Integral) else tuple(per_input)


def _pack_jacobians(jac, out, argnums):
    """[output][input] Jacobians in the structure of f's output and of argnums."""
    per_output = [_pack(j, argnums) for j in jac]
    return per_output[0] if isinstance(out, Tensor) else tuple(per_output)


def _basis(like, k):
    """The k-th standard basis tensor of like's shape and dtype."""
    e = _creation.zeros(like.numel(), dtype=like.dtype)
    e[k] = 1.0
    return e.reshape(like.shape)


def _assemble(slices, dim, shape, dtype):
    """A Jacobian of `shape` from its slices, one per element (in order) of the output (dim=0:
    the slices are rows) or of the input (dim=1: columns); zeros if there are none."""
    if not slices:
        return _creation.zeros(shape, dtype=dtype)
    return stack([s.reshape(-1) for s in slices], dim).reshape(shape)
