"""fastgrad.autograd: the graph engine's public names, as in torch.autograd."""
from . import _forward_ad as forward_ad
from ._autograd import Node, backward, enable_grad, grad, no_grad, set_grad_enabled

__all__ = ["Node", "backward", "enable_grad", "forward_ad", "grad", "no_grad", "set_grad_enabled"]
