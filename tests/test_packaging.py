"""Packaging, as a user meets it: `python -m build` makes an sdist and a wheel from the repo; the
sdist holds what building needs and no working-tree junk; the wheel holds the compiled extension;
and `pip install fastgrad-*.tar.gz` in a fresh virtual environment (a real build from the sdist,
its build requirements fetched by pip's build isolation) gives a fastgrad that imports from that
environment and differentiates.

Slow (about a minute: two C builds and two isolated build environments), so marked `slow`; plain
`pytest` still runs it (`pytest -m "not slow"` leaves it out). It needs a C compiler and the
package index, like `pip install .` itself.

Every subprocess runs without the sanitizer variables: under the sanitizer run of .ci/run,
pytest has the ASan runtime in LD_PRELOAD, which pip, CMake and the compiler must not inherit.
"""
import os
import pathlib
import subprocess
import sys
import tarfile
import zipfile

import pytest

pytestmark = pytest.mark.slow

REPO = pathlib.Path(__file__).resolve().parent.parent
NAME = "fastgrad-0.1.0"  # checked against pyproject.toml below

# Variables the child processes must not see: the sanitizer runtime and its options (.ci/run's
# second pass), and anything that would point the fresh environment's Python at other code.
SCRUB = ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PYTHONPATH",
         "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "PIP_NO_BUILD_ISOLATION",
         "PIP_TARGET", "PIP_PREFIX", "PIP_USER")

# What the sdist must hold to build: the build description, the C, the cffi wrapper emitter.
NEEDED_IN_SDIST = ["pyproject.toml", "CMakeLists.txt", "README.md", "LICENSE", "PKG-INFO",
                   "tools/build_ffi.py", "fastgrad/__init__.py"]
# Path parts that are never source: environments, build output, caches, VCS, compiled objects.
JUNK_DIRS = {".git", "build", "dist", "_skbuild", "wheelhouse", "__pycache__", ".hypothesis",
             ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox", ".ci"}
JUNK_SUFFIXES = (".so", ".o", ".a", ".pyc", ".pyo", ".pyd", ".dylib", ".egg-info")

# Runs in the fresh environment, from a directory outside the repo, with `python -I`.
CHECK_SCRIPT = r"""
import pathlib, sys
import fastgrad as torch
from fastgrad import _fastgrad_c

print("fastgrad", torch.__version__, "from", torch.__file__)
print("extension", _fastgrad_c.__file__)
print("isa", torch.isa(), "threads", torch.get_num_threads())
prefix = pathlib.Path(sys.prefix).resolve()
for f in (torch.__file__, _fastgrad_c.__file__):
    assert prefix in pathlib.Path(f).resolve().parents, f"{f} is not under {prefix}"

x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
(x * x).sum().backward()
print("grad", x.grad.tolist())
assert x.grad.tolist() == [2.0, -4.0, 6.0], x.grad

A = torch.arange(6.0).reshape(2, 3)
A.requires_grad_(True)
torch.mm(A, A.t()).sum().backward()       # d/dA sum(A A^T) = 2 * (column sums of A) per row
print("mm grad", A.grad.tolist())
assert A.grad.tolist() == [[6.0, 10.0, 14.0]] * 2, A.grad
print("OK")
"""


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(cmd, what, timeout, **kwargs):
    """Run cmd without the sanitizer variables; on failure, show its whole output."""
    try:
        done = subprocess.run([str(c) for c in cmd], env=clean_env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        out = e.output.decode(errors="replace") if isinstance(e.output, bytes) else e.output
        pytest.fail(f"{what}: timed out after {timeout}s: {cmd}\n--- output ---\n{out or ''}",
                    pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"{what}: exit status {done.returncode}: {cmd}\n--- output ---\n"
                    f"{done.stdout}", pytrace=False)
    return done.stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """(sdist, wheel) made by `python -m build` from the repo root into a temporary directory."""
    try:
        import build  # noqa: F401  (pypa/build, in the `test` extra)
    except ImportError:
        message = "`build` is not installed: pip install '.[test]' brings it"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'version = "{NAME.split("-")[1]}"' in pyproject, "update NAME in this test"
    out = tmp_path_factory.mktemp("dist")
    # Default: the sdist first, then the wheel built from the unpacked sdist (so the wheel also
    # proves the sdist is complete), each in its own isolated build environment.
    log = run([sys.executable, "-m", "build", "--outdir", out, REPO], "python -m build",
              timeout=900, cwd=out)
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, (sorted(out.iterdir()), log)
    assert sdists[0].name == f"{NAME}.tar.gz", sdists
    return sdists[0], wheels[0]


def test_sdist_has_the_sources_and_no_junk(dists):
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        members = [m.name for m in tar.getmembers() if not m.isdir()]
    assert all(m.startswith(NAME + "/") for m in members), members
    files = {m[len(NAME) + 1:] for m in members}
    listing = "\n".join(sorted(files))

    missing = [f for f in NEEDED_IN_SDIST if f not in files]
    assert not missing, f"missing from the sdist: {missing}\n{listing}"
    # Every C source and header in the repo's csrc/ (tracked or just added) is in the sdist.
    csrc = {p.relative_to(REPO).as_posix() for p in (REPO / "csrc").iterdir()
            if p.suffix in (".c", ".h")}
    assert csrc, "no C sources found in the repo"
    assert not csrc - files, f"C sources missing from the sdist: {sorted(csrc - files)}"
    # Every file CMakeLists.txt names under csrc/ (the FG_SOURCES list, gemm.c) is there.
    for token in (REPO / "CMakeLists.txt").read_text().replace(")", " ").split():
        if token.endswith(".c") and "/" not in token and "$" not in token:
            assert f"csrc/{token}" in files, f"CMakeLists.txt builds csrc/{token}: not in sdist"
    assert any(f.startswith("tests/test_") for f in files), "tests are not in the sdist"

    junk = sorted(f for f in files
                  if JUNK_DIRS.intersection(f.split("/")[:-1])
                  or any(part.startswith((".venv", "venv")) for part in f.split("/"))
                  or f.endswith(JUNK_SUFFIXES) or ".egg-info/" in f)
    assert not junk, f"junk in the sdist: {junk}"
    hidden = sorted(f for f in files if any(part.startswith(".") for part in f.split("/")))
    assert not hidden, f"hidden files in the sdist: {hidden}"


def test_wheel_has_the_compiled_extension(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
    ext = [n for n in names if n.startswith("fastgrad/_fastgrad_c.") and n.endswith(".so")]
    assert len(ext) == 1, f"the wheel has no compiled extension: {names}"
    assert "fastgrad/__init__.py" in names and "fastgrad/nn/__init__.py" in names, names
    assert not [n for n in names if n.startswith(("csrc/", "tests/", "tools/"))], names
    assert wheel.name.startswith(NAME + "-cp"), wheel.name


def test_sdist_installs_and_runs_in_a_fresh_venv(dists, tmp_path):
    sdist, _ = dists
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], "creating a virtual environment", timeout=300)
    python = venv / "bin" / "python"
    # The user's path: pip builds the sdist (isolated build environment: scikit-build-core, cffi,
    # and CMake and ninja where the machine's are missing) and installs numpy and cffi.
    run([python, "-m", "pip", "install", sdist], f"pip install {sdist.name} into a fresh venv",
        timeout=900, cwd=tmp_path)
    # Outside the repo and with -I (no PYTHON* variables, no script directory on sys.path):
    # only the installed copy can be imported.
    out = run([python, "-I", "-c", CHECK_SCRIPT], "importing and using the installed fastgrad",
              timeout=300, cwd=tmp_path)
    print(out)  # shown with -s, or with the failure report
    assert out.rstrip().endswith("OK"), out
    installed = next(line for line in out.splitlines() if line.startswith("fastgrad "))
    assert str(REPO) not in installed, f"imported the repo's copy: {installed}"
