"""Lazy modules as torch's: LazyLinear, LazyConv1d and LazyConv2d take their input size from
the first call. Until then their parameters are UninitializedParameters; the first call
materializes them (drawing them then, in torch's order), and the module becomes a Linear or a
ConvNd (torch's cls_to_become)."""
import warnings

from .._creation import empty
from .._tensor import Tensor
from .conv import Conv1d, Conv2d, reset_weight_and_bias
from .modules import Linear
from .parameter import Parameter


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet: materialize(shape) makes it a Parameter."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(empty(0, dtype=dtype, device=device), requires_grad)

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
        return "<UninitializedParameter>"

    def __deepcopy__(self, memo):
        out = memo[id(self)] = UninitializedParameter(self.requires_grad, dtype=self.dtype)
        return out


class LazyModuleMixin:
    """Infers the parameters at the first call (a forward pre-hook), then becomes
    cls_to_become."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """As Module's, with the uninitialized parameters themselves (as torch saves them)."""
        out = super().state_dict(*args, destination=destination, prefix=prefix,
                                 keep_vars=keep_vars)
        for name, p in self._parameters.items():
            if isinstance(p, UninitializedParameter):
                out[prefix + name] = p
        return out

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter)
                   for p in list(self._parameters.values()) + list(self._buffers.values()))

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


__all__ = ["LazyConv1d", "LazyConv2d", "LazyLinear", "LazyModuleMixin", "UninitializedParameter"]
