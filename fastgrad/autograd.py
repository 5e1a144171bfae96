"""fastgrad.autograd: the graph engine's public names, as in torch.autograd."""
from ._autograd import Node, backward, enable_grad, no_grad, set_grad_enabled

__all__ = ["Node", "backward", "enable_grad", "no_grad", "set_grad_enabled"]
