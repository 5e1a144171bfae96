"""The op database itself: every public op has a case, and every case computes torch's values
in each dtype it takes. The cases' gradients, JVPs and second derivatives are checked in
test_gradients, test_higher_order and test_func, their special values in test_special_values,
their numpy layouts in test_numpy_inputs, and they are the steps of test_properties' random
graphs."""
import numpy as np
import pytest

import fastgrad as fg
from ops_db import CASES, VS_TORCH, inputs


def test_every_public_op_has_a_case():
    public = {name for name, obj in vars(fg).items()
              if callable(obj) and getattr(obj, "__module__", "").startswith("fastgrad.ops")}
    public |= set(fg.nn.functional.__all__)
    covered = {case.op for case in CASES}
    assert public - covered == set(), f"no case in tests/ops_db.py for {sorted(public - covered)}"


WITH_DTYPES = [(case, dtype) for case in VS_TORCH for dtype in case.dtypes]


@pytest.mark.parametrize("case,dtype", WITH_DTYPES, ids=[f"{c.name}-{d}" for c, d in WITH_DTYPES])
def test_values_match_torch(case, dtype):
    torch = pytest.importorskip("torch")
    arrays = inputs(case, 1, dtype)
    ours = case.fn(fg, *[fg.tensor(a) for a in arrays])
    theirs = case.fn(torch, *[torch.tensor(a) for a in arrays])
    assert tuple(ours.shape) == tuple(theirs.shape) and repr(ours.dtype) == repr(theirs.dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **tol)
