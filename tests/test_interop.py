"""Zero-copy interop: DLPack both ways with numpy (and torch where installed), __array__ and
from_numpy share memory."""
import numpy as np
import pytest

import fastgrad as fg

try:
    import torch
except ImportError:
    torch = None


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_numpy_dlpack_both_ways_shares_memory(dtype):
    t = fg.tensor(np.arange(6).reshape(2, 3).astype(dtype))
    a = np.from_dlpack(t)
    assert a.dtype == dtype and a.shape == (2, 3)
    assert np.shares_memory(a, t.numpy())
    back = fg.from_dlpack(a)
    assert back.dtype is t.dtype and np.shares_memory(back.numpy(), t.numpy())
    t.fill_(1)
    assert a.all() and back.numpy().all()


def test_dlpack_of_a_strided_view():
    t = fg.arange(12.0).reshape(3, 4)[:, ::2].t()
    a = np.from_dlpack(t)
    assert a.tolist() == t.tolist() and np.shares_memory(a, t.numpy())


def test_dlpack_device_and_grad_rules():
    t = fg.ones(2)
    assert t.__dlpack_device__() == (1, 0)  # kDLCPU
    with pytest.raises(RuntimeError, match="require gradient"):
        np.from_dlpack(fg.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="__dlpack__"):
        fg.from_dlpack([1, 2])


def test_array_and_from_numpy_share_memory():
    a = np.zeros(3, np.float32)
    t = fg.from_numpy(a)
    assert np.shares_memory(np.asarray(t), a)
    t.add_(1)
    assert a.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_torch_dlpack_both_ways_shares_memory():
    t = fg.arange(4.0)
    tt = torch.from_dlpack(t)
    tt.mul_(2)
    assert t.tolist() == [0.0, 2.0, 4.0, 6.0]
    back = fg.from_dlpack(torch.arange(3, dtype=torch.float64))
    assert back.dtype is fg.float64 and back.tolist() == [0.0, 1.0, 2.0]
    src = torch.ones(3)
    shared = fg.from_dlpack(src)
    src.add_(1)
    assert shared.tolist() == [2.0, 2.0, 2.0]
