"""Parameters as one flat vector and back, as torch.nn.utils.convert_parameters."""
from ..._tensor import Tensor
from ...ops import cat
from ...optim.optimizer import typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated (a new tensor, in the autograd graph)."""
    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Each parameter's .data becomes its slice of `vec` (a view, as torch's)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    at = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[at:at + n].view_as(p).data
        at += n
