"""fastgrad.nn: modules, parameters and losses, as torch.nn; fastgrad.nn.functional holds the
functions they call."""
from . import functional, init
from .containers import ModuleDict, ModuleList, ParameterList, Sequential
from .module import Module
from .activation import *  # noqa: F401,F403  (ReLU, GELU, ...: __all__ below)
from .activation import __all__ as _activations
from .loss import *  # noqa: F401,F403  (MSELoss, CrossEntropyLoss, ...: __all__ below)
from .loss import __all__ as _losses
from .modules import Linear
from .parameter import Parameter

__all__ = ["Linear", "Module", "ModuleDict", "ModuleList",
           "Parameter", "ParameterList", "Sequential", "functional", "init", *_activations,
           *_losses]
