"""The Distribution base (shapes, argument and value validation in torch's words) and the few
constraints the distributions here use."""
import numbers

from .. import _dtype
from .._creation import tensor
from .._shape import Size, broadcast_shape
from .._tensor import Tensor
from ..ops import eq, expand, floor, ge, gt, le, lt, min, sum  # noqa: A004


class Constraint:
    """A set of allowed values, repr as torch's. holds(value): whether every value is in it."""

    def __init__(self, text, check, event_dim=0):
        self.text, self.check, self.event_dim = text, check, event_dim

    def holds(self, value):
        inside = self.check(value)  # 1.0 where a value is allowed, else 0.0
        return inside.numel() == 0 or min(inside).item() == 1

    def __repr__(self):
        return self.text


def _all_of(*conditions):
    """1.0 where every bool condition holds."""
    out = conditions[0].float()
    for c in conditions[1:]:
        out = out * c.float()
    return out


real = Constraint("Real()", lambda x: eq(x, x).float())
positive = Constraint("GreaterThan(lower_bound=0.0)", lambda x: gt(x, 0.0).float())
unit_interval = Constraint("Interval(lower_bound=0.0, upper_bound=1.0)",
                           lambda x: _all_of(ge(x, 0.0), le(x, 1.0)))
boolean = Constraint("Boolean()", lambda x: _all_of(eq(x * (1 - x), 0)))
simplex = Constraint("Simplex()", lambda x: _all_of(ge(x, 0), lt((sum(x, -1, keepdim=True) - 1)
                                                                  .abs(), 1e-6)), event_dim=1)
real_vector = Constraint("IndependentConstraint(Real(), 1)", lambda x: eq(x, x).float(),
                         event_dim=1)


def integer_interval(upper):
    return Constraint(f"IntegerInterval(lower_bound=0, upper_bound={upper})",
                      lambda x: _all_of(eq(floor(x), x), ge(x, 0), le(x, upper)))


def less_than(upper):
    return Constraint(f"LessThan(upper_bound={upper})", lambda x: lt(x, upper).float())


def greater_than(lower):
    return Constraint(f"GreaterThan(lower_bound={lower})", lambda x: gt(x, lower).float())


def interval(low, high):
    return Constraint(f"Interval(lower_bound={low}, upper_bound={high})",
                      lambda x: _all_of(ge(x, low), lt(x, high)))


def broadcast_all(*values):
    """Numbers and tensors as tensors of one broadcast shape (numbers in the default dtype, or
    in the tensors' dtype), as torch.distributions.utils.broadcast_all."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    dtype = tensors[0].dtype if tensors else _dtype.default_float
    values = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    shape = ()
    for v in values:
        shape = broadcast_shape("broadcast_all", shape, v._a.shape)
    return [expand(v, shape) for v in values]


class Distribution:
    arg_constraints = {}
    has_rsample = False
    _validate_default = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = self._validate_default if validate_args is None else validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue  # a lazily derived parameter (probs of logits and so on)
                value = self.__dict__[name]
                if not constraint.holds(value):
                    raise ValueError(
                        f"Expected parameter {name} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    @staticmethod
    def set_default_validate_args(value):
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _extended_shape(self, sample_shape=()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        from .._autograd import no_grad
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError  # as torch's (no message): not reparameterizable

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        n = len(self._event_shape)
        if tuple(value.shape[len(value.shape) - n:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.shape} vs {self._event_shape}.")
        expected = Size(tuple(self._batch_shape) + tuple(self._event_shape))
        for i, j in zip(reversed(value.shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{value.shape} vs {expected}.")
        if not self.support.holds(value):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{tuple(value.shape)}) to be within the support "
                             f"({self.support!r}) of the distribution {self!r}, but found "
                             f"invalid values:\n{value}")

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{k}: {self.__dict__[k] if self.__dict__[k].numel() == 1 else self.__dict__[k].size()}"
                         for k in names)
        return f"{type(self).__name__}({args})"
