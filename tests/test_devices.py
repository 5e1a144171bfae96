"""Devices as PyTorch's CPU-only build has them: device objects, tensors on the CPU, and the same
exception (type and words) as torch for CUDA, bare indices and unknown device strings. Each case
runs in both libraries."""
import pickle

import pytest

import fastgrad as fg

torch = pytest.importorskip("torch")


def outcome(fn):
    """What fn did: ('ok', repr of its result) or (exception type name, message)."""
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001  (compared with torch's exception)
        return type(e).__name__, str(e)
    return "ok", repr(result)


# Each case is a function of the library (fastgrad or torch) and a 2-element float tensor of it.
SAME_AS_TORCH = {
    "device repr": lambda lib, x: x.device,
    "device type": lambda lib, x: x.device.type,
    "device index": lambda lib, x: x.device.index,
    "device str": lambda lib, x: str(x.device),
    "device equals cpu": lambda lib, x: x.device == lib.device("cpu"),
    "device is not a string": lambda lib, x: x.device == "cpu",
    "cpu:0 equals cpu": lambda lib, x: lib.device("cpu:0") == lib.device("cpu"),
    "device cuda:1": lambda lib, x: lib.device("cuda:1"),
    "device with index": lambda lib, x: lib.device("cuda", 0),
    "device of device": lambda lib, x: lib.device(lib.device("cpu")),
    "device foo": lambda lib, x: lib.device("foo"),
    "device CPU": lambda lib, x: lib.device("CPU"),
    "device cuda:x": lambda lib, x: lib.device("cuda:x"),
    "device negative": lambda lib, x: lib.device("cpu", -1),
    "device int": lambda lib, x: lib.device(0),
    "to cpu is itself": lambda lib, x: x.to("cpu") is x,
    "to device cpu": lambda lib, x: x.to(lib.device("cpu")) is x,
    "cpu() is itself": lambda lib, x: x.cpu() is x,
    "to dtype": lambda lib, x: x.to(lib.float64),
    "to same dtype is itself": lambda lib, x: x.to(lib.float32) is x,
    "to copy": lambda lib, x: x.to(lib.float32, copy=True) is x,
    "to device and dtype": lambda lib, x: x.to("cpu", lib.float64),
    "to keywords": lambda lib, x: x.to(device="cpu", dtype=lib.int64),
    "to other tensor": lambda lib, x: x.to(lib.zeros(1, dtype=lib.float64)),
    "to cuda": lambda lib, x: x.to("cuda"),
    "to cuda device": lambda lib, x: x.to(lib.device("cuda", 0)),
    "to foo": lambda lib, x: x.to("foo"),
    "to int": lambda lib, x: x.to(0),
    "cuda()": lambda lib, x: x.cuda(),
    "cuda(0)": lambda lib, x: x.cuda(0),
    "is_cuda": lambda lib, x: x.is_cuda,
    "is_cpu": lambda lib, x: x.is_cpu,
    "get_device": lambda lib, x: x.get_device(),
    "tensor on cuda": lambda lib, x: lib.tensor([1.0], device="cuda"),
    "zeros on cuda": lambda lib, x: lib.zeros(2, device="cuda"),
    "ones on cpu": lambda lib, x: lib.ones(2, device="cpu"),
    "arange on cuda": lambda lib, x: lib.arange(3, device=lib.device("cuda")),
    "randn on cuda": lambda lib, x: lib.randn(2, device="cuda"),
    "zeros_like on cuda": lambda lib, x: lib.zeros_like(x, device="cuda"),
    "full on foo": lambda lib, x: lib.full((2,), 1.0, device="foo"),
    "cuda available": lambda lib, x: lib.cuda.is_available(),
    "cuda device count": lambda lib, x: lib.cuda.device_count(),
    "cuda seeding": lambda lib, x: (lib.cuda.manual_seed(0), lib.cuda.manual_seed_all(0)),
    "mps available": lambda lib, x: lib.backends.mps.is_available(),
    "cudnn available": lambda lib, x: lib.backends.cudnn.is_available(),
    "accelerator available": lambda lib, x: lib.accelerator.is_available(),
    "current accelerator": lambda lib, x: lib.accelerator.current_accelerator(),
    "module to cpu": lambda lib, x: isinstance(lib.nn.Linear(2, 3).to("cpu"), lib.nn.Linear),
    "module to cuda": lambda lib, x: lib.nn.Linear(2, 3).to("cuda"),
    "module cuda()": lambda lib, x: lib.nn.Linear(2, 3).cuda(),
    "module to cpu and same dtype": lambda lib, x: isinstance(
        lib.nn.Linear(2, 3).to("cpu", lib.float32), lib.nn.Linear),
    "module to same dtype": lambda lib, x: isinstance(lib.nn.Linear(2, 3).to(lib.float32),
                                                      lib.nn.Linear),
    "module to int dtype": lambda lib, x: lib.nn.Linear(2, 3).to(lib.int64),
    "module to dtype and device keyword": lambda lib, x: lib.nn.Linear(2, 3).to(lib.float64,
                                                                                device="cpu"),
    "module cuda(cpu)": lambda lib, x: lib.nn.Linear(2, 3).cuda("cpu"),
    # Tensor.to's argument forms
    "to python float": lambda lib, x: x.to(float),
    "to python int keyword": lambda lib, x: x.to(dtype=int),
    "to None device and dtype": lambda lib, x: x.to(None, lib.float64),
    "to non_blocking and copy": lambda lib, x: x.to(lib.float32, False, True) is x,
    "to two dtypes": lambda lib, x: x.to(lib.float64, lib.float32),
    "to device twice": lambda lib, x: x.to("cpu", device="cpu"),
    "to other and dtype": lambda lib, x: x.to(x, dtype=lib.float64),
    "to too many": lambda lib, x: x.to(lib.float64, True, True, True),
    "to int flag": lambda lib, x: x.to(lib.float64, 1),
    "to negative index": lambda lib, x: x.to(-1),
    "cuda(cpu)": lambda lib, x: x.cuda("cpu"),
    "tensor of python float dtype": lambda lib, x: lib.tensor([1, 2], dtype=float),
    "zeros of python int dtype": lambda lib, x: lib.zeros(2, dtype=int),
    # torch.device's constructor
    "device with spaces": lambda lib, x: lib.device(" cpu"),
    "device empty": lambda lib, x: lib.device(""),
    "device index twice": lambda lib, x: lib.device("cuda:1", 2),
    "device float index": lambda lib, x: lib.device("cuda", 1.0),
    "device bool index": lambda lib, x: lib.device("cuda", True),
    "device huge index": lambda lib, x: lib.device("cuda:99999999999"),
    "device negative int": lambda lib, x: lib.device(-1),
    "device as context": lambda lib, x: _in_context(lib, "cpu"),
    "cuda device as context": lambda lib, x: _in_context(lib, "cuda"),
    "default device": lambda lib, x: lib.get_default_device(),
    # the rest of torch.cuda and torch.accelerator that portable programs call
    "cuda empty_cache": lambda lib, x: lib.cuda.empty_cache(),
    "cuda memory_allocated": lambda lib, x: lib.cuda.memory_allocated(),
    "cuda is_initialized": lambda lib, x: lib.cuda.is_initialized(),
    "cuda current_device": lambda lib, x: lib.cuda.current_device(),
    "cuda get_device_name": lambda lib, x: lib.cuda.get_device_name(0),
    "cuda synchronize": lambda lib, x: lib.cuda.synchronize(),
    "version cuda": lambda lib, x: lib.version.cuda,
    "accelerator device index": lambda lib, x: lib.accelerator.current_device_index(),
}


def _in_context(lib, name):
    with lib.device(name):
        return lib.ones(2)


@pytest.mark.parametrize("case", SAME_AS_TORCH)
def test_same_as_torch(case):
    fn = SAME_AS_TORCH[case]
    ours = outcome(lambda: fn(fg, fg.ones(2)))
    theirs = outcome(lambda: fn(torch, torch.ones(2)))
    assert ours == theirs


def test_the_usual_device_line_picks_the_cpu():
    """The device selection line of PyTorch's tutorials, then the model and data moved there."""
    device = (fg.accelerator.current_accelerator().type if fg.accelerator.is_available()
              else "cuda" if fg.cuda.is_available()
              else "mps" if fg.backends.mps.is_available() else "cpu")
    model = fg.nn.Linear(2, 1).to(device)
    x = fg.ones(4, 2).to(device)
    assert device == "cpu" and model(x).device == fg.device("cpu")


def test_devices_hash_and_pickle_by_value():
    assert {fg.device("cpu"), fg.device("cpu")} == {fg.device("cpu")}
    assert pickle.loads(pickle.dumps(fg.device("cuda", 1))) == fg.device("cuda:1")
    with pytest.raises(AttributeError):
        fg.device("cpu").type = "cuda"


def test_a_default_device_other_than_the_cpu_refuses_new_tensors():
    """As in a CPU-only torch, set_default_device('cuda') is accepted and tensors made after it
    raise; the CPU again makes them."""
    x = fg.ones(1)
    try:
        fg.set_default_device("cuda")
        assert fg.get_default_device() == fg.device("cuda")
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            fg.zeros(2)
        assert x.to(fg.float64).dtype is fg.float64  # .to() keeps the tensor's device
    finally:
        fg.set_default_device(None)
    assert fg.zeros(2).device == fg.device("cpu")


def test_other_known_devices_are_not_available():
    """torch knows 'mps' and 'meta'; fastgrad computes on the CPU only and says so."""
    for name in ("mps", "meta"):
        with pytest.raises(RuntimeError, match=f"CPU only: device '{name}'"):
            fg.zeros(2, device=name)
