"""fastgrad.nn: modules, parameters and losses, as torch.nn; fastgrad.nn.functional holds the
functions they call."""
from . import functional, init
from .modules import (CrossEntropyLoss, Linear, Module, MSELoss, Parameter, ReLU, Sequential,
                      Sigmoid, Tanh)

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "Parameter", "ReLU", "Sequential",
           "Sigmoid", "Tanh", "functional", "init"]
