"""The op table. Each op says once which kernel computes it and, per input, the rule for its
gradient: `rule(g, out, *inputs, **params)` returns the gradient for that input given the
upstream gradient g. Rules are written in fastgrad's own ops, so they run on the C kernels too.
The engine (_autograd) sums each gradient back to its input's shape; no rule repeats that."""
import builtins
import functools
import itertools
import math
import numbers
import warnings

import numpy as np

from . import _creation, _dtype, _forward_ad
from . import _kernels as K
from ._autograd import Node, differentiable_rules, grad_state, is_grad_enabled
from ._forward_ad import BILINEAR_JVP, ELEMENTWISE_JVP, LINEAR_JVP
from ._fastgrad_c import lib as C
from ._tensor import Tensor, empty_like_shape

bool_, int64, float32, float64 = _dtype.bool_, _dtype.int64, _dtype.float32, _dtype.float64


class Op:
    """One row of the op table."""

    __slots__ = ("grad_fn_name", "forward", "grads", "save_inputs", "save_output", "joint",
                 "needs", "jvp")

    def __init__(self, grad_fn_name, forward, *grads, save_inputs=True, save_output=False,
                 joint=False, needs=None, jvp=None):
        self.grad_fn_name = grad_fn_name
        self.forward = forward
        self.grads = grads  # one rule per input; if joint, one rule giving all (stack, cat)
        self.save_inputs = save_inputs
        self.save_output = save_output
        self.joint = joint
        # needs[i]: the inputs that input i's rule reads; only those of inputs that require
        # grad are saved. None: every rule reads every input.
        self.needs = needs
        # The forward-mode rule: jvp(op, tangents, out, *inputs, **params) returns the output's
        # tangent; tangents[i] is input i's tangent, None when it has none (at least one has).
        # ELEMENTWISE_JVP, LINEAR_JVP and BILINEAR_JVP (in _forward_ad) derive it from the
        # op's own backward rules or forward.
        self.jvp = jvp


OTHER = ((1,), (0,))  # `needs` of the binary ops whose gradient for one input reads the other


def apply(op, *inputs, **params):
    """Runs op's kernel and, when a floating input requires grad, records a graph node."""
    out = op.forward(*inputs, **params)
    if op.grads and grad_state.enabled and out.dtype.is_floating_point:
        for t in inputs:
            if t.requires_grad:
                record(op, inputs, out, params)
                break
    if grad_state.fw_level is not None:  # after recording: a rule reading out reaches its node
        _forward_ad.propagate(op, inputs, out, params)
    return out


def record(op, inputs, out, params):
    """Makes `out` the output of a new node of `op` (whose values are already in `out`)."""
    out._node = Node(op, inputs, out, params)
    out._requires_grad = True


# ---- arguments --------------------------------------------------------------------------------
def normalize_dim(dim, ndim, name):
    n = builtins.max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or not -n <= dim < n:
        raise IndexError(f"{name}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def normalize_dims(dim, ndim, name):
    """A sorted tuple of distinct non-negative axes; None or () means all of them. A 0-d
    tensor has no axes, but accepts dim 0 and -1 as PyTorch does."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, numbers.Integral):
        dim = (dim,)
    dims = tuple(sorted({normalize_dim(d, ndim, name) for d in dim}))
    if len(dims) != len(dim):
        raise RuntimeError(f"{name}(): dim {list(dim)} appears multiple times in the list of dims")
    return dims if ndim else ()


def shape_arg(args):
    """Accepts f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(s) for s in args)


def _pick(dim, axis, keepdim, keepdims):
    """PyTorch's dim/keepdim and numpy's axis/keepdims spellings are both accepted."""
    return (axis if axis is not None else dim), (keepdims if keepdims is not None else keepdim)


_SCALARS = {}


def scalar_tensor(value, dtype):
    """A 0-d tensor holding a Python number. Ops read these and never write them, so each
    (value, dtype) is made once; the sign is part of the key because 0.0 == -0.0."""
    key = (value, dtype, type(value), value == 0 and math.copysign(1, value))
    t = _SCALARS.get(key)
    if t is None:
        if len(_SCALARS) > 1024:
            _SCALARS.clear()
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf, silently, as in torch
            t = _SCALARS[key] = Tensor(np.array(value, dtype.np), dtype)
        t._a.flags.writeable = False  # shared: in-place ops on it must fail
    return t


def as_dtype(x, dtype):
    """x as a tensor of `dtype`: Python numbers become 0-d tensors; tensors are cast."""
    if isinstance(x, Tensor):
        return x if x.dtype is dtype else cast(x, dtype)
    return scalar_tensor(x, dtype)


def _check_number(x, name):
    if not isinstance(x, (Tensor, numbers.Number, np.bool_)):
        raise TypeError(f"{name}(): expected a Tensor or a number, got {type(x).__name__}")


# ---- elementwise ------------------------------------------------------------------------------
def _ew(code, out_dtype=None):
    """The forward of an elementwise op: its C kernel over broadcast operands."""
    def forward(*xs):
        dtype = xs[-1].dtype
        return K.elementwise(code, dtype, out_dtype or dtype, xs)
    return forward


def _fused(code, *xs):
    """A fused backward kernel (relu's mask, sigmoid from its output, ...). While a backward
    records its own graph (create_graph), the same from differentiable ops instead."""
    if differentiable_rules():
        return _COMPOSED[code](*xs)
    return K.elementwise(code, xs[-1].dtype, xs[-1].dtype, xs)


_COMPOSED = {
    C.FG_RELU_BACKWARD: lambda g, x: where(x <= 0, 0.0, g),  # NaN passes g, as torch
    C.FG_ABS_BACKWARD: lambda g, x: g * sign(x),
    C.FG_SIGMOID_BACKWARD: lambda g, y: g * y * (1 - y),
    C.FG_TANH_BACKWARD: lambda g, y: g * (1 - y * y),
    C.FG_MAX_BACKWARD: lambda g, a, b: where(a < b, 0.0, where(a == b, g * 0.5, g)),
}


NEG = Op("NegBackward0", _ew(C.FG_NEG), lambda g, out: -g, save_inputs=False,
         jvp=ELEMENTWISE_JVP)
ABS = Op("AbsBackward0", _ew(C.FG_ABS), lambda g, out, x: _fused(C.FG_ABS_BACKWARD, g, x),
         jvp=ELEMENTWISE_JVP)
SIGN = Op("SignBackward0", _ew(C.FG_SIGN), lambda g, out: _zeros(g._a.shape, g.dtype),
          save_inputs=False,  # zeros, not g * 0: a NaN or inf in g stops here, as in torch
          jvp=ELEMENTWISE_JVP)
EXP = Op("ExpBackward0", _ew(C.FG_EXP), lambda g, out: g * out, save_inputs=False, save_output=True,
         jvp=ELEMENTWISE_JVP)
LOG = Op("LogBackward0", _ew(C.FG_LOG), lambda g, out, x: g / x,
         jvp=ELEMENTWISE_JVP)
SQRT = Op("SqrtBackward0", _ew(C.FG_SQRT), lambda g, out: g / (2 * out), save_inputs=False, save_output=True,
          jvp=ELEMENTWISE_JVP)
SIN = Op("SinBackward0", _ew(C.FG_SIN), lambda g, out, x: g * cos(x),
         jvp=ELEMENTWISE_JVP)
COS = Op("CosBackward0", _ew(C.FG_COS), lambda g, out, x: g * -sin(x),
         jvp=ELEMENTWISE_JVP)
TANH = Op("TanhBackward0", _ew(C.FG_TANH), lambda g, out: _fused(C.FG_TANH_BACKWARD, g, out),
          save_inputs=False, save_output=True,
          jvp=ELEMENTWISE_JVP)
SIGMOID = Op("SigmoidBackward0", _ew(C.FG_SIGMOID), lambda g, out: _fused(C.FG_SIGMOID_BACKWARD, g, out),
             save_inputs=False, save_output=True,
             jvp=ELEMENTWISE_JVP)
RELU = Op("ReluBackward0", _ew(C.FG_RELU), lambda g, out, x: _fused(C.FG_RELU_BACKWARD, g, x),
          jvp=ELEMENTWISE_JVP)

ADD = Op("AddBackward0", _ew(C.FG_ADD), lambda g, out: g, lambda g, out: g, save_inputs=False,
         jvp=ELEMENTWISE_JVP)
SUB = Op("SubBackward0", _ew(C.FG_SUB), lambda g, out: g, lambda g, out: -g, save_inputs=False,
         jvp=ELEMENTWISE_JVP)
MUL = Op("MulBackward0", _ew(C.FG_MUL), lambda g, out, a, b: g * b, lambda g, out, a, b: g * a,
         needs=OTHER,
         jvp=ELEMENTWISE_JVP)
DIV = Op("DivBackward0", _ew(C.FG_DIV), lambda g, out, a, b: g / b,
         lambda g, out, a, b: -g * out / b, save_output=True, needs=((1,), (1,)),
         jvp=ELEMENTWISE_JVP)
POW = Op("PowBackward1", _ew(C.FG_POW),
         lambda g, out, a, b: where(b == 0, 0.0, g * b * a ** (b - 1)),
         # 0 ** b is flat in b where b >= 0; for b < 0 it is inf * log(0), as torch
         lambda g, out, a, b: g * where((a == 0) * (b >= 0), 0.0, out * log(a)), save_output=True,
         jvp=ELEMENTWISE_JVP)
MAXIMUM = Op("MaximumBackward0", _ew(C.FG_MAXIMUM),
             lambda g, out, a, b: _fused(C.FG_MAX_BACKWARD, g, a, b),
             lambda g, out, a, b: _fused(C.FG_MAX_BACKWARD, g, b, a),
             jvp=ELEMENTWISE_JVP)
MINIMUM = Op("MinimumBackward0", _ew(C.FG_MINIMUM),
             lambda g, out, a, b: _fused(C.FG_MAX_BACKWARD, g, b, a),
             lambda g, out, a, b: _fused(C.FG_MAX_BACKWARD, g, a, b),
             jvp=ELEMENTWISE_JVP)
WHERE = Op("WhereBackward0", _ew(C.FG_WHERE), None,
           lambda g, out, c, a, b: where(c, g, 0.0), lambda g, out, c, a, b: where(c, 0.0, g),
           needs=((), (0,), (0,)),
           jvp=ELEMENTWISE_JVP)
COMPARISONS = {name: Op(None, _ew(getattr(C, "FG_" + name.upper()), bool_))
               for name in ("eq", "ne", "lt", "le", "gt", "ge")}

_FLOAT_ONLY = {DIV, POW, EXP, LOG, SQRT, SIN, COS, TANH, SIGMOID}
_NUMBERS = (int, float, bool)


def _unary(op, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if op in _FLOAT_ONLY and not x.dtype.is_floating_point:
        x = cast(x, float32)
    elif x.dtype is bool_ and op is not ABS:
        raise TypeError(f"{name}(): not supported for bool tensors")
    return apply(op, x)


def _binary(op, name, a, b):
    # The common cases skip the promotion rules: two tensors of one dtype, or a floating tensor
    # and a Python number (which takes the tensor's dtype).
    if type(a) is Tensor and (b.dtype is a.dtype if type(b) is Tensor else
                              type(b) in _NUMBERS and a.dtype.is_floating_point):
        dtype = a.dtype
    elif type(b) is Tensor and type(a) in _NUMBERS and b.dtype.is_floating_point:
        dtype = b.dtype
    else:
        _check_number(a, name)
        _check_number(b, name)
        dtype = _dtype.result_type(a, b)
    if op in _FLOAT_ONLY and not dtype.is_floating_point and not (op is POW and dtype is int64):
        dtype = float32
    elif dtype is bool_ and op in _BOOL_ARITHMETIC:
        op = _BOOL_ARITHMETIC[op]
        if op is None:
            raise RuntimeError(f"{name}(): subtraction of two bool tensors is not supported; use "
                               f"logical operations or convert with .long() first")
    elif not isinstance(a, Tensor) and op in _REFLECTED:  # 1 - x, 2 ** x, 3 / x
        op = _REFLECTED[op]
    return apply(op, as_dtype(a, dtype), as_dtype(b, dtype))


def neg(x): return _unary(NEG, "neg", x)
def abs(x): return _unary(ABS, "abs", x)
def sign(x): return _unary(SIGN, "sign", x)
def exp(x): return _unary(EXP, "exp", x)
def log(x): return _unary(LOG, "log", x)
def sqrt(x): return _unary(SQRT, "sqrt", x)
def sin(x): return _unary(SIN, "sin", x)
def cos(x): return _unary(COS, "cos", x)
def tanh(x): return _unary(TANH, "tanh", x)
def sigmoid(x): return _unary(SIGMOID, "sigmoid", x)
def relu(x): return _unary(RELU, "relu", x)
def add(a, b): return _binary(ADD, "add", a, b)
def sub(a, b): return _binary(SUB, "sub", a, b)
def mul(a, b): return _binary(MUL, "mul", a, b)
def div(a, b): return _binary(DIV, "div", a, b)
def maximum(a, b): return _binary(MAXIMUM, "maximum", a, b)
def minimum(a, b): return _binary(MINIMUM, "minimum", a, b)
def eq(a, b): return _binary(COMPARISONS["eq"], "eq", a, b)
def ne(a, b): return _binary(COMPARISONS["ne"], "ne", a, b)
def lt(a, b): return _binary(COMPARISONS["lt"], "lt", a, b)
def le(a, b): return _binary(COMPARISONS["le"], "le", a, b)
def gt(a, b): return _binary(COMPARISONS["gt"], "gt", a, b)
def ge(a, b): return _binary(COMPARISONS["ge"], "ge", a, b)


def pow(a, b):
    if isinstance(b, numbers.Number) and isinstance(a, Tensor) and a.dtype.is_floating_point:
        return _binary(POW_SCALAR, "pow", a, b)
    if (type(b) is int and b < 0 and isinstance(a, Tensor) and a.dtype is int64):
        # torch refuses only this form; negative tensor exponents give int_pow's 0 (or +-1)
        raise RuntimeError("pow(): Integers to negative integer powers are not allowed.")
    return _binary(POW, "pow", a, b)


# Rows that differ from another only in the grad_fn name PyTorch prints for them.
POW_SCALAR = Op("PowBackward0", POW.forward, *POW.grads, save_output=True, jvp=POW.jvp)  # x ** 2
_REFLECTED = {
    SUB: Op("RsubBackward1", SUB.forward, *SUB.grads, save_inputs=False, jvp=SUB.jvp),  # 1 - x
    POW: Op("PowBackward2", POW.forward, *POW.grads, save_output=True, jvp=POW.jvp),  # 2 ** x
    DIV: Op("MulBackward0", DIV.forward, *DIV.grads, save_output=True,            # 3 / x: torch
            needs=DIV.needs, jvp=DIV.jvp),                                         # multiplies by 1/x
}
_FLOAT_ONLY.update((POW_SCALAR, _REFLECTED[POW], _REFLECTED[DIV]))
_BOOL_ARITHMETIC = {ADD: MAXIMUM, MUL: MINIMUM, SUB: None}  # or, and; as torch


def where(condition, a, b):
    if not isinstance(condition, Tensor) or condition.dtype is not bool_:
        raise TypeError("where(): condition must be a bool tensor")
    dtype = _dtype.result_type(a, b)
    return apply(WHERE, condition, as_dtype(a, dtype), as_dtype(b, dtype))


# ---- casts and copies -------------------------------------------------------------------------
def _cast_forward(x, dtype):
    return K.copy_into(empty_like_shape(x._a.shape, dtype), x)


CAST = Op("ToCopyBackward0", _cast_forward, lambda g, out, dtype: g, save_inputs=False,
          jvp=LINEAR_JVP)
CLONE = Op("CloneBackward0", lambda x: _cast_forward(x, x.dtype), lambda g, out: g,
           save_inputs=False, jvp=LINEAR_JVP)


def cast(x, dtype):
    return x if x.dtype is dtype else apply(CAST, x, dtype=dtype)


def clone(x):
    return apply(CLONE, x)


def set_requires_grad(x, flag):
    if not isinstance(flag, bool):
        raise TypeError(f"requires_grad_(): argument 'requires_grad' must be bool, not "
                        f"{type(flag).__name__}")
    if flag and not x.dtype.is_floating_point:
        raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                           f"(got {x.dtype!r})")
    if not flag and x._node is not None:
        raise RuntimeError("you can only change requires_grad flags of leaf variables.")
    if flag and x._base is not None and not x._base.requires_grad:
        x._base = None  # the view becomes the base its own views are views of, as in torch
    x._requires_grad = flag


# ---- views: new shapes and strides over the same memory ----------------------------------------
def _view_op(name, make_view, grad_rule, same_start=True):
    """A view op. `same_start`: the view begins where x does, so it reuses x's C pointer."""
    def forward(x, **params):
        view = x._view(make_view(x._a, **params))
        if same_start:
            view._p = x._p
        return view
    return Op(name, forward, grad_rule, save_inputs=False, jvp=LINEAR_JVP)


def _back_to_shape(g, out, in_shape, **unused):
    return g.reshape(in_shape)


def _reshaped_array(a, shape):
    """A view of `a` with `shape`, or None when a's strides do not allow one."""
    if a.flags.c_contiguous:
        return a.reshape(shape)
    try:
        return np.reshape(a, shape, copy=False)
    except ValueError:
        return None


def _infer_shape(shape, numel, name):
    """shape with its one -1 (if any) filled in, checked against the element count."""
    shape = tuple(shape)
    if -1 not in shape and math.prod(shape) == numel and builtins.min(shape, default=0) >= 0:
        return shape
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    invalid = shape.count(-1) > 1 or builtins.min(shape, default=0) < -1
    if -1 in shape and not invalid and known and numel % known == 0:
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif -1 in shape or known != numel:
        invalid = True
    if invalid:
        raise RuntimeError(f"{name}(): shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape_view(a, shape, in_shape):
    return _reshaped_array(a, shape)


VIEW = _view_op("ViewBackward0", _reshape_view, _back_to_shape)
UNSAFE_VIEW = _view_op("UnsafeViewBackward0", _reshape_view, _back_to_shape)  # matmul's, in torch
UNSQUEEZE = _view_op("UnsqueezeBackward0", lambda a, dim, in_shape: np.expand_dims(a, dim), _back_to_shape)
SQUEEZE = _view_op("SqueezeBackward0", lambda a, dims, in_shape: np.squeeze(a, dims), _back_to_shape)
def _broadcast_view(a, size):
    """a read as if broadcast to size (stride 0 on repeated axes), without copying."""
    if a.flags.c_contiguous and a.size:  # np.ndarray over a's buffer is ~8x cheaper than
        return np.ndarray(size, a.dtype, a, 0, K.broadcast_strides(a, size))  # broadcast_to
    return np.broadcast_to(a, size)


EXPAND = _view_op("ExpandBackward0", _broadcast_view, lambda g, out, size: g)
TRANSPOSE = _view_op("TransposeBackward0", lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
                     lambda g, out, dim0, dim1: transpose(g, dim0, dim1))
T_OP = _view_op("TBackward0", lambda a: a.T, lambda g, out: t(g))
PERMUTE = _view_op("PermuteBackward0", lambda a, dims: a.transpose(dims),
                   lambda g, out, dims: permute(g, tuple(np.argsort(dims).tolist())))
FLIP = _view_op("FlipBackward0", lambda a, dim: np.flip(a, dim), lambda g, out, dim: flip(g, dim),
               same_start=False)


def reshape(x, shape):
    shape = _infer_shape(shape, x._a.size, "reshape")
    if _reshaped_array(x._a, shape) is None:
        x = clone(x)
    return apply(VIEW, x, shape=shape, in_shape=x._a.shape)


def view(x, shape):
    shape = _infer_shape(shape, x._a.size, "view")
    if _reshaped_array(x._a, shape) is None:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (shape "
            f"{tuple(x.shape)} to {shape}: at least one dimension spans across two contiguous "
            f"subspaces). Use .reshape(...) instead.")
    return apply(VIEW, x, shape=shape, in_shape=x._a.shape)


def unsqueeze(x, dim):
    dim = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return apply(UNSQUEEZE, x, dim=dim, in_shape=x._a.shape)


def squeeze(x, dim=None):
    dims = tuple(d for d in normalize_dims(dim, x.ndim, "squeeze") if x._a.shape[d] == 1)
    return apply(SQUEEZE, x, dims=dims, in_shape=x._a.shape)


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_dim(start_dim, x.ndim, "flatten")
    end = normalize_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._a.shape
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


def expand(x, size):
    shape = x._a.shape
    lead = len(size) - len(shape)
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(size)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(shape)})")
    if any(s == -1 for s in size[:lead]):
        raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension "
                           f"(shape {tuple(shape)} to {tuple(size)})")
    size = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(size))
    K.broadcast_shape("expand", shape, size)
    if any(n not in (1, s) for n, s in zip(shape, size[lead:])):
        raise RuntimeError(f"expand: the expanded size of the tensor must match the existing size "
                           f"at non-singleton dimensions (shape {tuple(shape)} to {size})")
    if math.prod(size) * x._a.itemsize >= 2**63:  # numpy's limit, for views as well
        raise ValueError(f"expand: a tensor of shape {size} would span 2**63 bytes or more")
    return apply(EXPAND, x, size=size)


def transpose(x, dim0, dim1):
    n = x.ndim
    return apply(TRANSPOSE, x, dim0=normalize_dim(dim0, n, "transpose"),
                 dim1=normalize_dim(dim1, n, "transpose"))


def t(x):
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return apply(T_OP, x)


def permute(x, dims):
    n = x.ndim
    dims = tuple(normalize_dim(d, n, "permute") for d in dims)
    if sorted(dims) != list(range(n)):
        raise RuntimeError(f"permute(): dims {list(dims)} are not a permutation of the "
                           f"{n} dimensions of a tensor of shape {tuple(x.shape)}")
    return apply(PERMUTE, x, dims=dims)


def flip(x, dim):
    return apply(FLIP, x, dim=dim)


# ---- indexing ---------------------------------------------------------------------------------
def _basic_key(x, key):
    """Checks an index of ints, slices, None and Ellipsis against x's shape (PyTorch's errors)."""
    if not isinstance(key, tuple):
        key = (key,)
    n_indexing = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_indexing > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    out = []
    dim = 0
    for k in key:
        if k is Ellipsis:
            dim += x.ndim - n_indexing
            out.append(k)
        elif k is None:
            out.append(k)
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(k)
            dim += 1
        elif isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, bool) or (
                isinstance(k, Tensor) and k.ndim == 0 and k.dtype is int64):
            k = int(k)
            size = x._a.shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            out.append(k)
            dim += 1
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    if Ellipsis not in out:
        out.append(Ellipsis)  # so that numpy returns a view even when every axis is indexed
    return tuple(out)


def _index_backward_forward(g, key, shape):
    grad = K.fill(empty_like_shape(shape, g.dtype), 0)
    K.copy_into(grad._view(grad._a[key]), g)
    return grad


def _index_backward(g, out, key, shape):
    return apply(INDEX_BACKWARD, g, key=key, shape=shape)


SELECT = _view_op("SelectBackward0", lambda a, key, shape: a[key], _index_backward, same_start=False)
SLICE = _view_op("SliceBackward0", lambda a, key, shape: a[key], _index_backward, same_start=False)
# g laid into zeros of the indexed tensor's shape: its own gradient is the indexing again, so
# second derivatives pass through basic indexing.
INDEX_BACKWARD = Op("SliceBackwardBackward0", _index_backward_forward,
                    lambda g, out, key, shape: apply(SLICE, g, key=key, shape=g._a.shape),
                    save_inputs=False, jvp=LINEAR_JVP)


def _basic_view(x, key):
    """x[key] for a key as _basic_key returns it: a view."""
    op = SELECT if any(isinstance(k, int) for k in key) else SLICE
    return apply(op, x, key=key, shape=x._a.shape)


def getitem(x, key):
    key = _index_tuple(key)
    if not any(_is_advanced(k) for k in key):
        return _basic_view(x, _basic_key(x, key))
    v, index, plan = _advanced(x, key)
    return apply(INDEX, v, index, **plan)


def setitem(x, key, value):
    """x[key] = value: an in-place copy into the view x[key]; for an advanced key, index_put_."""
    _check_number(value, "setitem")
    key = _index_tuple(key)
    if not any(_is_advanced(k) for k in key):
        target = _basic_view(x, _basic_key(x, key))
        if isinstance(value, Tensor):
            copy_(target, value)
        else:
            fill_(target, value)
        return
    v, index, plan = _advanced(x, key)
    src = _put_source(value, v.dtype, index, plan["shape"])
    rows = _reshaped_array(v._a, plan["rows_shape"]) if plan["perm"] is None else None
    if rows is None or _recording(v, src) or grad_state.fw_level is not None:
        _inplace("index_put_", lambda v, src: apply(INDEX_PUT, v, index, src, **plan), v, src)
        return
    _check_writable(v, "index_put_")  # the fast path: written straight into v's memory
    target = v._view(rows)
    _check_no_overlap(target, src, "index_put_")
    K.scatter(C.FG_SCATTER_ASSIGN, target, plan["dim"], index, src)
    v._version[0] += 1


# ---- advanced indexing ------------------------------------------------------------------------
# x[key] with lists, int64 or bool tensors in the key, as torch computes it: the key's ints,
# slices and None make a view v; each index tensor then indexes one axis of v (a k-d mask, k
# axes, through its nonzero coordinates). The index tensors broadcast to one shape B and fold
# into one flat index into v's indexed axes; those axes are moved together (if they are not)
# and merged into one, and a gather along it gives the result, whose B axes stand where the
# indexed axes were, or first if they were apart (numpy's rule).

_SEQUENCE_AS_TUPLE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
    "a different result")


def _index_tuple(key):
    """The key's entries, as torch reads them: a short list holding a sequence, slice, tensor,
    None or ... stands for a tuple (numpy's old rule, which torch keeps with a warning)."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32 and any(
            k is None or k is Ellipsis or isinstance(k, (slice, Tensor, list, tuple, range))
            for k in key):
        warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=4)
        return tuple(key)
    return (key,)


def _is_advanced(k):
    if isinstance(k, Tensor):
        return k.ndim > 0 or k.dtype is not int64  # a 0-d int64 tensor is an int
    return isinstance(k, (list, tuple, range, bool, np.bool_, np.ndarray))  # a tuple inside a key


def _index_tensor(k):
    """An advanced entry as an int64 or bool tensor; lists of numbers become int64, as torch."""
    if not isinstance(k, Tensor):
        a = np.asarray(k)
        k = _creation.tensor(a, dtype=bool_ if a.dtype == np.bool_ else int64)
    if k.dtype is not int64 and k.dtype is not bool_:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return k


def _advanced(x, key):
    """(v, index, plan): the view the key's basic entries make, the flat int64 index of the
    INDEX and INDEX_PUT rows, and their parameters."""
    basic, entries = [], []  # entries: (position in basic, True/False or an index tensor)
    for k in key:
        if isinstance(k, (bool, np.bool_)) or (
                isinstance(k, Tensor) and k.ndim == 0 and k.dtype is bool_):
            entries.append((len(basic), bool(k)))  # torch: a new axis of size 1, indexed
            basic.append(None)                     # by [0] (True) or [] (False)
        elif _is_advanced(k):
            k = _index_tensor(k)
            entries.append((len(basic), k))
            basic.extend([slice(None)] * (k.ndim if k.dtype is bool_ else 1))
        else:
            basic.append(k)
    basic = _basic_key(x, tuple(basic))
    whole = x._a[basic].shape == x._a.shape and not any(k is None or isinstance(k, int)
                                                          for k in basic)
    v = x if whole else _basic_view(x, basic)  # only whole axes: torch indexes x itself
    axes = _view_axes(basic, x.ndim)
    indices = []  # (axis of v, int64 index tensor)
    for position, k in entries:
        axis = axes[position]
        if isinstance(k, bool):
            indices.append((axis, K.arange(int(k), 0, 1, int64)))
        elif k.dtype is bool_:
            _check_mask(v, axis, k)
            coords = K.nonzero(k)._a
            indices.extend((axis + j, Tensor(coords[:, j], int64)) for j in range(k.ndim))
        else:
            indices.append((axis, k))
    return (v,) + _index_plan(v, indices)


def _view_axes(key, ndim):
    """The axis of x[key] (key as _basic_key returns it) at which each entry of key begins."""
    n_indexing = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    axes, axis = [], 0
    for k in key:
        axes.append(axis)
        axis += ndim - n_indexing if k is Ellipsis else 0 if isinstance(k, int) else 1
    return axes


def _check_mask(v, axis, mask):
    shape = v._a.shape
    for j, n in enumerate(mask._a.shape):
        if n != shape[axis + j]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{axis + j}")


def _bounds_error(exc, dim, size):
    """PyTorch's error for an index out of bounds of an axis of `size` elements."""
    if size == 0:
        return lambda i: exc("index is out of bounds for dimension with size 0")
    return lambda i: exc(f"index {i} is out of bounds for dimension {dim} with size {size}")


def _index_plan(v, indices):
    shapes = [t._a.shape for _, t in indices]
    try:
        broadcast = functools.reduce(lambda a, b: K.broadcast_shape("index", a, b), shapes)
    except RuntimeError:
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {', '.join(str(list(s)) for s in shapes)}") from None
    flat = K.fill(empty_like_shape(broadcast, int64), 0)
    shape = v._a.shape
    for j, (axis, t) in enumerate(indices):  # torch numbers the indexed axes from 0
        K.index_fold(flat, t, shape[axis], _bounds_error(IndexError, j, shape[axis]))
    axes = [axis for axis, _ in indices]
    if axes == list(range(axes[0], axes[0] + len(axes))):
        perm, dim = None, axes[0]
        lead, trail = shape[:dim], shape[dim + len(axes):]
    else:
        rest = [d for d in range(len(shape)) if d not in axes]
        perm, dim = tuple(axes + rest), 0
        lead, trail = (), tuple(shape[d] for d in rest)
    n = flat._a.size
    index = flat._a.reshape((1,) * len(lead) + (n,) + (1,) * len(trail))
    index = Tensor(_broadcast_view(index, lead + (n,) + trail), int64)
    rows_shape = lead + (math.prod(shape[d] for d in axes),) + trail
    return index, dict(perm=perm, rows_shape=rows_shape, dim=dim, shape=lead + broadcast + trail,
                       in_shape=shape)


def _rows(x, perm, rows_shape):
    """x with its indexed axes moved together (perm) and merged into one: rows_shape."""
    return reshape(x if perm is None else permute(x, perm), rows_shape)


def _unrows(rows, perm, in_shape):
    """The inverse of _rows."""
    if perm is None:
        return reshape(rows, in_shape)
    moved = reshape(rows, tuple(in_shape[d] for d in perm))
    return permute(moved, tuple(np.argsort(perm).tolist()))


def _zeros(shape, dtype):
    return K.fill(empty_like_shape(shape, dtype), 0)


def _index_forward(x, index, perm, rows_shape, dim, shape, in_shape):
    out = _gather_forward(_rows(x.detach(), perm, rows_shape), index, dim)
    return Tensor(out._a.reshape(shape), x.dtype)


def _advanced_index_backward(g, out, x, index, perm, rows_shape, dim, shape, in_shape):
    rows = scatter_add(_zeros(rows_shape, g.dtype), dim, index, reshape(g, index._a.shape))
    return _unrows(rows, perm, in_shape)


def _index_put_forward(x, index, src, perm, rows_shape, dim, shape, in_shape):
    rows = _rows(x.detach(), perm, rows_shape)
    if np.may_share_memory(rows._a, x._a):
        rows = clone(rows)
    K.scatter(C.FG_SCATTER_ASSIGN, rows, dim, index, src)
    return Tensor(_unrows(rows, perm, in_shape)._a, x.dtype)


def _put_source(value, dtype, index, shape):
    """index_put_'s value as the src of the scatter: of dtype, broadcast to the result's shape
    (leading 1s dropped first, as torch), laid out as index."""
    if not isinstance(value, Tensor):
        value = scalar_tensor(value, dtype)
    elif value.dtype is not dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_TYPE_NAMES[dtype]} for the destination and "
                           f"{_TYPE_NAMES[value.dtype]} for the source.")
    vshape = value._a.shape
    while vshape and vshape[0] == 1:
        vshape = vshape[1:]
    try:
        if K.broadcast_shape("index_put_", vshape, shape) != shape:
            raise RuntimeError
    except RuntimeError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(shape)}") from None
    return reshape(expand(reshape(value, vshape), shape), index._a.shape)


_TYPE_NAMES = {float32: "Float", float64: "Double", int64: "Long", bool_: "Bool"}

INDEX = Op("IndexBackward0", _index_forward, _advanced_index_backward, None, needs=((1,), ()),
           jvp=LINEAR_JVP)
# x with src written at index: x's gradient is g with zeros there, src's is g at index.
INDEX_PUT = Op("IndexPutBackward0", _index_put_forward,
               lambda g, out, x, index, src, **plan: apply(
                   INDEX_PUT, g, index, _zeros(index._a.shape, g.dtype), **plan),
               None,
               lambda g, out, x, index, src, **plan: reshape(apply(INDEX, g, index, **plan),
                                                             index._a.shape),
               needs=((1,), (), (1,)), jvp=LINEAR_JVP)


# ---- gather, scatter_add, index_select --------------------------------------------------------
def _gather_forward(x, index, dim, error=None):
    return K.gather(empty_like_shape(index._a.shape, x.dtype), x, dim, index, error)


def _gather_op(name, error):
    """A row that gathers x along dim at index (shaped as x but for dim): gather's, and
    index_select's with its index spread over x's other axes. Only their errors differ."""
    return Op(name, lambda x, index, dim, shape: _gather_forward(x, index, dim, error(x, dim)),
              lambda g, out, x, index, dim, shape: scatter_add(_zeros(shape, g.dtype), dim,
                                                               index, g),
              None, needs=((1,), ()), jvp=LINEAR_JVP)


def _axis_size(x, dim):
    return x._a.shape[dim] if x.ndim else 1


def _index_select_error(x, dim):
    """index_select's errors, which depend on the axis in PyTorch (its kernels for dim 1)."""
    size = _axis_size(x, dim)
    if dim == 1:
        return lambda i: RuntimeError(f"index_select(): INDICES element is out of DATA bounds, "
                                      f"id={i} axis_dim={size}")
    return lambda i: IndexError(f"index_select(): index out of range in self (index {i}, "
                                f"dimension {dim} of size {size})")


GATHER = _gather_op("GatherBackward0",
                    lambda x, dim: _bounds_error(RuntimeError, dim, _axis_size(x, dim)))
INDEX_SELECT = _gather_op("IndexSelectBackward0", _index_select_error)


def _scatter_add_forward(x, index, src, dim):
    out = _cast_forward(x, x.dtype)
    return K.scatter(C.FG_SCATTER_ADD, out, dim, index, src,
                     _bounds_error(RuntimeError, dim, _axis_size(x, dim)))


SCATTER_ADD = Op("ScatterAddBackward0", _scatter_add_forward, lambda g, out, x, index, src, dim: g,
                 None, lambda g, out, x, index, src, dim: gather(g, dim, index),
                 needs=((), (), (1,)), jvp=LINEAR_JVP)


def _check_index_tensor(name, index, message):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype is not int64:
        raise RuntimeError(f"{name}(): {message}")


def _check_along(x, dim, index, src=None):
    """gather's and scatter_add's shape rules: index has x's dimensions (src's too), and is no
    larger than x on every other axis (than src on every axis)."""
    n = x.ndim
    if index.ndim != n and not (index.ndim <= 1 and n <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                           f"{'self' if src is not None else 'input'} tensor")
    if src is not None and src.ndim != index.ndim and not (index.ndim <= 1 and src.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    # a 0-d tensor counts as one element along its one permitted dimension
    index_shape, x_shape = index._a.shape or (1,), x._a.shape or (1,)
    larger = [d for d, (i, s) in enumerate(zip(index_shape, x_shape)) if i > s and d != dim]
    if src is None and larger:
        raise RuntimeError(f"Size does not match at dimension {larger[0]} expected index "
                           f"{list(index.shape)} to be no larger than self {list(x.shape)} apart "
                           f"from dimension {dim}")
    if src is not None and (larger or any(i > s for i, s in zip(index_shape, src._a.shape or (1,)))):
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(x.shape)} apart from dimension {dim} and to be no larger "
                           f"size than src {list(src.shape)}")


def gather(x, dim, index):
    dim = normalize_dim(dim, x.ndim, "gather")
    _check_index_tensor("gather", index, "Expected dtype int32/int64 for index")
    _check_along(x, dim, index)
    return apply(GATHER, x, index, dim=dim, shape=x._a.shape)


def scatter_add(x, dim, index, src):
    dim = normalize_dim(dim, x.ndim, "scatter_add")
    _check_index_tensor("scatter", index, "Expected dtype int32/int64 for index")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    if src.dtype is not x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_along(x, dim, index, src)
    if src._a.shape != index._a.shape and src.ndim == index.ndim:
        src = getitem(src, tuple(slice(0, n) for n in index._a.shape))  # the part it reads
    return apply(SCATTER_ADD, x, index, src, dim=dim)


def scatter_add_(x, dim, index, src):
    return _inplace("scatter_add_", lambda x, src: scatter_add(x, dim, index, src), x, src)


def index_select(x, dim, index):
    dim = normalize_dim(dim, x.ndim, "index_select")
    _check_index_tensor("index_select", index, "Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if x.ndim == 0 and index._a.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{index._a.size} value(s)")
    shape = x._a.shape
    if x.ndim == 0:
        return apply(INDEX_SELECT, x, Tensor(index._a.reshape(()), int64), dim=dim, shape=shape)
    n = index._a.size
    # index laid along dim and repeated (stride 0) over x's other axes: a gather's index
    spread = index._a.reshape((1,) * dim + (n,) + (1,) * (x.ndim - dim - 1))
    spread = Tensor(_broadcast_view(spread, shape[:dim] + (n,) + shape[dim + 1:]), int64)
    return apply(INDEX_SELECT, x, spread, dim=dim, shape=shape)


def nonzero(x):
    return K.nonzero(x)


# ---- in place ---------------------------------------------------------------------------------
# An in-place op computes its result out of place, then writes it into x's memory and bumps the
# version counter, which catches any saved tensor the write changed. While a graph is recorded,
# x takes over the result's node; if x is a view, its base does, through a CopySlices node.

def _check_writable(x, name):
    """Refuses in-place writes into overlapping or read-only memory, and, in grad mode, into a
    leaf that requires grad or a view of one."""
    a = x._a
    if 0 in a.strides and any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape)):
        raise RuntimeError(f"{name}(): unsupported operation: more than one element of the "
                           f"written-to tensor refers to a single memory location. Please clone() "
                           f"the tensor before performing the operation.")
    if not a.flags.writeable:
        raise RuntimeError(f"{name}(): the tensor's memory is read-only (a read-only numpy array)")
    if is_grad_enabled():
        _check_not_leaf(x, name)


def _recording(x, other):
    return is_grad_enabled() and x.dtype.is_floating_point and (
        x.requires_grad or getattr(other, "requires_grad", False))


def _check_not_leaf(x, name):
    """Refuses in-place writes, in grad mode, into a leaf that requires grad or into a view of
    one (made with or without grad mode)."""
    root = x._base if x._base is not None else x
    if root.requires_grad and root._node is None:
        what = "a view of a leaf Variable" if root is not x else "a leaf Variable"
        raise RuntimeError(f"{name}(): {what} that requires grad is being used in an in-place "
                           f"operation.")


def _inplace(name, out_of_place, x, other):
    """x <- out_of_place(x, other), written into x's memory."""
    _check_number(other, name)
    _check_writable(x, name)
    recording = _recording(x, other)
    result = out_of_place(x, other)
    if result._a.shape != x._a.shape:
        raise RuntimeError(f"{name}(): output with shape {list(x.shape)} doesn't match the "
                           f"broadcast shape {list(result.shape)}")
    if _dtype.category(result.dtype) > _dtype.category(x.dtype):
        raise RuntimeError(f"{name}(): result type {result.dtype!r} can't be cast to the desired "
                           f"output type {x.dtype!r}")
    if x._base is not None and (_forward_ad.tangent_of(result) is not None or
                                _forward_ad.tangent_of(x._base) is not None):
        raise NotImplementedError(f"{name}(): forward mode through an in-place write into a view "
                                  f"is not supported yet (the base's tangent would go stale)")
    if recording and result._node is not None:
        result._node.snapshot(x)  # the write below must not change what the node saved of x
    K.copy_into(x, result)
    x._version[0] += 1
    x._tangent = result._tangent  # forward mode: x now holds the result, tangent included
    if recording:
        if x._base is None:
            x._node = result._node
            x._requires_grad = True
        else:
            _rebase_view(x, result)
    return x


def _region(t, base):
    """Where view t lies in its base's memory: (element offset, shape, element strides)."""
    size = t.dtype.itemsize
    offset = t._a.__array_interface__["data"][0] - base._a.__array_interface__["data"][0]
    return offset // size, t._a.shape, tuple(s // size for s in t._a.strides)


def _region_view(t, region):
    """The view of contiguous t at `region` (as found by _region on a tensor of t's shape)."""
    offset, shape, strides = region
    flat = t._a.reshape(-1)[offset:]
    size = t.dtype.itemsize
    return Tensor(np.lib.stride_tricks.as_strided(flat, shape, tuple(s * size for s in strides)),
                  t.dtype)


def _no_create_graph(name):
    if differentiable_rules():
        raise NotImplementedError(f"create_graph=True or forward mode through {name} (an in-place "
                                  f"write into a view) is not supported yet")


def _copy_slices_base_grad(g, out, region):
    _no_create_graph("CopySlices")
    grad = _cast_forward(g, g.dtype)
    K.fill(_region_view(grad, region), 0)
    return grad


def _region_grad(g, out, region, base_shape):
    _no_create_graph("AsStridedBackward0")
    grad = K.fill(empty_like_shape(base_shape, g.dtype), 0)
    K.copy_into(_region_view(grad, region), g)
    return grad


COPY_SLICES = Op("CopySlices", None, _copy_slices_base_grad,
                 lambda g, out, region: _region_view(clone(g) if not g.is_contiguous() else g, region),
                 save_inputs=False)
AS_STRIDED = Op("AsStridedBackward0", None, _region_grad, save_inputs=False)


def _rebase_view(view, result):
    """After `result` was written through `view`, records that the base now holds it (a
    CopySlices node) and that the view shows that part of the new base."""
    base = view._base
    if not base._a.flags.c_contiguous:
        raise NotImplementedError("an in-place change through a view of a non-contiguous tensor "
                                  "is not supported while recording a graph")
    region = _region(view, base)
    record(COPY_SLICES, (base, result), base, {"region": region})
    record(AS_STRIDED, (base,), view, {"region": region, "base_shape": base._a.shape})


def add_(x, other): return _inplace("add_", add, x, other)


def accumulate_(grad, g):
    """grad += g for a .grad outside any graph: one kernel call when nothing overlaps."""
    a = grad._a
    if (a.flags.writeable and g.dtype is grad.dtype and g._a.shape == a.shape and all(a.strides)
            and not np.may_share_memory(a, g._a)):
        K.elementwise(C.FG_ADD, grad.dtype, grad.dtype, (grad, g), out=grad)
        grad._version[0] += 1
    else:
        add_(grad, g)
def sub_(x, other): return _inplace("sub_", sub, x, other)
def mul_(x, other): return _inplace("mul_", mul, x, other)
def div_(x, other): return _inplace("div_", div, x, other)


def copy_(x, src):
    if not isinstance(src, Tensor):
        return fill_(x, src)
    if not _recording(x, src) and grad_state.fw_level is None:  # the fast path: one strided copy
        _check_writable(x, "copy_")
        _check_no_overlap(x, src, "copy_")
        K.copy_into(x, src)
        x._version[0] += 1
        return x
    return _inplace("copy_", lambda x, s: clone(expand(cast(s, x.dtype), x._a.shape)), x, src)


def _check_no_overlap(dst, src, name):
    same = dst._a.__array_interface__ == src._a.__array_interface__
    if not same and np.may_share_memory(dst._a, src._a):
        raise RuntimeError(f"{name}(): unsupported operation: some elements of the input tensor "
                           f"and the written-to tensor refer to a single memory location. Please "
                           f"clone() the tensor before performing the operation.")


FILL = Op("FillBackward0", lambda x, value: K.fill(empty_like_shape(x._a.shape, x.dtype), value),
          lambda g, out, value: _zeros(g._a.shape, g.dtype), save_inputs=False,
          jvp=lambda op, tangents, out, x, value: K.fill(empty_like_shape(x._a.shape, x.dtype), 0))


def fill_(x, value):
    if isinstance(value, Tensor):
        value = value.item()
    if _recording(x, None) or grad_state.fw_level is not None:  # a graph or tangents to update
        return _inplace("fill_", lambda x, v: apply(FILL, x, value=v), x, value)
    _check_writable(x, "fill_")
    K.fill(x, value)
    x._version[0] += 1
    return x


# ---- reductions -------------------------------------------------------------------------------
def _drop_dims(t, dims, keepdim):
    """A fresh reduction result without its reduced axes (the same memory, not a view)."""
    if keepdim or not dims:
        return t
    shape = tuple(n for d, n in enumerate(t._a.shape) if d not in dims)
    return Tensor(t._a.reshape(shape), t.dtype)


def _keepdim_shape(shape, dims):
    return tuple(1 if d in dims else n for d, n in enumerate(shape))


def _spread(g, dims, shape):
    """g, the gradient of a reduction over dims, laid back over the reduced input's shape."""
    kept = _keepdim_shape(shape, dims)
    if differentiable_rules() or not g._a.flags.c_contiguous:
        return expand(reshape(g, kept), shape)
    spread = Tensor(_broadcast_view(g._a.reshape(kept), shape), g.dtype)  # the same, cheaply
    spread._p = g._p
    return spread


def _reduce_forward(code):
    return lambda x, dims, keepdim, shape, **unused: K.reduce(code, x, dims, keepdim)


_sum_forward = _reduce_forward(C.FG_SUM)


def _mean_forward(x, dims, keepdim, shape):
    total = _sum_forward(x, dims, keepdim, shape)
    return K.elementwise(C.FG_DIV, x.dtype, x.dtype, (total, scalar_tensor(_count(shape, dims), x.dtype)))


def _count(shape, dims):
    return math.prod(shape[d] for d in dims)


def _extreme_all_backward(g, out, x, dims, keepdim, shape):
    # every extreme element shares the gradient, as torch's max(); a NaN is the extreme
    hit = where(out != out, x != x, x == out)
    return where(hit, g / hit.sum(), 0.0)


def _extreme_dim_backward(g, out, dims, keepdim, shape, indices):
    if not dims:  # a 0-d input
        return g
    (dim,) = dims
    if not keepdim:
        g, indices = unsqueeze(g, dim), unsqueeze(indices, dim)
    positions = K.arange(shape[dim], 0, 1, int64)
    positions = Tensor(positions._a.reshape((-1,) + (1,) * (len(shape) - dim - 1)), int64)
    return where(eq(positions, indices), g, 0.0)


SUM = Op("SumBackward0", _sum_forward, lambda g, out, dims, keepdim, shape: _spread(g, dims, shape),
         save_inputs=False, jvp=LINEAR_JVP)
SUM_DIM = Op("SumBackward1", SUM.forward, *SUM.grads, save_inputs=False, jvp=LINEAR_JVP)
MEAN = Op("MeanBackward0", _mean_forward,
          lambda g, out, dims, keepdim, shape: _spread(g / _count(shape, dims), dims, shape),
          save_inputs=False, jvp=LINEAR_JVP)
MEAN_DIM = Op("MeanBackward1", MEAN.forward, *MEAN.grads, save_inputs=False, jvp=LINEAR_JVP)


def _extreme_all_jvp(op, tangents, out, x, **params):
    """The tangent averaged over the extreme elements (the transpose of the backward rule)."""
    hit = where(out != out, x != x, x == out)
    return where(hit, tangents[0], 0.0).sum() / hit.sum()


def _extreme_dim_jvp(op, tangents, out, x, dims, keepdim, shape, indices):
    """The tangent at the index each extreme was taken from."""
    if not dims:
        return tangents[0]
    ones = K.fill(empty_like_shape(out._a.shape, out.dtype), 1)
    picked = _extreme_dim_backward(ones, out, dims, keepdim, shape, indices)  # 1 where taken
    return sum(tangents[0] * picked, dims, keepdim)


MAX_ALL = Op("MaxBackward1", _reduce_forward(C.FG_MAX), _extreme_all_backward, save_output=True,
             jvp=_extreme_all_jvp)
MIN_ALL = Op("MinBackward1", _reduce_forward(C.FG_MIN), _extreme_all_backward, save_output=True,
             jvp=_extreme_all_jvp)
MAX_DIM = Op("MaxBackward0", _reduce_forward(C.FG_MAX), _extreme_dim_backward, save_inputs=False,
             jvp=_extreme_dim_jvp)
MIN_DIM = Op("MinBackward0", _reduce_forward(C.FG_MIN), _extreme_dim_backward, save_inputs=False,
             jvp=_extreme_dim_jvp)


def _reduction_input(x, name, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if dtype is not None:
        return cast(x, _dtype.to_dtype(dtype))
    return cast(x, int64) if x.dtype is bool_ else x


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    dim, keepdim = _pick(dim, axis, keepdim, keepdims)
    x = _reduction_input(x, "sum", dtype)
    dims = normalize_dims(dim, x.ndim, "sum")
    return apply(SUM if dim is None else SUM_DIM, x, dims=dims, keepdim=keepdim, shape=x._a.shape)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    dim, keepdim = _pick(dim, axis, keepdim, keepdims)
    x = _reduction_input(x, "mean", dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {x.dtype!r}")
    dims = normalize_dims(dim, x.ndim, "mean")
    return apply(MEAN if dim is None else MEAN_DIM, x, dims=dims, keepdim=keepdim, shape=x._a.shape)


class _MaxResult(tuple):
    """(values, indices), as torch.return_types.max."""

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


def _extreme(name, all_op, dim_op, arg_code, x, dim, keepdim, axis, keepdims):
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
        return (maximum if all_op is MAX_ALL else minimum)(x, dim)
    dim, keepdim = _pick(dim, axis, keepdim, keepdims)
    if dim is None:
        if x._a.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                               f"== 0. Specify the reduction dim with the 'dim' argument.")
        return apply(all_op, x, dims=tuple(range(x.ndim)), keepdim=False, shape=x._a.shape)
    d = normalize_dim(dim, x.ndim, name)
    if x.ndim and x._a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    indices = _arg_along(arg_code, x, d, keepdim)
    values = apply(dim_op, x, dims=(d,) if x.ndim else (), keepdim=keepdim, shape=x._a.shape,
                   indices=indices)
    return _MaxResult((values, indices))


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _extreme("max", MAX_ALL, MAX_DIM, C.FG_ARGMAX, x, dim, keepdim, axis, keepdims)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _extreme("min", MIN_ALL, MIN_DIM, C.FG_ARGMIN, x, dim, keepdim, axis, keepdims)


def _arg_along(code, x, dim, keepdim):
    if x.ndim == 0:
        return K.fill(empty_like_shape((), int64), 0)
    shape = _keepdim_shape(x._a.shape, (dim,))
    return _drop_dims(K.along_axis(code, x, dim, shape, int64), (dim,), keepdim)


def _arg_extreme(name, code, x, dim, keepdim, axis, keepdims):
    dim, keepdim = _pick(dim, axis, keepdim, keepdims)
    if dim is None:
        if x._a.size == 0:  # an IndexError here, a RuntimeError for max(): as torch
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
        flat = _arg_along(code, reshape(x.detach(), (-1,)), 0, False)
        return reshape(flat, (1,) * x.ndim) if keepdim else flat
    d = normalize_dim(dim, x.ndim, name)
    if x.ndim and x._a.shape[d] == 0:  # an empty tensor reduces along its non-empty axes
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return _arg_along(code, x, d, keepdim)


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _arg_extreme("argmax", C.FG_ARGMAX, x, dim, keepdim, axis, keepdims)


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return _arg_extreme("argmin", C.FG_ARGMIN, x, dim, keepdim, axis, keepdims)


def _cumsum_forward(x, dim):
    if x.ndim == 0:
        return clone(x.detach())
    return K.along_axis(C.FG_CUMSUM, x, dim, x._a.shape, x.dtype)


CUMSUM = Op("CumsumBackward0", _cumsum_forward,
            lambda g, out, dim: flip(cumsum(flip(g, dim), dim), dim) if g.ndim else g,
            save_inputs=False, jvp=LINEAR_JVP)


def cumsum(x, dim=None, *, axis=None, dtype=None):
    dim = axis if axis is not None else dim
    if dim is None:
        raise TypeError("cumsum() missing required argument 'dim'")
    x = _reduction_input(x, "cumsum", dtype)
    return apply(CUMSUM, x, dim=normalize_dim(dim, x.ndim, "cumsum"))


def _norm_forward(x, dims, keepdim):
    squares = K.elementwise(C.FG_MUL, x.dtype, x.dtype, (x, x))
    total = K.reduce(C.FG_SUM, squares, dims, keepdim)
    return K.elementwise(C.FG_SQRT, x.dtype, x.dtype, (total,))


def _norm_backward(g, out, x, dims, keepdim):
    if not keepdim:  # lay g and the norm back over x's axes
        g, out = (reshape(t, _keepdim_shape(x._a.shape, dims)) for t in (g, out))
    return where(out == 0, 0.0, x * (g / out))  # 0 at the origin, as torch


def _norm_jvp(op, tangents, out, x, dims, keepdim):
    dot_xt = sum(x * tangents[0], dims, keepdim)
    return where(out == 0, 0.0, dot_xt / out)


NORM = Op("LinalgVectorNormBackward0", _norm_forward, _norm_backward, save_output=True,
          jvp=_norm_jvp)


def norm(x, p="fro", dim=None, keepdim=False):
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"norm(): input dtype should be floating point, but got {x.dtype!r}")
    if p in (1, 1.0):
        return sum(abs(x), dim, keepdim)
    if p not in ("fro", 2, 2.0):
        raise NotImplementedError(f"norm(): p={p!r} is not supported (use 'fro', 2 or 1)")
    return apply(NORM, x, dims=normalize_dims(dim, x.ndim, "norm"), keepdim=keepdim)


# ---- products ---------------------------------------------------------------------------------
def _products_check(name, a, b, a_ndim, b_ndim):
    for t, n, what in ((a, a_ndim, "first"), (b, b_ndim, "second")):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument {what} must be Tensor, not {type(t).__name__}")
        if n is not None and t.ndim not in n:
            raise RuntimeError(f"{name}(): the {what} argument must be {'/'.join(map(str, n))}D, "
                               f"but got a tensor of shape {tuple(t.shape)}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{name}(): expected both arguments to have the same dtype, but got "
                           f"{a.dtype!r} and {b.dtype!r}")
    if not a.dtype.is_floating_point:
        raise TypeError(f"{name}(): is not implemented for dtype {a.dtype!r}")


def _aligned(t):
    """t, or a contiguous copy when its data is not aligned or its strides are not whole
    elements (numpy record fields): the product kernels address typed elements."""
    a = t._a
    size = t.dtype.itemsize
    if a.flags.aligned and all(s % size == 0 for s in a.strides):
        return t
    return _cast_forward(t, t.dtype)


def _dot_forward(a, b):
    a, b = _aligned(a), _aligned(b)
    s = a._a.strides[0], b._a.strides[0]
    return K.matmul(a, b, 1, 1, 1, a._a.shape[0], (), (0, 0, s[0]), (0, s[1], 0))


def _mv_forward(a, x):
    a, x = _aligned(a), _aligned(x)
    (m, k), sa = a._a.shape, a._a.strides
    return K.matmul(a, x, 1, m, 1, k, (m,), (0,) + sa, (0, x._a.strides[0], 0))


def _bmm_forward(a, b):
    """(batch, m, k) @ (batch, k, n), a batch of 1 broadcasting against the other's."""
    a, b = _aligned(a), _aligned(b)
    (ba, m, k), (bb, _, n) = a._a.shape, b._a.shape
    batch = builtins.max(ba, bb)
    sa = (0 if ba == 1 else a._a.strides[0],) + a._a.strides[1:]
    sb = (0 if bb == 1 else b._a.strides[0],) + b._a.strides[1:]
    return K.matmul(a, b, batch, m, n, k, (batch, m, n), sa, sb)


def _mm_forward(a, b):
    a, b = _aligned(a), _aligned(b)
    (m, k), (_, n) = a._a.shape, b._a.shape
    return K.matmul(a, b, 1, m, n, k, (m, n), (0,) + a._a.strides, (0,) + b._a.strides)


DOT = Op("DotBackward0", _dot_forward, lambda g, out, a, b: g * b, lambda g, out, a, b: g * a,
         needs=OTHER, jvp=BILINEAR_JVP)
MV = Op("MvBackward0", _mv_forward, lambda g, out, a, x: unsqueeze(g, 1) * x,
        lambda g, out, a, x: mv(t(a), g), needs=OTHER, jvp=BILINEAR_JVP)
MM = Op("MmBackward0", _mm_forward, lambda g, out, a, b: mm(g, t(b)), lambda g, out, a, b: mm(t(a), g),
        needs=OTHER, jvp=BILINEAR_JVP)
BMM = Op("BmmBackward0", _bmm_forward, lambda g, out, a, b: bmm(g, transpose(b, 1, 2)),
         lambda g, out, a, b: bmm(transpose(a, 1, 2), g), needs=OTHER, jvp=BILINEAR_JVP)


def dot(a, b):
    _products_check("dot", a, b, (1,), (1,))
    if a._a.shape != b._a.shape:
        raise RuntimeError(f"dot(): inconsistent tensor size, expected tensors of the same "
                           f"number of elements, but got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return apply(DOT, a, b)


def mv(a, x):
    _products_check("mv", a, x, (2,), (1,))
    if a._a.shape[1] != x._a.shape[0]:
        raise RuntimeError(f"mv(): size mismatch, got matrix of shape {tuple(a.shape)} and "
                           f"vector of shape {tuple(x.shape)}")
    return apply(MV, a, x)


def mm(a, b):
    _products_check("mm", a, b, (2,), (2,))
    if a._a.shape[1] != b._a.shape[0]:
        raise RuntimeError(f"mm(): mat1 and mat2 shapes cannot be multiplied "
                           f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return apply(MM, a, b)


def bmm(a, b):
    _products_check("bmm", a, b, (3,), (3,))
    (ba, _, k), (bb, k2, _) = a._a.shape, b._a.shape
    if k != k2 or (ba != bb and 1 not in (ba, bb)):
        raise RuntimeError(f"bmm(): shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied")
    return apply(BMM, a, b)


def matmul(a, b):
    """torch.matmul: dot, mv, mm, or a batched product with broadcast batch dimensions."""
    _products_check("matmul", a, b, None, None)
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError("matmul(): both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    if na == 1 and nb == 1:
        return dot(a, b)
    if na == 2 and nb == 1:
        return mv(a, b)
    if na == 2 and nb == 2:
        return mm(a, b)
    if na == 1 and nb == 2:
        return squeeze(mm(unsqueeze(a, 0), b), 0)
    # Batched: vectors become 1-row / 1-column matrices, batch dimensions broadcast and fold
    # into one, and the result is viewed back to torch.matmul's shape.
    a2 = a if na > 1 else unsqueeze(a, 0)
    b2 = b if nb > 1 else unsqueeze(b, 1)
    (m, k), (k2, n) = a2._a.shape[-2:], b2._a.shape[-2:]
    if k != k2:
        raise RuntimeError(f"matmul(): shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({m}x{k} and {k2}x{n})")
    try:
        batch = K.broadcast_shape("matmul", a2._a.shape[:-2], b2._a.shape[:-2])
    except RuntimeError as e:
        raise RuntimeError(f"matmul(): the batch dimensions of shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)} do not broadcast ({e})") from None
    out_shape = batch + ((m,) if na > 1 else ()) + ((n,) if nb > 1 else ())
    if len(batch) <= 1:
        a3 = a2 if a2.ndim == 3 else unsqueeze(a2, 0)
        b3 = b2 if b2.ndim == 3 else unsqueeze(b2, 0)
    else:
        n_batch = math.prod(batch)
        a3 = reshape(expand(a2, batch + (m, k)), (n_batch, m, k))
        b3 = reshape(expand(b2, batch + (k, n)), (n_batch, k, n))
    out = bmm(a3, b3)
    return apply(UNSAFE_VIEW, out, shape=out_shape, in_shape=out._a.shape)


# ---- joining ----------------------------------------------------------------------------------
def _join_forward(*xs, dim, sizes, new_axis):
    first = xs[0]._a.shape
    shape = list(first)
    if new_axis:
        shape.insert(dim, len(xs))
    else:
        shape[dim] = builtins.sum(sizes)
    out = empty_like_shape(tuple(shape), xs[0].dtype)
    start = 0
    for x, n in zip(xs, sizes):
        part = (slice(None),) * dim + ((start if new_axis else slice(start, start + n)), Ellipsis)
        K.copy_into(out._view(out._a[part]), x)
        start += n
    return out


def _join_backward(g, out, dim, sizes, new_axis):
    lead = (slice(None),) * dim
    if new_axis:
        return tuple(getitem(g, lead + (i,)) for i in range(len(sizes)))
    starts = itertools.accumulate((0,) + sizes[:-1])
    return tuple(getitem(g, lead + (slice(s, s + n),)) for s, n in zip(starts, sizes))


STACK = Op("StackBackward0", _join_forward, _join_backward, save_inputs=False, joint=True,
           jvp=LINEAR_JVP)
CAT = Op("CatBackward0", _join_forward, _join_backward, save_inputs=False, joint=True,
         jvp=LINEAR_JVP)


def _join(name, tensors, dim, new_axis):
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    dtype = _dtype.result_type(*tensors)
    tensors = tuple(as_dtype(x, dtype) for x in tensors)
    first = tensors[0]._a.shape
    if not new_axis:  # torch's legacy rule: a 1-d empty tensor joins any others, as nothing
        first = next((x._a.shape for x in tensors if x._a.shape != (0,)), first)
    ndim = len(first) + new_axis
    dim = normalize_dim(dim, ndim, name)
    if not new_axis:
        nothing = first[:dim] + (0,) + first[dim + 1:]
        tensors = tuple(reshape(x, nothing) if x._a.shape == (0,) else x for x in tensors)
    for x in tensors:
        shape = x._a.shape
        same = shape == first if new_axis else (
            len(shape) == len(first) and shape[:dim] + shape[dim + 1:] == first[:dim] + first[dim + 1:])
        if not same:
            raise RuntimeError(f"{name}(): expected all tensors to have compatible shapes, but got "
                               f"{[tuple(t.shape) for t in tensors]}")
    sizes = tuple(1 if new_axis else x._a.shape[dim] for x in tensors)
    return apply(STACK if new_axis else CAT, *tensors, dim=dim, sizes=sizes, new_axis=new_axis)


def stack(tensors, dim=0):
    return _join("stack", tensors, dim, True)


def cat(tensors, dim=0):
    return _join("cat", tensors, dim, False)


# ---- fused activations and losses -------------------------------------------------------------
# softmax, log_softmax and cross entropy run fused C kernels (csrc/nn.c) both ways; while a
# backward records its own graph (create_graph), their rules use differentiable ops instead.
# The kernels read g as the forward's dtype: an upstream gradient may come in another (a cast's
# rule passes its g through unchanged).
def _softmax_backward(g, out, dim):
    """out * (g - sum(g * out)) along dim. The Jacobian is symmetric, so this is the JVP too."""
    if differentiable_rules():
        return out * (g - sum(g * out, dim, True))
    return K.softmax_backward(C.FG_SOFTMAX, cast(g, out.dtype), out, dim)


def _log_softmax_backward(g, out, dim):
    if differentiable_rules():
        return g - exp(out) * sum(g, dim, True)
    return K.softmax_backward(C.FG_LOG_SOFTMAX, cast(g, out.dtype), out, dim)


SOFTMAX = Op("SoftmaxBackward0", lambda x, dim: K.softmax(C.FG_SOFTMAX, x, dim), _softmax_backward,
             save_inputs=False, save_output=True,
             jvp=lambda op, tangents, out, x, dim: _softmax_backward(tangents[0], out, dim))
LOG_SOFTMAX = Op("LogSoftmaxBackward0", lambda x, dim: K.softmax(C.FG_LOG_SOFTMAX, x, dim),
                 _log_softmax_backward, save_inputs=False, save_output=True,
                 jvp=lambda op, tangents, out, x, dim: tangents[0] - sum(exp(out) * tangents[0], dim, True))


def _softmax(op, name, x, dim, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if dtype is not None:
        x = cast(x, _dtype.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"{name}(): not implemented for dtype {x.dtype!r}")
    return apply(op, x, dim=normalize_dim(dim, x.ndim, name))


def softmax(x, dim, dtype=None):
    return _softmax(SOFTMAX, "softmax", x, dim, dtype)


def log_softmax(x, dim, dtype=None):
    return _softmax(LOG_SOFTMAX, "log_softmax", x, dim, dtype)


def _reduce_loss(loss, reduction, count):
    """The per-element losses as reduction ("mean", "sum" or "none") asks: the mean divides by
    count (an int or a 0-d tensor)."""
    if reduction == "none":
        return loss
    total = sum(loss)
    return total / count if reduction == "mean" else total


def _nll_forward(x, target, axis, reduction, ignore_index):
    loss, counted = K.cross_entropy(x, target, axis, ignore_index)
    return _reduce_loss(loss, reduction, counted)


def _nll_slope(x, target, axis, ignore_index):
    """From differentiable ops: softmax(x) - onehot(target), each position's loss's derivative
    along the class axis, and where the target counts (is not ignore_index)."""
    t = unsqueeze(target, axis)
    classes = K.arange(x._a.shape[axis], 0, 1, int64)
    classes = reshape(classes, (-1,) + (1,) * (x.ndim - axis - 1))
    return softmax(x, axis) - cast(eq(classes, t), x.dtype), ne(t, ignore_index)


def _nll_backward(g, out, x, target, axis, reduction, ignore_index):
    if not differentiable_rules():
        return K.cross_entropy_backward(cast(g, x.dtype), x, target, axis, ignore_index,
                                        reduction == "mean")
    slope, counts = _nll_slope(x, target, axis, ignore_index)
    if reduction == "none":
        g = unsqueeze(g, axis)
    elif reduction == "mean":
        g = g / sum(counts)
    # where, not a product: g may be inf (nothing counted); an ignored position gets slope * 0,
    # NaN where its softmax is, as torch and the kernel
    return where(counts, slope * g, slope * 0)


def _nll_jvp(op, tangents, out, x, target, axis, reduction, ignore_index):
    slope, counts = _nll_slope(x, target, axis, ignore_index)
    per_position = sum(where(counts, slope * tangents[0], 0.0), axis)
    return _reduce_loss(per_position, reduction, sum(counts))


# cross_entropy as one node: log-softmax and the negative log likelihood fused. torch names the
# node after the likelihood, NllLoss2DBackward0 for inputs of more than two dimensions.
NLL_LOSS = Op("NllLossBackward0", _nll_forward, _nll_backward, None, needs=((0, 1), ()),
              jvp=_nll_jvp)
NLL_LOSS_2D = Op("NllLoss2DBackward0", _nll_forward, _nll_backward, None, needs=((0, 1), ()),
                 jvp=_nll_jvp)


def _mse_forward(x, y, reduction):
    d = K.elementwise(C.FG_SUB, x.dtype, x.dtype, (x, y))
    return _reduce_loss(K.elementwise(C.FG_MUL, x.dtype, x.dtype, (d, d)), reduction, d._a.size)


def _mse_backward(g, out, x, y, reduction):
    d = x - y
    return d * (g * 2 / d._a.size if reduction == "mean" else g * 2)


def _mse_jvp(op, tangents, out, x, y, reduction):
    tx, ty = tangents
    dt = -ty if tx is None else tx if ty is None else tx - ty
    d = x - y
    return _reduce_loss(2 * d * dt, reduction, d._a.size)


MSE_LOSS = Op("MseLossBackward0", _mse_forward, _mse_backward,
              lambda g, out, x, y, reduction: -_mse_backward(g, out, x, y, reduction), jvp=_mse_jvp)
