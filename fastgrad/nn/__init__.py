"""fastgrad.nn: modules, parameters and losses, as torch.nn; fastgrad.nn.functional holds the
functions they call."""
from . import functional, init
from .containers import ModuleDict, ModuleList, ParameterList, Sequential
from .module import Module
from .modules import CrossEntropyLoss, Linear, MSELoss, ReLU, Sigmoid, Tanh
from .parameter import Parameter
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d,  # pool
                      AvgPool2d, MaxPool1d, MaxPool2d)
from .misc import Dropout, Dropout1d, Dropout2d, Flatten, Identity, Unflatten  # pool

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "ModuleDict", "ModuleList",
           "Parameter", "ParameterList", "ReLU", "Sequential", "Sigmoid", "Tanh", "functional",
           "init"]
__all__ += ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d",
            "Dropout", "Dropout1d", "Dropout2d", "Flatten", "Identity", "MaxPool1d", "MaxPool2d",
            "Unflatten"]
