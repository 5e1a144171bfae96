"""torch.distributions: Normal, Uniform (with rsample, differentiable through fastgrad's ops),
Bernoulli, Categorical and Multinomial, drawing from torch's random streams so that samples
after the same seed are torch's."""
from .continuous import Normal, Uniform
from .discrete import Bernoulli, Categorical, Multinomial
from .distribution import Distribution

__all__ = ["Bernoulli", "Categorical", "Distribution", "Multinomial", "Normal", "Uniform"]
