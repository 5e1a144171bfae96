"""Real PyTorch code from learning material (tests/learning/: Dive into Deep Learning's
preliminaries and scratch implementations, the micrograd and makemore lectures), run unchanged
but for `import torch` reading `import fastgrad as torch`: it prints what torch prints. Numbers
are compared to float rounding, the rest of the text exactly. Skipped without torch."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("torch")

PROGRAMS = sorted((pathlib.Path(__file__).parent / "learning").glob("*.py"))
NUMBER = re.compile(r"[-+]?\d+\.?\d*(?:e[-+]?\d+)?")


def as_fastgrad(source):
    """The program as a fastgrad user runs it: torch's imports spelled for fastgrad."""
    source = re.sub(r"^import torch$", "import fastgrad as torch", source, flags=re.M)
    source = re.sub(r"^import torch\.(\S+) as", r"import fastgrad.\1 as", source, flags=re.M)
    return re.sub(r"^from torch(\S*) import", r"from fastgrad\1 import", source, flags=re.M)


def run_both(sources, tmp_path):
    """Each source's printed text, the programs running at once (one thread each: on a busy
    machine torch's second thread makes its small ops slower), each in its own directory."""
    processes = []
    for i, source in enumerate(sources):
        (tmp_path / str(i)).mkdir()
        processes.append(subprocess.Popen(
            [sys.executable, "-c", source], cwd=tmp_path / str(i), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, OMP_NUM_THREADS="1")))
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    return [stdout for stdout, _ in outputs]


def same_text(ours, theirs):
    """Equal line by line, numbers within float32 rounding of each other; a class's module path
    (<class 'fastgrad.nn.parameter.Parameter'>) reads as torch's."""
    ours, theirs = re.sub(r"\bfastgrad\.", "torch.", ours).splitlines(), theirs.splitlines()
    assert len(ours) == len(theirs), "\n".join(ours)
    for a, b in zip(ours, theirs):
        assert NUMBER.sub("#", a) == NUMBER.sub("#", b), (a, b)
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            assert float(x) == pytest.approx(float(y), rel=1e-4, abs=1e-5), (a, b)


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_learning_code_prints_what_torch_prints(path, tmp_path):
    source = path.read_text()
    same_text(*run_both([as_fastgrad(source), source], tmp_path))
