"""torch.distributions: after the same seed, fastgrad's Normal, Uniform, Bernoulli, Categorical
and Multinomial sample torch's values, and their log_prob, entropy, moments, shapes, rsample
gradients and validation errors are torch's."""
import math

import numpy as np
import pytest

import fastgrad as fg
from test_random import assert_torchs


def results(L, seed):
    """Everything the five distributions give, in one stream of draws after `seed`."""
    D = L.distributions
    L.manual_seed(seed)
    out = {}
    loc = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
    scale = L.tensor([1.0, 0.5, 2.0], requires_grad=True)
    n = D.Normal(loc, scale)
    out["normal sample"] = n.sample((4,))
    r = n.rsample((2,))
    out["normal rsample"] = r
    r.sum().backward()  # rsample is loc + eps * scale: gradients reach the parameters
    out["normal d/dloc"], out["normal d/dscale"] = loc.grad, scale.grad
    v = L.tensor([0.1, 0.2, 0.3])
    out["normal log_prob"], out["normal cdf"] = n.log_prob(v), n.cdf(v)
    out["normal entropy"], out["normal mean"] = n.entropy(), n.mean
    out["normal variance"], out["normal stddev"] = n.variance, n.stddev
    u = D.Uniform(L.tensor([0.0, 1.0]), L.tensor([2.0, 5.0]))
    out["uniform sample"], out["uniform rsample"] = u.sample((3,)), u.rsample()
    out["uniform log_prob"] = u.log_prob(L.tensor([1.0, 2.0]))
    out["uniform entropy"], out["uniform mean"] = u.entropy(), u.mean
    out["uniform variance"], out["uniform stddev"] = u.variance, u.stddev
    b = D.Bernoulli(probs=L.tensor([0.2, 0.7, 0.5]))
    out["bernoulli sample"] = b.sample((5,))
    out["bernoulli log_prob"] = b.log_prob(L.tensor([1.0, 0.0, 1.0]))
    out["bernoulli entropy"], out["bernoulli variance"] = b.entropy(), b.variance
    out["bernoulli logits"] = b.logits
    bl = D.Bernoulli(logits=L.tensor([0.3, -2.0]))
    out["bernoulli probs"], out["bernoulli sample of logits"] = bl.probs, bl.sample()
    c = D.Categorical(probs=L.tensor([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))
    out["categorical sample"], out["categorical sample (3, 2)"] = c.sample(), c.sample((3, 2))
    out["categorical log_prob"] = c.log_prob(L.tensor([2, 0]))
    out["categorical entropy"], out["categorical logits"] = c.entropy(), c.logits
    cl = D.Categorical(logits=L.tensor([1.0, 2.0, 0.5, -1.0]))
    out["categorical probs"], out["categorical sample of logits"] = cl.probs, cl.sample((6,))
    out["categorical entropy of logits"] = cl.entropy()
    m = D.Multinomial(10, probs=L.tensor([0.2, 0.3, 0.5]))
    out["multinomial sample"], out["multinomial sample (2,)"] = m.sample(), m.sample((2,))
    out["multinomial log_prob"] = m.log_prob(L.tensor([2.0, 3.0, 5.0]))
    out["multinomial mean"], out["multinomial variance"] = m.mean, m.variance
    out["multinomial entropy"] = m.entropy()
    m2 = D.Multinomial(4, probs=L.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=L.float64))
    out["multinomial entropy 2-d"], out["multinomial sample 2-d"] = m2.entropy(), m2.sample()
    for name, d in [("normal", n), ("uniform", u), ("bernoulli", b), ("categorical", c),
                    ("multinomial", m)]:
        out[name + " shapes"] = (tuple(d.batch_shape), tuple(d.event_shape))
    return out


@pytest.mark.parametrize("seed", [0, 3, 77])
def test_distributions_match_torch(seed):
    torch = pytest.importorskip("torch")
    ours, theirs = results(fg, seed), results(torch, seed)
    for key, value in ours.items():
        if isinstance(value, tuple):
            assert value == theirs[key], key
            continue
        a, b = value.detach().numpy(), theirs[key].detach().numpy()
        assert a.dtype == b.dtype and a.shape == b.shape, key
        if "sample" in key:  # the draws: value for value
            assert_torchs(a, b, torch, key)
        else:  # formulas: to float32 rounding (as tests/ops_db.py compares)
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=key)


ERRORS = [
    lambda L: L.distributions.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, -1.0])),
    lambda L: L.distributions.Normal(0.0, 0.0),
    lambda L: L.distributions.Normal(float("nan"), 1.0),
    lambda L: L.distributions.Bernoulli(probs=L.tensor([0.5, 1.5])),
    lambda L: L.distributions.Bernoulli(probs=L.tensor([0.5]), logits=L.tensor([0.0])),
    lambda L: L.distributions.Bernoulli(),
    lambda L: L.distributions.Categorical(probs=L.tensor(0.5)),
    lambda L: L.distributions.Categorical(probs=L.tensor([0.5, -0.1, 0.6])),
    lambda L: L.distributions.Uniform(L.tensor([0.0, 2.0]), L.tensor([1.0, 1.0])),
    lambda L: L.distributions.Multinomial(2.5, probs=L.tensor([0.5, 0.5])),
    lambda L: L.distributions.Bernoulli(probs=L.tensor([0.5])).log_prob(L.tensor([2.0])),
    lambda L: L.distributions.Categorical(probs=L.tensor([0.5, 0.5])).log_prob(L.tensor([5])),
    lambda L: L.distributions.Categorical(probs=L.tensor([0.5, 0.5])).log_prob(L.tensor(1.5)),
    lambda L: L.distributions.Normal(0.0, 1.0).log_prob(1.0),
    lambda L: L.distributions.Normal(L.zeros(3), 1.0).log_prob(L.zeros(2)),
    lambda L: L.distributions.Multinomial(3, probs=L.tensor([0.5, 0.5])).log_prob(
        L.tensor([1.0, 1.0, 1.0])),
    lambda L: L.distributions.Multinomial(3, probs=L.tensor([0.5, 0.5])).log_prob(
        L.tensor([4.0, 1.0])),
    lambda L: L.distributions.Uniform(0.0, 1.0).log_prob(L.tensor(1.5)),
    lambda L: L.distributions.Bernoulli(logits=L.tensor([0.0])).rsample(),
]


def test_validation_errors_match_torch():
    torch = pytest.importorskip("torch")
    for call in ERRORS:
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(fg)
        assert str(ours.value) == str(theirs.value)


def test_validate_args_false_skips_the_checks():
    d = fg.distributions.Normal(0.0, -1.0, validate_args=False)
    assert d.scale.item() == -1.0


def test_formulas_without_torch():
    D = fg.distributions
    n = D.Normal(1.0, 2.0)
    x = 0.5
    expected = -((x - 1) ** 2) / 8 - math.log(2) - 0.5 * math.log(2 * math.pi)
    assert abs(n.log_prob(fg.tensor(x)).item() - expected) < 1e-6
    assert abs(n.entropy().item() - (0.5 + 0.5 * math.log(2 * math.pi) + math.log(2))) < 1e-6
    m = D.Multinomial(4, probs=fg.tensor([0.25, 0.75], dtype=fg.float64))
    expected = math.log(math.comb(4, 1) * 0.25 * 0.75 ** 3)
    assert abs(m.log_prob(fg.tensor([1.0, 3.0], dtype=fg.float64)).item() - expected) < 1e-12
    c = D.Categorical(logits=fg.tensor([0.0, 0.0]))
    assert abs(c.entropy().item() - math.log(2)) < 1e-6


def test_sample_shapes_and_rates_without_torch():
    D = fg.distributions
    fg.manual_seed(0)
    counts = D.Multinomial(7, probs=fg.tensor([0.2, 0.8])).sample((50,))
    assert tuple(counts.shape) == (50, 2) and set(counts.sum(-1).tolist()) == {7.0}
    draws = D.Categorical(probs=fg.tensor([0.1, 0.9])).sample((4000,))
    assert abs(draws.float().mean().item() - 0.9) < 0.03
    u = D.Uniform(-1.0, 3.0).sample((4000,))
    assert -1 <= u.min().item() and u.max().item() < 3 and abs(u.mean().item() - 1) < 0.1
