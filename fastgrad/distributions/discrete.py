"""Bernoulli, Categorical and Multinomial, with torch's formulas; samples through torch's
bernoulli and multinomial draws."""
from .._autograd import no_grad
from .._creation import arange
from .._random import bernoulli, multinomial
from .._shape import Size, broadcast_shape
from ..ops import (clamp, gather, le, log, log1p, log_softmax, relu, sigmoid, softmax, sum,
                   unsqueeze)
from ..ops._core import full, zeros
from .distribution import (Constraint, Distribution, boolean, broadcast_all, integer_interval,
                           real, real_vector, simplex, unit_interval)

_EPS = {"float32": 1.1920928955078125e-07, "float64": 2.220446049250313e-16}
_MIN = {"float32": -3.4028234663852886e38, "float64": -1.7976931348623157e308}


def _one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _clamp_probs(probs):
    eps = _EPS[probs.dtype.name]
    return clamp(probs, eps, 1 - eps)


class Bernoulli(Distribution):
    arg_constraints = {"probs": unit_interval, "logits": real}
    support = boolean

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        param = self.probs if probs is not None else self.logits
        super().__init__(param.shape, validate_args=validate_args)

    def __getattr__(self, name):  # the parameter not given, derived when first read
        if name == "probs":
            self.probs = sigmoid(self.logits)
            return self.probs
        if name == "logits":
            p = _clamp_probs(self.__dict__["probs"])
            self.logits = log(p) - log1p(-p)
            return self.logits
        raise AttributeError(name)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with no_grad():
            return bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)


def _bce_with_logits(x, z):
    """max(x, 0) - x z + log(1 + exp(-|x|)), elementwise (torch's binary_cross_entropy_with_
    logits, reduction="none")."""
    return relu(x) - x * z + log1p((-x.abs()).exp())


class Categorical(Distribution):
    arg_constraints = {"probs": simplex, "logits": real_vector}

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        param = probs if probs is not None else logits
        if param.dim() < 1:
            raise ValueError(f"`{'probs' if probs is not None else 'logits'}` parameter must be "
                             f"at least one-dimensional.")
        if probs is not None:
            self.probs = probs / sum(probs, -1, keepdim=True)
        else:
            self.logits = log_softmax(logits, -1)
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    def __getattr__(self, name):
        if name == "probs":
            self.probs = softmax(self.logits, -1)
            return self.probs
        if name == "logits":
            self.logits = log(_clamp_probs(self.__dict__["probs"]))
            return self.logits
        raise AttributeError(name)

    @property
    def support(self):
        return integer_interval(self._num_events - 1)

    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def mean(self):
        return full(self._extended_shape(), self.probs.dtype, float("nan"))

    @property
    def variance(self):
        return full(self._extended_shape(), self.probs.dtype, float("nan"))

    def sample(self, sample_shape=()):
        n = 1
        for s in sample_shape:
            n *= s
        with no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            samples_2d = multinomial(probs_2d, n, True).t()
            return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = unsqueeze(value.long(), -1)
        shape = Size(broadcast_shape("broadcast_tensors", value.shape, self.logits.shape))
        value = value.expand(shape)[..., :1]
        return gather(self.logits.expand(shape), -1, value).squeeze(-1)

    def entropy(self):
        logits = clamp(self.logits, min=_MIN[self.logits.dtype.name])
        return -sum(logits * self.probs, -1)


class Multinomial(Distribution):
    arg_constraints = {"probs": simplex, "logits": real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)

    @property
    def support(self):
        return Constraint("Multinomial()",
                          lambda x: (sum(x, -1) <= self.total_count).float() *
                          (x >= 0).float().min(-1)[0], event_dim=1)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def entropy(self):
        """torch's: n H(categorical) - log n! plus, over each category's binomial count k in
        1..n, P(k) log k!."""
        n = self.total_count
        p = _clamp_probs(self.probs)
        logits = log(p) - log1p(-p)  # each category's binomial logits
        k = arange(1, n + 1, dtype=p.dtype).reshape((n,) + (1,) * p.dim())
        log_n = _log_factorial(full((), p.dtype, n))
        normalize = n * relu(logits) + n * log1p((-logits.abs()).exp()) - log_n
        log_pk = k * logits - _log_factorial(k) - _log_factorial(n - k) - normalize
        term2 = sum(sum(log_pk.exp() * _log_factorial(k), 0), -1)
        return n * self._categorical.entropy() - log_n + term2

    def sample(self, sample_shape=()):
        samples = self._categorical.sample((self.total_count,) + tuple(sample_shape))
        order = list(range(1, samples.dim())) + [0]  # the draws' axis last
        samples = samples.permute(*order)
        counts = zeros(self._extended_shape(sample_shape), samples.dtype)
        counts.scatter_add_(-1, samples, full(samples.shape, samples.dtype, 1))
        return counts.to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        unused = (value == 0).float() * (logits == float("-inf")).float() > 0
        log_powers = sum(logits.masked_fill(unused, 0.0) * value, -1)  # 0 * -inf adds nothing
        return _log_factorial(sum(value, -1)) - sum(_log_factorial(value), -1) + log_powers


def _log_factorial(n):
    """log(n!) of whole-number counts: the sum of log(k) over k = 1..n (as lgamma(n + 1))."""
    top = int(n.max().item()) if n.numel() else 0
    if top < 2:
        return zeros(n.shape, n.dtype)
    ks = arange(2, top + 1, dtype=n.dtype)
    return sum(log(ks) * le(ks, unsqueeze(n, -1)).to(n.dtype), -1)
