"""The README cannot go stale: every ```python block runs on its own, as a reader pastes it (a
fresh process in an empty directory), and prints exactly what its comments show.

The convention of the blocks: the lines of output are comment lines at the start of a line
("# " followed by the text, "#" alone for an empty line) right after a line that calls print();
every block prints something."""
import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    """(line number, code) of each ```python block."""
    text = README.read_text()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)]


def shown_output(code):
    """The output a block shows: its comment lines that follow a print() line or each other."""
    shown, after_print = [], False
    for line in code.splitlines():
        if after_print and (line.startswith("# ") or line == "#"):
            shown.append(line[2:])
            continue
        after_print = "print(" in line and not line.lstrip().startswith("#")
    return shown


BLOCKS = python_blocks()


def test_the_readme_has_blocks_and_each_shows_output():
    assert len(BLOCKS) >= 8
    assert all(shown_output(code) for _, code in BLOCKS), [n for n, c in BLOCKS if not shown_output(c)]


@pytest.mark.parametrize("code", [code for _, code in BLOCKS],
                         ids=[f"README.md line {line}" for line, _ in BLOCKS])
def test_block_prints_what_it_shows(code, tmp_path):
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = [line.rstrip() for line in done.stdout.rstrip("\n").split("\n")]
    assert printed == [line.rstrip() for line in shown_output(code)]
