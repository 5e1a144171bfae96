"""fastgrad.autograd: the graph engine's public names, as in torch.autograd."""
from ._autograd import Node, backward as _backward, enable_grad, no_grad, set_grad_enabled


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """torch.autograd.backward for one tensor or a sequence of them."""
    if not isinstance(tensors, (list, tuple)):
        tensors, grad_tensors = [tensors], [grad_tensors]
    grad_tensors = grad_tensors or [None] * len(tensors)
    for t, g in zip(tensors, grad_tensors):
        _backward(t, g, retain_graph if retain_graph is not None else len(tensors) > 1, create_graph)


__all__ = ["Node", "backward", "enable_grad", "no_grad", "set_grad_enabled"]
