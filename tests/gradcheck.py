"""Central finite differences against backward(), in float64, with a non-uniform upstream
gradient so that a transposed or misplaced gradient cannot hide behind a plain .sum()."""
import numpy as np

import fastgrad as fg


def gradcheck(fn, *arrays, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """Checks every input's .grad of fn(*inputs) against finite differences of
    sum(v * fn(...)), where v is a random upstream gradient. Returns the output."""
    rng = np.random.default_rng(seed)
    inputs = [fg.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    out = fn(*inputs)
    v = rng.uniform(0.5, 1.5, out.shape) * rng.choice([-1.0, 1.0], out.shape)
    out.backward(fg.tensor(v))

    def objective(values):
        with fg.no_grad():
            result = fn(*[fg.tensor(x) for x in values])
        return float(np.sum(v * result.numpy()))  # the test's oracle, not the library's path

    base = [np.array(a, np.float64) for a in arrays]
    for i, t in enumerate(inputs):
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == t.shape, f"input {i}: grad shape {t.grad.shape} != {t.shape}"
        assert t.grad.dtype is t.dtype
        numeric = np.zeros(base[i].shape)
        for idx in np.ndindex(*base[i].shape):
            plus = [b.copy() for b in base]
            minus = [b.copy() for b in base]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numeric[idx] = (objective(plus) - objective(minus)) / (2 * eps)
        np.testing.assert_allclose(t.grad.numpy(), numeric, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")
    return out
