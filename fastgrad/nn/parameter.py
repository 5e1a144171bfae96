"""nn.Parameter: the tensor type a Module registers as trainable."""
from .. import ops
from .._creation import empty
from .._tensor import Tensor


class Parameter(Tensor):
    """A tensor that a Module registers as a parameter: a leaf sharing `data`'s memory that
    requires grad (unless requires_grad=False)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        super().__init__(data._a, data.dtype, data._version)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__  # print(p) says so too, as torch

    def __deepcopy__(self, memo):
        out = memo[id(self)] = Parameter(ops.clone(self.detach()), self.requires_grad)
        return out
