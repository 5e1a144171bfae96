"""fastgrad.autograd: the graph engine's public names, as in torch.autograd."""
from . import _forward_ad as forward_ad
from ._autograd import Node, backward, enable_grad, grad, no_grad, set_grad_enabled
from ._function import Function, FunctionCtx
from ._gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["Function", "FunctionCtx", "GradcheckError", "Node", "backward", "enable_grad",
           "forward_ad", "grad", "gradcheck", "gradgradcheck", "no_grad", "set_grad_enabled"]
