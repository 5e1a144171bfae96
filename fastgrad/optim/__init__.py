"""fastgrad.optim: optimizers and learning-rate schedules, as torch.optim."""
from . import lr_scheduler
from .adadelta import ASGD, Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer, zero_grads
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "SGD", "lr_scheduler", "zero_grads"]
