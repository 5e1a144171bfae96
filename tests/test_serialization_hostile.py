"""Hostile and broken files fed to fastgrad.load: each is refused with a clear error, and nothing
in it runs (every payload would create a marker file, which must not exist afterwards)."""
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import fastgrad


class UserClass:
    """A class of 'the user's program': loading it would run its __setstate__."""

    def __setstate__(self, state):
        open(state, "w").close()


class Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def good_checkpoint():
    buffer = io.BytesIO()
    fastgrad.save({"w": fastgrad.arange(6.0).reshape(2, 3), "step": 3}, buffer)
    return buffer.getvalue()


def rewritten(edit, compression=zipfile.ZIP_STORED):
    """The checkpoint with each record passed through edit(name, bytes) (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_checkpoint())) as src, \
            zipfile.ZipFile(out, "w", compression) as dst:
        for name in src.namelist():
            record = edit(name.split("/", 1)[1], src.read(name))
            if record is not None:
                dst.writestr(name, record)
    return out.getvalue()


def with_pickle(pkl):
    """A checkpoint whose data.pkl is pkl."""
    return rewritten(lambda name, data: pkl if name == "data.pkl" else data)


def saved(obj):
    buffer = io.BytesIO()
    fastgrad.save(obj, buffer)
    return buffer.getvalue()


def hostile_files(marker):
    """(what, file bytes, error type, words of the error)."""
    m = str(marker)
    touch = f"open({m!r}, 'w')"
    valid_pkl = zipfile.ZipFile(io.BytesIO(good_checkpoint())).read("archive/data.pkl")
    storage_id = b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00" \
                 b"\x00\x00cpuK\x06tQ"
    tensor = b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage_id + b"K\x00K\x02K\x03\x86K\x03K" \
             b"\x01\x86\x89ccollections\nOrderedDict\n)Rt"
    return [
        ("os.system payload", saved({"x": Payload(os.system, f"touch {m}")}),
         pickle.UnpicklingError, r"GLOBAL posix.system whose module posix is blocked"),
        ("eval payload", saved([Payload(eval, touch)]), pickle.UnpicklingError,
         "GLOBAL builtins.eval was not an allowed global"),
        ("a user's class", saved(Payload(UserClass)) + b"", pickle.UnpicklingError,
         f"GLOBAL {__name__}.UserClass was not an allowed global"),
        ("GLOBAL subprocess.Popen", with_pickle(
            b"\x80\x02csubprocess\nPopen\n]X\x05\x00\x00\x00touchaX" + struct.pack("<I", len(m))
            + m.encode() + b"a\x85R."), pickle.UnpicklingError,
         "GLOBAL subprocess.Popen was not an allowed global"),
        ("REDUCE on builtins.getattr", with_pickle(
            b"\x80\x02c__builtin__\ngetattr\nc__builtin__\nopen\nX\x04\x00\x00\x00name\x86R."),
         pickle.UnpicklingError, "GLOBAL builtins.getattr was not an allowed global"),
        ("protocol 4 STACK_GLOBAL of os.system", with_pickle(
            b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(f"touch {m}")]) +
            f"touch {m}".encode() + b"\x85R."), pickle.UnpicklingError,
         "GLOBAL os.system whose module os is blocked"),
        ("REDUCE calling an allowed non-function", with_pickle(
            b"\x80\x02ctorch\nfloat32\n)R."), pickle.UnpicklingError,
         "call reduce for unrecognized function torch.float32"),
        ("BUILD setting a tensor's dtype", with_pickle(
            b"\x80\x02" + tensor + b"R}X\x05\x00\x00\x00dtypectorch\nfloat64\nsb."),
         pickle.UnpicklingError, "Can only build Tensor, Parameter or OrderedDict"),
        ("a persistent id that is not a storage", with_pickle(
            b"\x80\x02X\x06\x00\x00\x00module\x85Q."), pickle.UnpicklingError,
         "Only persistent_load of storage is allowed"),
        ("a tensor reaching past its storage", with_pickle(
            b"\x80\x02" + tensor.replace(b"K\x03K\x01\x86", b"K\x03K\x09\x86") + b"R."),
         RuntimeError, r"sizes \[2, 3\], strides \[3, 9\], storage offset 0, and itemsize 4 "
                       r"requiring a storage size of 88 are out of bounds for storage of size "
                       r"24"),
        ("a truncated zip", good_checkpoint()[:700], RuntimeError,
         "failed finding central directory"),
        ("a corrupted data.pkl (CRC)", good_checkpoint()[:100] + b"\xff" +
         good_checkpoint()[101:], RuntimeError, "record data.pkl cannot be read.*CRC"),
        ("a corrupted data.pkl (valid CRC)", with_pickle(valid_pkl[:40] + b"\xff\xfe" +
                                                         valid_pkl[42:]), pickle.UnpicklingError,
         "the pickle is corrupted"),
        ("a truncated data.pkl", with_pickle(valid_pkl[:-20]), pickle.UnpicklingError,
         "the pickle is truncated"),
        ("a record shorter than its storage", rewritten(
            lambda name, data: data[:8] if name == "data/0" else data), RuntimeError,
         r"record size \(8 bytes\) does not match expected size \(24 bytes = 6 elements \* 4 "
         r"bytes/element\) for dtype Float"),
        ("a huge claimed numel", with_pickle(valid_pkl.replace(b"cpu", b"cpu\x8a\x08" + b"\xff" *
                                                               7 + b"\x0f", 1).replace(
            b"\x8a\x08" + b"\xff" * 7 + b"\x0fq\x06K\x06", b"\x8a\x08" + b"\xff" * 7 + b"\x0f")),
         RuntimeError, r"record size \(24 bytes\) does not match expected size "
                       r"\(4611686018427387900 bytes"),
        ("a missing record", rewritten(lambda name, data: None if name == "data/0" else data),
         RuntimeError, "failed locating file data/0: file not found"),
        ("an unknown byte order", rewritten(
            lambda name, data: b"middle" if name == "byteorder" else data), ValueError,
         "Unknown endianness type: middle"),
        ("a newer format version", rewritten(
            lambda name, data: b"11\n" if name == "version" else data), RuntimeError,
         "PyTorch file with version 11, but the maximum supported version for reading is 10"),
        ("a compressed record (a zip bomb could claim any size)", rewritten(
            lambda name, data: data, zipfile.ZIP_DEFLATED), RuntimeError,
         "record version is compressed or reaches past the end of the file"),
        ("an empty file", b"", EOFError, "is empty"),
        ("a zip archive of no records", b"PK\x03\x04" + bytes(26) + rewritten(
            lambda name, data: None), RuntimeError, "holds no records"),
        ("junk", b"#!/bin/sh\ntouch " + m.encode(), RuntimeError, "Invalid magic number"),
        ("legacy format with os.system", legacy(Payload(os.system, f"touch {m}")),
         pickle.UnpicklingError, "GLOBAL posix.system whose module posix is blocked"),
    ]


def legacy(obj):
    buffer = io.BytesIO()
    fastgrad.save(obj, buffer, _use_new_zipfile_serialization=False)
    return buffer.getvalue()


def test_hostile_and_broken_files_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    cases = hostile_files(marker)
    assert len(cases) >= 10
    for what, data, error, words in cases:
        path = tmp_path / "hostile.pt"
        path.write_bytes(data)
        with pytest.raises(error, match=words) as caught:
            fastgrad.load(path)
        assert not marker.exists(), what
        assert str(caught.value) or error is EOFError, what


def test_paths_that_are_not_files():
    with pytest.raises(FileNotFoundError):
        fastgrad.load("/nonexistent/checkpoint.pt")
    with pytest.raises(IsADirectoryError):
        fastgrad.load(os.path.dirname(__file__))
    with pytest.raises(TypeError, match="expected a path or a file object"):
        fastgrad.load(42)


def test_torch_refuses_the_same_payloads(tmp_path):
    """The payloads are real: torch's weights_only loader refuses them too (and plain pickle
    would run them, shown in a child process so this one stays clean)."""
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    for what, data, *_ in hostile_files(marker)[:3]:
        with pytest.raises(pickle.UnpicklingError):
            torch.load(io.BytesIO(data), weights_only=True)
    payload = hostile_files(marker)[0][1]
    (tmp_path / "evil.pt").write_bytes(payload)
    subprocess.run([sys.executable, "-c", "import pickle, zipfile, sys; "
                    "pickle.loads(zipfile.ZipFile(sys.argv[1]).read('archive/data.pkl'))",
                    str(tmp_path / "evil.pt")], capture_output=True, timeout=60)
    assert marker.exists()


def test_random_damage_never_crashes_the_interpreter(tmp_path):
    """A few hundred checkpoints with random bytes overwritten: each loads or raises an
    exception; none takes the process down."""
    data = np.frombuffer(good_checkpoint(), np.uint8)
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(300):
        damaged = data.copy()
        at = rng.integers(0, len(data), size=int(rng.integers(1, 4)))
        damaged[at] = rng.integers(0, 256, size=len(at))
        try:
            fastgrad.load(io.BytesIO(damaged.tobytes()))
            outcomes.add("loaded")
        except (RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as error:
            outcomes.add(type(error).__name__)
    assert "RuntimeError" in outcomes and len(outcomes) >= 2
