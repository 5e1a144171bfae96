"""Lazy modules as torch's: LazyLinear, LazyConv1d/2d and the lazy batch and instance norms
take their input size from the first call. Until then their parameters (and the norms' running
statistics) are UninitializedParameters (UninitializedBuffers); the first call, or a
load_state_dict, materializes them (drawing them then, in torch's order), and the module becomes
cls_to_become (a Linear, a ConvNd, a norm) at its first call, as torch's."""
import warnings

from .._creation import empty, tensor
from .. import _dtype
from .._tensor import Tensor
from .conv import Conv1d, Conv2d, reset_weight_and_bias
from .modules import Linear
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d,
                            InstanceNorm2d, InstanceNorm3d)
from .parameter import Parameter


class _Uninitialized:
    """A tensor whose shape is not known yet: materialize(shape) makes it a cls_to_become."""

    __slots__ = ()

    def materialize(self, shape, device=None, dtype=None):
        self.data = empty(tuple(shape), dtype=dtype or self.dtype, device=device)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def size(self, dim=None):
        return self.shape

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__  # else print() finds Parameter's __str__ first

    def __deepcopy__(self, memo):
        out = memo[id(self)] = type(self)(self.requires_grad, dtype=self.dtype)
        return out


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet: materialize(shape) makes it a Parameter."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(empty(0, dtype=dtype, device=device), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet: materialize(shape) makes it a Tensor."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        data = empty(0, dtype=dtype, device=device)
        super().__init__(data._a, data.dtype, data._version)
        self.requires_grad_(requires_grad)


class LazyModuleMixin:
    """Infers the parameters at the first call (a forward pre-hook), then becomes
    cls_to_become."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """As Module's, with the uninitialized tensors themselves (as torch saves them)."""
        out = super().state_dict(*args, destination=destination, prefix=prefix,
                                 keep_vars=keep_vars)
        for name, t in self._tensors():
            if isinstance(t, _Uninitialized):
                out[prefix + name] = t
        return out

    def _tensors(self):
        return list(self._parameters.items()) + list(self._buffers.items())

    def has_uninitialized_params(self):
        return any(isinstance(t, _Uninitialized) for _, t in self._tensors())

    def _lazy_load_hook(self, state_dict, prefix):
        """Before a load: each uninitialized tensor that state_dict has takes its shape (torch's
        _lazy_load_hook); the module becomes cls_to_become at its next call."""
        for name, t in self._tensors():
            key = prefix + name
            if isinstance(t, _Uninitialized) and key in state_dict and \
                    not isinstance(state_dict[key], _Uninitialized):
                t.materialize(state_dict[key].shape)

    def initialize_parameters(self, *args):
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    @staticmethod
    def _infer_parameters(module, args):
        module.initialize_parameters(*args)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


def _uninitialized(module, bias, dtype, device):
    module.weight = UninitializedParameter(dtype=dtype, device=device)
    if bias:
        module.bias = UninitializedParameter(dtype=dtype, device=device)


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is the last size of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        with warnings.catch_warnings():  # Linear inits its empty weight, a no-op: torch's skips it
            warnings.simplefilter("ignore")
            super().__init__(0, 0, False)
        self.out_features = out_features
        _uninitialized(self, bias, dtype, device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            reset_weight_and_bias(self.weight, self.bias)

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self.out_channels = out_channels
        _uninitialized(self, bias, dtype, device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args):
        if not self.has_uninitialized_params():
            return
        dims = self._dims + 1
        if not isinstance(input, Tensor) or input.dim() not in (dims, dims + 1):
            raise RuntimeError(f"Expected {dims}D (unbatched) or {dims + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: "
                               f"{getattr(input, 'shape', None)}")
        self.in_channels = input.shape[1] if input.dim() == dims + 1 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        self.weight.materialize((self.out_channels, self.in_channels // self.groups,
                                 *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """A Conv1d whose in_channels is taken from its first input."""
    cls_to_become = Conv1d


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """A Conv2d whose in_channels is taken from its first input."""
    cls_to_become = Conv2d


class _LazyNormBase(LazyModuleMixin):
    """A norm layer whose num_features is the size of its first input's axis 1 (torch's
    _LazyNormBase): the norm is made with affine and running statistics off, then given
    uninitialized ones."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=_dtype.int64)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            for _, t in self._tensors():
                if isinstance(t, _Uninitialized):
                    t.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base):
    """The lazy form of the norm class base, which it becomes once initialized."""
    return type("Lazy" + base.__name__, (_LazyNormBase, base),
                {"cls_to_become": base, "__module__": __name__,
                 "__doc__": f"A {base.__name__} whose num_features is taken from its first input."})


LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyInstanceNorm1d, LazyInstanceNorm2d, \
    LazyInstanceNorm3d = map(_lazy_norm, (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d,
                                          InstanceNorm2d, InstanceNorm3d))

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear",
           "LazyModuleMixin", "UninitializedBuffer", "UninitializedParameter"]
