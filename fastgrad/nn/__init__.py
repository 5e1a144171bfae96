"""fastgrad.nn: modules, parameters and losses, as torch.nn; fastgrad.nn.functional holds the
functions they call."""
from . import functional, init
from . import utils
from .containers import ModuleDict, ModuleList, ParameterList, Sequential
from .module import Module
from .modules import CrossEntropyLoss, Linear, MSELoss, ReLU, Sigmoid, Tanh
from .parameter import Parameter

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "ModuleDict", "ModuleList",
           "Parameter", "ParameterList", "ReLU", "Sequential", "Sigmoid", "Tanh", "functional",
           "init", "utils"]
