"""fastgrad.nn: modules, parameters and losses, as torch.nn; fastgrad.nn.functional holds the
functions they call."""
from . import functional, init
from . import utils
from .containers import ModuleDict, ModuleList, ParameterList, Sequential
from .module import Module
from .modules import CrossEntropyLoss, Linear, MSELoss, ReLU, Sigmoid, Tanh
from .parameter import Parameter
from .conv import Conv1d, Conv2d
from .lazy import LazyConv1d, LazyConv2d, LazyLinear, UninitializedParameter

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "ModuleDict", "ModuleList",
           "Parameter", "ParameterList", "ReLU", "Sequential", "Sigmoid", "Tanh", "functional",
           "init", "utils"]
__all__ += ["Conv1d", "Conv2d", "LazyConv1d", "LazyConv2d", "LazyLinear", "UninitializedParameter"]
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "ModuleDict", "ModuleList",
           "Parameter", "ParameterList", "ReLU", "Sequential", "Sigmoid", "Tanh", "functional",
           "init", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell",
           "RNNCellBase"]
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm  # noqa: E402
from .sparse import Embedding  # noqa: E402
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d,  # pool
                      AvgPool2d, MaxPool1d, MaxPool2d)
from .misc import Dropout, Dropout1d, Dropout2d, Flatten, Identity, Unflatten  # pool

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "ModuleDict", "ModuleList",
           "Parameter", "ParameterList", "ReLU", "Sequential", "Sigmoid", "Tanh", "functional",
           "init"]
__all__ += ["BatchNorm1d", "BatchNorm2d", "Embedding", "GroupNorm", "LayerNorm"]
__all__ += ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d",
            "Dropout", "Dropout1d", "Dropout2d", "Flatten", "Identity", "MaxPool1d", "MaxPool2d",
            "Unflatten"]
