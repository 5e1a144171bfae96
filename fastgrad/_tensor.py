"""The Tensor: a numpy array that owns (or views) the memory, a cached C pointer to it, and the
autograd state. Every method that computes delegates to fastgrad.ops (imported last, as _ops),
where the op tables live."""
import numpy as np

from . import _device, _dtype, _recording, _shape
from ._fastgrad_c import ffi
from ._shape import Size


_DTYPE = _dtype.dtype
_BYTES = ffi.typeof("char[]")  # resolved once: a type named by a string is looked up per call


class Tensor:
    __slots__ = ("_a", "_p", "dtype", "_requires_grad", "_grad", "_node", "_version", "_base",
                 "_tangent", "_hooks", "__weakref__")  # _hooks: a leaf's, set by register_hook
    __array_priority__ = 1000  # numpy defers `ndarray op Tensor` to our reflected operators

    def __init__(self, array=None, dtype=None, version=None, base=None, *sizes):
        if dtype.__class__ is not _DTYPE:  # the legacy torch.Tensor(data) or (*sizes)
            array, dtype = _legacy.tensor_init_arguments((array, dtype, version, base) + sizes)
            version = base = None
        self._a = array            # numpy ndarray: owns or views the memory; never computes
        self._p = None             # the C pointer to its first element, made once on first use
        self.dtype = dtype
        self._requires_grad = False  # .requires_grad: checked when assigned
        self._grad = None          # .grad: checked when assigned
        self._node = None          # the graph node that made this tensor (its grad_fn)
        self._version = version if version is not None else [0]  # shared by all views
        self._base = base          # the tensor whose memory this view shows (None if not a view)
        self._tangent = None       # forward mode: (level, tangent) inside a dual_level

    # ---- memory ----------------------------------------------------------------------------
    @property
    def _ptr(self):
        p = self._p
        if p is None:
            a = self._a
            if a.flags.c_contiguous:
                p = ffi.from_buffer(_BYTES, a, require_writable=False)
            else:
                p = ffi.cast("char *", a.__array_interface__["data"][0])
            self._p = p
        return p

    def _view(self, array):
        """A view: a tensor over a numpy view of this one's memory. It shares the version
        counter, and in-place changes made through it are recorded on its base."""
        return Tensor(array, self.dtype, self._version, self if self._base is None else self._base)

    # ---- metadata --------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._a.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._a.shape)
        return self._a.shape[_shape.normalize_dim(dim, self.ndim, "size")]

    @property
    def ndim(self):
        return self._a.ndim

    def dim(self):
        return self._a.ndim

    def numel(self):
        return self._a.size

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self.dtype.itemsize for s in self._a.strides)
        return strides if dim is None else strides[_shape.normalize_dim(dim, self.ndim, "stride")]

    def is_contiguous(self):
        return self._a.flags.c_contiguous

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    def is_floating_point(self):
        return self.dtype.is_floating_point

    @property
    def device(self):
        return _device.cpu

    is_cuda = False
    is_cpu = True

    def get_device(self):
        return -1  # torch's index for the CPU

    @property
    def data(self):
        """The same memory outside autograd, with a version counter of its own, as torch: an
        in-place change through .data (p.data -= lr * p.grad) is not seen by the graph."""
        alias = Tensor(self._a, self.dtype)
        alias._p = self._p
        return alias

    @data.setter
    def data(self, value):
        """p.data = t: p shows t's memory from now on (any shape; a floating dtype if p
        requires grad), keeping its own autograd state."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and not value.dtype.is_floating_point:
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._a, self._p, self.dtype = value._a, value._p, value.dtype

    @property
    def T(self):
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return _ops.transpose(self, -2, -1)

    # ---- autograd --------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        """As torch: only a leaf's flag may be set, to a bool, True only for floating dtypes."""
        if self._node is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        _autograd.set_requires_grad(self, flag)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        """Refuses what backward could not accumulate into, as torch: a .grad is a tensor of
        this one's shape and dtype, or None."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._a.shape != self._a.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value._a.shape)}' to a tensor of size "
                                   f"'{list(self._a.shape)}'. Please ensure that the gradient "
                                   f"and the tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype {value.dtype} to "
                                   f"a tensor with dtype {self.dtype}. Please ensure that the "
                                   f"gradient and the tensor have the same dtype")
        self._grad = value
        if _recording.recorder is not None:  # a replay must find it there
            _recording.recorder.assigned_grad(self)

    def requires_grad_(self, requires_grad=True):
        _autograd.set_requires_grad(self, requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        _autograd.backward(self, gradient, retain_graph, create_graph)

    def detach(self):
        """The same memory and version counter, outside any graph."""
        alias = Tensor(self._a, self.dtype, self._version)
        alias._p = self._p
        return alias

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def register_hook(self, hook):
        return _autograd.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        return _autograd.register_post_accumulate_grad_hook(self, hook)

    def retain_grad(self):
        _autograd.retain_grad(self)

    @property
    def retains_grad(self):
        return self._node is not None and self._node.retained is not None and \
            self._node.retained() is self

    # ---- conversion ------------------------------------------------------------------------
    def item(self):
        _recording.read("item()")
        if self._a.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._a.size} elements cannot be converted to Scalar")
        return self._a.item()

    def tolist(self):
        _recording.read("tolist()")
        return self._a.tolist()

    def numpy(self, force=False):
        _recording.read("numpy()")
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._a

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The DLPack capsule of this tensor's memory (numpy's export), for np.from_dlpack,
        torch.from_dlpack and fastgrad.from_dlpack: they share the memory."""
        _recording.read("__dlpack__()")
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {k: v for k, v in (("max_version", max_version), ("dl_device", dl_device),
                                    ("copy", copy)) if v is not None}
        return self._a.__dlpack__(stream=stream, **kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()  # (kDLCPU, 0)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None and np.dtype(dtype) != a.dtype:
            raise TypeError("np.asarray(tensor, dtype=...) would convert in numpy; "
                            "convert with tensor.to(dtype) first")
        return _ops.clone(self)._a if copy else a

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._a.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        _recording.read("bool()")
        if self._a.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'more than one value' if self._a.size else 'no values'} is ambiguous")
        return bool(self._a.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._a.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._a.shape[0]))

    def __format__(self, format_spec):
        """f"{loss:.4f}" formats a 0-d tensor's number, as torch; other tensors take no spec."""
        if self._a.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __repr__(self):
        _recording.read("repr()")
        return _format.tensor_repr(self)

    def __str__(self):
        _recording.read("str()")
        return _format.tensor_repr(self)

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        return (_creation.tensor, (_ops.clone(self.detach())._a,),
                {"requires_grad": self.requires_grad})

    def __setstate__(self, state):
        self.requires_grad = state["requires_grad"]

    def __deepcopy__(self, memo):
        out = _ops.clone(self.detach())
        out.requires_grad = self.requires_grad
        memo[id(self)] = out
        return out

    # ---- dtype and device conversion ---------------------------------------------------------
    def to(self, *args, **kwargs):
        """to(dtype), to(device, dtype), to(other): this tensor in that dtype on the CPU; itself
        when nothing changes, unless copy=True."""
        _, dtype, copy = to_arguments(args, kwargs)
        out = self if dtype is None else _ops.cast(self, dtype)
        return _ops.clone(out) if copy and out is self else out

    def type(self, dtype=None, non_blocking=False):
        """The legacy type name ('torch.FloatTensor'), or this tensor converted to a dtype, a
        legacy type (torch.LongTensor) or its name."""
        if dtype is None:
            return f"torch.{self.dtype._torch_name}Tensor"
        return self.to(_dtype.from_type(dtype))

    def type_as(self, other):
        """This tensor in other's dtype (itself when it already is)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return self.to(other.dtype)

    def float(self): return _ops.cast(self, _dtype.float32)
    def double(self): return _ops.cast(self, _dtype.float64)
    def half(self): return _ops.cast(self, _dtype.float16)
    def long(self): return _ops.cast(self, _dtype.int64)
    def int(self): return _ops.cast(self, _dtype.int32)
    def short(self): return _ops.cast(self, _dtype.int16)
    def char(self): return _ops.cast(self, _dtype.int8)
    def byte(self): return _ops.cast(self, _dtype.uint8)
    def bool(self): return _ops.cast(self, _dtype.bool_)

    def is_signed(self):
        return self.dtype.is_signed

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        _device.check_cuda(device)


    def contiguous(self):
        return self if self._a.flags.c_contiguous else _ops.clone(self)

    # ---- shape ops -------------------------------------------------------------------------
    def reshape(self, *shape):
        return _ops.reshape(self, _shape.shape_arg(shape))

    def view(self, *shape):
        return _ops.view(self, _shape.shape_arg(shape))

    def view_as(self, other):
        return _ops.view(self, other.shape)

    def reshape_as(self, other):
        return _ops.reshape(self, other.shape)

    def expand(self, *shape):
        return _ops.expand(self, _shape.shape_arg(shape))

    def expand_as(self, other):
        return _ops.expand(self, other.shape)



    def permute(self, *dims):
        return _ops.permute(self, _shape.shape_arg(dims))

    def tile(self, *dims):
        return _ops.tile(self, dims[0] if len(dims) == 1 else dims)

    def split(self, split_size, dim=0):  # torch's method names its argument split_size
        return _ops.split(self, split_size, dim)




    def __getitem__(self, key):
        return _ops.getitem(self, key)

    def __setitem__(self, key, value):
        _ops.setitem(self, key, value)






    # ---- arithmetic ------------------------------------------------------------------------
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __pow__(self, other): return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __eq__(self, other): return _ops.eq(self, other)
    def __ne__(self, other): return _ops.ne(self, other)
    def __lt__(self, other): return _ops.lt(self, other)
    def __le__(self, other): return _ops.le(self, other)
    def __gt__(self, other): return _ops.gt(self, other)
    def __ge__(self, other): return _ops.ge(self, other)
    def __iadd__(self, other): return _ops.add_(self, other)
    def __isub__(self, other): return _ops.sub_(self, other)
    def __imul__(self, other): return _ops.mul_(self, other)
    def __itruediv__(self, other): return _ops.div_(self, other)
    def __floordiv__(self, other): return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops.floor_divide(other, self)
    def __ifloordiv__(self, other): return _ops.floor_divide_(self, other)
    def __mod__(self, other): return _ops.remainder(self, other)
    def __rmod__(self, other): return _ops.remainder(other, self)
    def __imod__(self, other): return _ops.remainder_(self, other)
    def __and__(self, other): return _ops.bitwise_and(self, other)
    def __rand__(self, other): return _ops.bitwise_and(other, self)
    def __iand__(self, other): return _ops.bitwise_and_(self, other)
    def __or__(self, other): return _ops.bitwise_or(self, other)
    def __ror__(self, other): return _ops.bitwise_or(other, self)
    def __ior__(self, other): return _ops.bitwise_or_(self, other)
    def __xor__(self, other): return _ops.bitwise_xor(self, other)
    def __rxor__(self, other): return _ops.bitwise_xor(other, self)
    def __ixor__(self, other): return _ops.bitwise_xor_(self, other)
    def __lshift__(self, other): return _ops.bitwise_left_shift(self, other)
    def __rlshift__(self, other): return _ops.bitwise_left_shift(other, self)
    def __ilshift__(self, other): return _ops.bitwise_left_shift_(self, other)
    def __rshift__(self, other): return _ops.bitwise_right_shift(self, other)
    def __rrshift__(self, other): return _ops.bitwise_right_shift(other, self)
    def __irshift__(self, other): return _ops.bitwise_right_shift_(self, other)
    def __invert__(self): return _ops.invert(self)

    def add(self, other, *, alpha=1): return _ops.add(self, _scaled(other, alpha))
    def sub(self, other, *, alpha=1): return _ops.sub(self, _scaled(other, alpha))
    def dot(self, other): return _ops.dot(self, other)
    def mv(self, other): return _ops.mv(self, other)
    def mm(self, other): return _ops.mm(self, other)
    def matmul(self, other): return _ops.matmul(self, other)

    def round(self, decimals=0): return _ops.round(self, decimals=decimals)
    def where(self, condition, other): return _ops.where(condition, self, other)


    def flip(self, *dims):
        return _ops.flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int)
                         else dims)

    # ---- in place --------------------------------------------------------------------------
    def add_(self, other, *, alpha=1): return _ops.add_(self, _scaled(other, alpha))
    def sub_(self, other, *, alpha=1): return _ops.sub_(self, _scaled(other, alpha))
    def zero_(self): return _ops.fill_(self, 0)

    # self + value * t1 * t2 and self + value * t1 / t2, multiplied in torch's order
    def addcmul_(self, t1, t2, *, value=1): return _ops.add_(self, _ops.mul(_scaled(t1, value), t2))
    def addcdiv_(self, t1, t2, *, value=1): return _ops.add_(self, _ops.div(_scaled(t1, value), t2))

    # ---- reductions ------------------------------------------------------------------------









def _scaled(other, alpha):
    """alpha * other, for the `alpha=` and `value=` arguments of add, sub, addcmul_, ..."""
    if alpha == 1:
        return other
    return _ops.mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def empty_like_shape(shape, dtype):
    """A new contiguous tensor of `shape` and `dtype`, its memory uninitialized."""
    try:
        t = Tensor(np.empty(shape, dtype.np), dtype)
    except (ValueError, MemoryError) as e:  # numpy's words, with the shape said our way
        kind = MemoryError if isinstance(e, MemoryError) else ValueError
        raise kind(f"cannot make a tensor of shape {tuple(shape)} and dtype {dtype!r}: {e}") from None
    t._p = ffi.from_buffer(_BYTES, t._a)
    if _recording.recorder is not None:
        _recording.recorder.allocated(t._a)
    return t


from . import _autograd, _creation, _format, _legacy  # noqa: E402  (these import Tensor)
from ._conversion import to_arguments  # noqa: E402
from . import ops as _ops  # noqa: E402  (the method table: every op imports Tensor)
for _name in _ops.TENSOR_METHODS:  # x.exp() is exp(x): one function serves both spellings
    setattr(Tensor, _name, getattr(_ops, _name))
from . import _random  # noqa: E402  (the draws: normal_, uniform_, ..., multinomial)
for _name, _method in _random.TENSOR_METHODS.items():
    setattr(Tensor, _name, _method)
