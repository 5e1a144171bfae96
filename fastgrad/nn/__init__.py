"""fastgrad.nn: modules, parameters and losses, as torch.nn; fastgrad.nn.functional holds the
functions they call. Each family of layers lives in its own module, as in torch.nn.modules."""
from . import functional, init, utils
from . import parallel  # DistributedDataParallel (fastgrad.distributed)
from .activation import *  # noqa: F401,F403  (ReLU, GELU, ...: __all__ below)
from .activation import __all__ as _activations
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d
from .lazy import LazyConv1d, LazyConv2d, LazyLinear, UninitializedParameter
from .loss import *  # noqa: F401,F403  (MSELoss, CrossEntropyLoss, ...: __all__ below)
from .loss import __all__ as _losses
from .misc import Dropout, Dropout1d, Dropout2d, Flatten, Identity, Unflatten
from .module import Module
from .modules import Linear
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .parameter import Parameter
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d,
                      AvgPool2d, MaxPool1d, MaxPool2d)
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding
from . import padding as _padding  # the padding layers
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyInstanceNorm1d,
                   LazyInstanceNorm2d, LazyInstanceNorm3d, UninitializedBuffer)
from .misc import AlphaDropout, Dropout3d, FeatureAlphaDropout
from .normalization import BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .padding import *  # noqa: F401,F403
from .pooling import LPPool1d, LPPool2d, MaxUnpool1d, MaxUnpool2d

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d",
           "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d", "Dropout", "Dropout1d",
           "Dropout2d", "Embedding", "Flatten", "GRU", "GRUCell", "GroupNorm", "Identity", "LSTM",
           "LSTMCell", "LayerNorm", "LazyConv1d", "LazyConv2d", "LazyLinear", "Linear",
           "MaxPool1d", "MaxPool2d", "Module", "ModuleDict", "ModuleList", "Parameter",
           "ParameterDict", "ParameterList", "RNN", "RNNBase", "RNNCell", "RNNCellBase",
           "Sequential",
           "Unflatten", "UninitializedParameter", "functional", "init", "utils", *_activations,
           *_losses,
           "AlphaDropout", "BatchNorm3d", "Dropout3d", "FeatureAlphaDropout", "InstanceNorm1d",
           "InstanceNorm2d", "InstanceNorm3d", "LPPool1d", "LPPool2d", "LazyBatchNorm1d",
           "MaxUnpool1d", "MaxUnpool2d",
           "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d", "UninitializedBuffer", *_padding.__all__]
