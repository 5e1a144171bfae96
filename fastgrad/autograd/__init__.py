"""fastgrad.autograd: the graph engine's public names, as in torch.autograd (a package, so that
`import fastgrad.autograd.forward_ad as fwAD` works as torch's does)."""
from .._autograd import Node, backward, enable_grad, grad, no_grad, set_grad_enabled
from .._function import Function, FunctionCtx
from .._gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import forward_ad

__all__ = ["Function", "FunctionCtx", "GradcheckError", "Node", "backward", "enable_grad",
           "forward_ad", "grad", "gradcheck", "gradgradcheck", "no_grad", "set_grad_enabled"]
