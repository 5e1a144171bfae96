"""fastgrad.save / fastgrad.load against torch.save / torch.load: the same file format both ways
(torch parts skip without torch), views and shared storage, every dtype, Parameters, state dicts,
atomic saves, and a training run resumed in a fresh process."""
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import time
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
                                          blob=b"\x00\xff", text="é", z=1 - 2j,
                                          buffer=bytearray(b"ab"), tags={"a", "b"},
                                          device=L.device("cpu")),
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
    for protocol in (3, 4, 5):  # torch's default is 2; the others' opcodes load too
        fastgrad.save(sample(fastgrad), tmp_path / "x.pt", pickle_protocol=protocol)
        check_sample(fastgrad, fastgrad.load(tmp_path / "x.pt"))
    with pytest.raises(ValueError, match="pickle_protocol must be 2 to"):
        fastgrad.save(1, tmp_path / "x.pt", pickle_protocol=0)


def test_torch_reads_what_fastgrad_saves(tmp_path):
    torch = pytest.importorskip("torch")
    fastgrad.save(sample(fastgrad), tmp_path / "x.pt")
    check_sample(torch, torch.load(tmp_path / "x.pt", weights_only=True))
    # mapped, torch finds each record's data from its local header: the layout must be exact
    check_sample(torch, torch.load(tmp_path / "x.pt", weights_only=True, mmap=True))


@pytest.mark.parametrize("legacy", [False, True])
def test_fastgrad_reads_what_torch_saves(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    torch.save(sample(torch), tmp_path / "x.pt", _use_new_zipfile_serialization=not legacy)
    check_sample(fastgrad, fastgrad.load(tmp_path / "x.pt"))


def every_dtype(L):
    values = [0, 1, 2, 127, -3]
    out = {name: L.tensor(values, dtype=getattr(L, name)) for name in DTYPES if name != "bool"}
    out["bool"] = L.tensor([True, False, True])
    out["half_odd"] = L.tensor([1e-7, 65504.0, -0.0], dtype=L.float16)
    out["double"] = L.tensor([1e300, -1e-300, float("inf"), float("nan")], dtype=L.float64)
    return out


def test_every_dtype_both_ways(tmp_path):
    torch = pytest.importorskip("torch")
    fastgrad.save(every_dtype(fastgrad), tmp_path / "f.pt")
    torch.save(every_dtype(torch), tmp_path / "t.pt")
    for name, theirs in torch.load(tmp_path / "f.pt", weights_only=True).items():
        ours = fastgrad.load(tmp_path / "t.pt")[name]
        assert str(theirs.dtype) == str(ours.dtype) == str(every_dtype(torch)[name].dtype)
        np.testing.assert_array_equal(theirs.numpy(), every_dtype(torch)[name].numpy())
        np.testing.assert_array_equal(ours.numpy(), every_dtype(torch)[name].numpy())


def test_the_file_is_torchs_own_layout(tmp_path):
    """The same object saved by both libraries gives the same records at the same offsets, byte
    for byte (the serialization id aside: torch's is a hash of its own)."""
    torch = pytest.importorskip("torch")
    for folder in ("mine", "theirs"):
        (tmp_path / folder).mkdir()
    fastgrad.save(sample(fastgrad), tmp_path / "mine" / "x.pt")
    torch.save(sample(torch), tmp_path / "theirs" / "x.pt")
    mine, theirs = (zipfile.ZipFile(tmp_path / folder / "x.pt") for folder in ("mine", "theirs"))
    layout = [[(i.filename, i.header_offset, i.file_size, i.flag_bits) for i in z.infolist()]
              for z in (mine, theirs)]
    assert layout[0] == layout[1] and layout[0][0][0] == "x/data.pkl"
    for info in theirs.infolist():
        if not info.filename.endswith("serialization_id"):
            assert mine.read(info.filename) == theirs.read(info.filename), info.filename


def test_zip64_records_open_in_zipfile_and_torch(tmp_path, monkeypatch):
    """Records and offsets past 4 GiB take zip64 fields; the limit lowered to a few bytes tests
    that layout without writing gigabytes."""
    from fastgrad._serialization import zipformat
    monkeypatch.setattr(zipformat, "ZIP32_LIMIT", 40)
    fastgrad.save(sample(fastgrad), tmp_path / "x.pt")
    assert zipfile.ZipFile(tmp_path / "x.pt").testzip() is None
    check_sample(fastgrad, fastgrad.load(tmp_path / "x.pt"))
    torch = pytest.importorskip("torch")
    check_sample(torch, torch.load(tmp_path / "x.pt", weights_only=True))


def test_file_objects_paths_and_map_location(tmp_path):
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    fastgrad.save(sample(fastgrad), buffer)
    assert zipfile.ZipFile(io.BytesIO(buffer.getvalue())).namelist()[0] == "archive/data.pkl"
    for where in ("cpu", torch.device("cpu"), fastgrad.device("cpu"), {"cpu": "cpu"},
                  lambda storage, location: storage, lambda storage, location: None):
        buffer.seek(0)
        check_sample(fastgrad, fastgrad.load(buffer, map_location=where))
    with open(tmp_path / "y.pt", "wb") as f:
        fastgrad.save([fastgrad.ones(2)], f)
    with open(tmp_path / "y.pt", "rb") as f:
        assert fastgrad.load(f)[0].tolist() == [1.0, 1.0]
    assert fastgrad.load(str(tmp_path / "y.pt"), weights_only=False, mmap=True)[0].tolist() == \
        [1.0, 1.0]
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap"):
        fastgrad.load(buffer, mmap=True)


def saved_on(location):
    """fastgrad.ones(2) saved as if from a device: the location 'cpu' in data.pkl rewritten."""
    buffer = io.BytesIO()
    fastgrad.save(fastgrad.ones(2), buffer)
    rewritten = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(rewritten, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            out.writestr(name, data.replace(b"X\x03\x00\x00\x00cpu", b"X" + struct.pack(
                "<I", len(location)) + location.encode()) if name.endswith("data.pkl") else data)
    return rewritten.getvalue()


def test_device_checkpoints_need_map_location():
    with pytest.raises(RuntimeError, match="CUDA device but torch.cuda.is_available"):
        fastgrad.load(io.BytesIO(saved_on("cuda:0")))
    with pytest.raises(RuntimeError, match="tagged with mps"):
        fastgrad.load(io.BytesIO(saved_on("mps")))
    for where in ("cpu", {"cuda:0": "cpu"}, lambda storage, location: storage.cpu()):
        assert fastgrad.load(io.BytesIO(saved_on("cuda:0")), map_location=where).tolist() == \
            [1.0, 1.0]


def test_big_endian_files_are_byte_swapped():
    torch = pytest.importorskip("torch")
    values = {"f": torch.tensor([1.5, -2.0]), "i": torch.tensor([1, 256], dtype=torch.int16)}
    buffer = io.BytesIO()
    torch.save(values, buffer)
    swapped = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(swapped, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("byteorder"):
                data = b"big"
            elif "/data/" in name:
                width = 4 if name.endswith("/0") else 2
                data = np.frombuffer(data, f"<u{width}").astype(f">u{width}").tobytes()
            out.writestr(name, data)
    for L in (torch, fastgrad):
        swapped.seek(0)
        loaded = L.load(swapped, weights_only=True)
        assert loaded["f"].tolist() == [1.5, -2.0] and loaded["i"].tolist() == [1, 256]


def test_dtypes_fastgrad_lacks_are_refused_by_name():
    torch = pytest.importorskip("torch")
    for dtype, name in ((torch.bfloat16, "bfloat16"), (torch.complex64, "complex64")):
        buffer = io.BytesIO()
        torch.save({"w": torch.ones(2, dtype=dtype)}, buffer)
        buffer.seek(0)
        with pytest.raises(pickle.UnpicklingError, match=f"fastgrad does not have.*{name}"):
            fastgrad.load(buffer)


def test_views_of_one_memory_as_two_dtypes_are_refused_as_torch_does():
    memory = np.ones(4, np.float32)
    views = [fastgrad.from_numpy(memory), fastgrad.from_numpy(memory.view(np.int32))]
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        fastgrad.save(views, io.BytesIO())


def test_load_state_dict_errors_after_a_round_trip(tmp_path):
    model = fastgrad.nn.Linear(2, 3)
    fastgrad.save({"weight": fastgrad.zeros(3, 3), "bias": fastgrad.zeros(3)}, tmp_path / "w.pt")
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with "
                       r"shape torch.Size\(\[3, 3\]\) from checkpoint, the shape in current "
                       r"model is torch.Size\(\[3, 2\]\)"):
        model.load_state_dict(fastgrad.load(tmp_path / "w.pt"))
    fastgrad.save([1, 2], tmp_path / "l.pt")
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>"):
        model.load_state_dict(fastgrad.load(tmp_path / "l.pt"))


def test_a_model_goes_to_torch_and_back(tmp_path):
    torch = pytest.importorskip("torch")
    fastgrad.manual_seed(0)
    ours = fastgrad.nn.Sequential(fastgrad.nn.Linear(3, 4), fastgrad.nn.ReLU(),
                                  fastgrad.nn.Linear(4, 2))
    fastgrad.save(ours.state_dict(), tmp_path / "m.pt")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    expected = ours(fastgrad.tensor(x)).detach().numpy()
    np.testing.assert_array_equal(theirs(torch.tensor(x)).detach().numpy(), expected)
    torch.save(theirs.state_dict(), tmp_path / "t.pt")  # with torch's _metadata attribute
    back = fastgrad.nn.Sequential(fastgrad.nn.Linear(3, 4), fastgrad.nn.ReLU(),
                                  fastgrad.nn.Linear(4, 2))
    back.load_state_dict(fastgrad.load(tmp_path / "t.pt"))
    np.testing.assert_array_equal(back(fastgrad.tensor(x)).detach().numpy(), expected)


TRAINING = '''
import sys
import fastgrad as torch


def make():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, epochs):
    for _ in range(epochs):
        x = torch.randn(16, 4)
        loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return loss.item()


def resume(path, out):
    checkpoint = torch.load(path, weights_only=True)
    model, optimizer, scheduler = make()
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])
    train(model, optimizer, scheduler, 6 - checkpoint["epoch"])
    torch.save(model.state_dict(), out)


if __name__ == "__main__":
    resume(sys.argv[1], sys.argv[2])
'''


def run(*args, **kwargs):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          **kwargs)


def test_a_training_run_resumed_in_a_fresh_process_matches_an_uninterrupted_one(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    scope = {"__name__": "training"}
    exec(compile(TRAINING, str(script), "exec"), scope)
    rng = fastgrad.get_rng_state()
    try:
        model, optimizer, scheduler = scope["make"]()
        loss = scope["train"](model, optimizer, scheduler, 3)
        fastgrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                       "scheduler": scheduler.state_dict(), "epoch": 3, "loss": loss,
                       "rng": fastgrad.get_rng_state()}, tmp_path / "checkpoint.pt")
        whole = scope["make"]()
        scope["train"](*whole, 6)
    finally:
        fastgrad.set_rng_state(rng)
    done = run(str(script), str(tmp_path / "checkpoint.pt"), str(tmp_path / "resumed.pt"),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    resumed = fastgrad.load(tmp_path / "resumed.pt")
    assert list(resumed) == list(whole[0].state_dict())
    for name, value in whole[0].state_dict().items():
        assert np.array_equal(resumed[name].numpy(), value.numpy()), name
    assert whole[2].get_last_lr() == [0.05 * 0.5 ** 3]


def test_a_failed_save_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    from fastgrad._serialization import zipformat
    path = tmp_path / "ckpt.pt"
    fastgrad.save({"step": 1, "w": fastgrad.ones(3)}, path)
    os.chmod(path, 0o640)
    written = zipformat.ZipWriter.record

    def dies_after_the_pickle(self, name, data):
        if name.startswith("data/"):
            raise OSError("disk full (a test)")
        written(self, name, data)

    monkeypatch.setattr(zipformat.ZipWriter, "record", dies_after_the_pickle)
    with pytest.raises(OSError, match="disk full"):
        fastgrad.save({"step": 2, "w": fastgrad.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert fastgrad.load(path)["step"] == 1
    monkeypatch.undo()
    fastgrad.save({"step": 3, "w": fastgrad.zeros(3)}, path)
    assert fastgrad.load(path)["step"] == 3 and os.stat(path).st_mode & 0o777 == 0o640
    with pytest.raises(IsADirectoryError):
        fastgrad.save(1, tmp_path)
    with pytest.raises(RuntimeError, match="Parent directory .*missing does not exist"):
        fastgrad.save(1, tmp_path / "missing" / "x.pt")
    with pytest.raises(AttributeError, match="'write' attribute"):
        fastgrad.save(1, 42)


SAVING_FOREVER = '''
import sys
import fastgrad
path = sys.argv[1]
step = 0
while True:
    fastgrad.save({"step": step, "w": fastgrad.full((1 << 20,), float(step))}, path)
    if step == 0:
        print("saved", flush=True)
    step += 1
'''


def test_a_process_killed_while_saving_leaves_the_previous_file_loadable(tmp_path):
    """A child saves a 4 MB checkpoint over and over; it is killed (SIGKILL) at a moment when its
    temporary file exists, i.e. in the middle of a save (a random one of the next few); the
    checkpoint still loads whole."""
    signal = pytest.importorskip("signal")
    path = tmp_path / "ckpt.pt"
    # cwd: python -c in the repository's root would import the source folder, not the package
    child = subprocess.Popen([sys.executable, "-c", SAVING_FOREVER, str(path)],
                             stdout=subprocess.PIPE, text=True, cwd=tmp_path)

    deadline = time.monotonic() + 60

    def saving():
        assert child.poll() is None, "the saving process ended"
        assert time.monotonic() < deadline, "no save in progress was seen"
        time.sleep(0.0002)
        return any(name.endswith(".tmp") for name in os.listdir(tmp_path))

    try:
        assert child.stdout.readline() == "saved\n"
        for _ in range(int(np.random.default_rng().integers(0, 3))):
            while not saving():
                pass
            while saving():
                pass
        while not saving():
            pass
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    loaded = fastgrad.load(path)
    w = loaded["w"].numpy()
    assert w.shape == (1 << 20,) and (w == loaded["step"]).all()


def test_layouts_torch_has_and_has_not(tmp_path):
    """An expanded view (stride 0) stays a view of its base's storage; a tensor numpy shows with
    negative strides (torch has none) is saved as a copy of its values."""
    base = fastgrad.arange(4.0)
    reversed_ = fastgrad.from_numpy(np.arange(6.0)[::-2])
    fastgrad.save([base, base[1:2].expand(3, 4), reversed_], tmp_path / "x.pt")
    torch = pytest.importorskip("torch")
    for L in (fastgrad, torch):
        b, expanded, r = L.load(tmp_path / "x.pt", weights_only=True)
        assert expanded.stride() == (0, 0) and r.tolist() == [5.0, 3.0, 1.0]
        b[1] = 7.0
        assert expanded.tolist() == [[7.0] * 4] * 3


class Config:
    """A class of the user's program inside a checkpoint."""

    def __init__(self, width):
        self.width = width


def test_classes_the_user_trusts_load_with_safe_globals(tmp_path):
    fastgrad.save({"config": Config(3), "w": fastgrad.ones(1)}, tmp_path / "c.pt")
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {__name__}.Config was not an "
                       r"allowed global.*add_safe_globals\(\[Config\]\)"):
        fastgrad.load(tmp_path / "c.pt")
    with fastgrad.serialization.safe_globals([Config]):
        assert fastgrad.load(tmp_path / "c.pt")["config"].width == 3
    assert fastgrad.serialization.get_safe_globals() == []
    fastgrad.serialization.add_safe_globals([(Config, f"{__name__}.Config")])
    try:
        assert fastgrad.load(tmp_path / "c.pt")["config"].width == 3
    finally:
        fastgrad.serialization.clear_safe_globals()
    torch = pytest.importorskip("torch")
    with torch.serialization.safe_globals([Config]):
        assert torch.load(tmp_path / "c.pt", weights_only=True)["config"].width == 3
