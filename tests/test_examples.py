"""The scripts in examples/ run as a user runs them (`python examples/x.py`, in a fresh process
whose working directory is elsewhere) and learn: the loss they print falls by a large factor and
their final metric is good."""
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run(name, tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    losses = [float(v) for v in re.findall(r"^epoch \d+, loss ([0-9.e+-]+)", done.stdout, re.M)]
    final = [line for line in done.stdout.splitlines() if line.startswith("final:")]
    assert len(losses) >= 3 and len(final) == 1, done.stdout
    return losses, final[0]


def test_linear_regression(tmp_path):
    losses, final = run("linear_regression.py", tmp_path)
    assert losses[-1] < losses[0] / 1000
    w_error, b_error = map(float, re.findall(r"error in [wb] ([0-9.]+)", final))
    assert w_error < 0.01 and b_error < 0.01


@pytest.mark.parametrize("name, accuracy", [("softmax_regression.py", 0.9), ("mlp.py", 0.9),
                                            pytest.param("lenet.py", 0.9, marks=pytest.mark.scale)])
def test_classifiers(tmp_path, name, accuracy):
    losses, final = run(name, tmp_path)
    assert losses[-1] < losses[0] / 10
    assert float(re.search(r"test accuracy ([0-9.]+)", final).group(1)) >= accuracy


def test_char_mlp_compiled(tmp_path):
    """Trains under fastgrad.compile; its final line reports the step's time eager and compiled
    (measured, not asserted here: the benchmark's business)."""
    losses, final = run("char_mlp_compiled.py", tmp_path)
    assert losses[-1] < losses[0] * 0.8
    assert re.search(r"step eager \d+ us, compiled \d+ us, speed-up [0-9.]+x", final)


def test_char_mlp_lm(tmp_path):
    """Embedding, Linear, BatchNorm1d, cross entropy and SGD from nn: the loss falls to where
    torch's falls (the script run with `import torch` prints 1.9428; that run is left out here,
    importing torch takes seconds)."""
    losses, final = run("char_mlp_lm.py", tmp_path)
    assert losses[-1] < losses[0] * 0.8
    assert float(re.search(r"final: loss ([0-9.]+)", final).group(1)) < 2.0
