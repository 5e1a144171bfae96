"""Real PyTorch code from learning material (tests/learning/: Dive into Deep Learning, the
micrograd, makemore and GPT lectures, PyTorch's tutorials), run unchanged but for `import torch`
reading `import fastgrad as torch`: it prints what torch prints. Numbers are compared to float
rounding, the rest of the text exactly (but for the spaces around numbers, objects' addresses
and the fastgrad in class paths). Skipped without torch.

Each library is imported once, in a server process that forks a child per program: a fresh
interpreter spends 2-4 s importing torch (and torch.optim's first step imports its compiler)
against a fraction of a second running the program."""
import json
import os
import pathlib
import re
import select
import subprocess
import sys

import pytest

pytest.importorskip("torch")

PROGRAMS = sorted((pathlib.Path(__file__).parent / "learning").glob("*.py"))
ADDRESS = re.compile(r"at 0x[0-9a-f]+")
NUMBER = re.compile(r"[-+]?\d+\.?\d*(?:e[-+]?\d+)?")
SERVER = r"""
import json, os, sys, traceback, types
import {0}, {0}.nn.functional, {0}.optim.lr_scheduler, {0}.utils.data
{1}
for line in sys.stdin:
    source, cwd = json.loads(line)
    pid = os.fork()
    if pid == 0:  # the program, as __main__ of its own directory, stdout and stderr to files
        code = 1
        try:
            os.chdir(cwd)
            for fd, name in ((1, "stdout"), (2, "stderr")):
                os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            main = sys.modules["__main__"] = types.ModuleType("__main__")
            exec(compile(source, "<program>", "exec"), main.__dict__)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


def as_fastgrad(source):
    """The program as a fastgrad user runs it: torch's imports spelled for fastgrad."""
    source = re.sub(r"^import torch$", "import fastgrad as torch", source, flags=re.M)
    source = re.sub(r"^import torch\.(\S+) as", r"import fastgrad.\1 as", source, flags=re.M)
    return re.sub(r"^from torch(\S*) import", r"from fastgrad\1 import", source, flags=re.M)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """fastgrad's server and torch's, one thread each (on a busy machine torch's second thread
    makes its small ops slower), started outside the source tree (whose fastgrad folder would
    hide the installed one)."""
    processes = [subprocess.Popen(
        [sys.executable, "-c", SERVER.format(lib, warm)], text=True, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env=dict(os.environ, OMP_NUM_THREADS="1"),
        cwd=tmp_path_factory.mktemp("servers"))
        for lib, warm in (("fastgrad", ""), ("torch", "import torch._dynamo"))]
    yield processes
    for process in processes:
        process.stdin.close()
        process.wait(timeout=60)


def run_both(servers, sources, tmp_path):
    """Each source's printed text, the two programs running at once, each in its own
    directory."""
    directories = []
    for i, (server, source) in enumerate(zip(servers, sources)):
        directories.append(tmp_path / str(i))
        directories[-1].mkdir()
        server.stdin.write(json.dumps([source, str(directories[-1])]) + "\n")
        server.stdin.flush()
    codes = []
    for server in servers:
        if not select.select([server.stdout], [], [], 300)[0]:
            server.kill()  # the tests after this one then fail at once
        codes.append(server.stdout.readline())
    for code, directory in zip(codes, directories):
        assert code, "the server died (or gave no answer in 300 s)"
        assert int(code) == 0, (directory / "stderr").read_text()[-3000:]
    return [(directory / "stdout").read_text() for directory in directories]


def same_text(ours, theirs):
    """Equal line by line, numbers within float32 rounding of each other; a class's module path
    (<class 'fastgrad.nn.parameter.Parameter'>) reads as torch's, objects' addresses
    (<AddBackward0 object at 0x7f...>) are not compared."""
    ours = re.sub(r"\bfastgrad\.", "torch.", ours)
    ours, theirs = (ADDRESS.sub("at 0x", text).splitlines() for text in (ours, theirs))
    assert len(ours) == len(theirs), "\n".join(ours)
    for a, b in zip(ours, theirs):
        assert _text(a) == _text(b), (a, b)
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            assert float(x) == pytest.approx(float(y), rel=1e-4, abs=1e-5), (a, b)


def _text(line):
    """The line without its numbers, nor the spaces around them (numpy pads its columns to the
    widest number's digits)."""
    return re.sub(r" *# *", "#", NUMBER.sub("#", line))


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_learning_code_prints_what_torch_prints(path, servers, tmp_path):
    source = path.read_text()
    same_text(*run_both(servers, [as_fastgrad(source), source], tmp_path))
