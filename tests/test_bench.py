"""The speed comparison explains itself: its help and footer explain every column, an option
that needs a missing package fails before any timing, and rows whose rounds disagree say so
instead of claiming a win or a loss. (Whole runs take minutes: these check the pieces.)"""
import re
import subprocess
import sys

import pytest

from fastgrad.bench import _optional, cases, report, timing


def run_bench(*args, env_path=None, tmp_path=None):
    env = None
    if env_path is not None:
        import os
        env = dict(os.environ, PYTHONPATH=str(env_path))
    return subprocess.run([sys.executable, "-m", "fastgrad.bench", *args], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, env=env)


def case_with_rounds(rounds):
    case = cases.Case("toy", 10, {}, 80.0, "GB/s")
    case.rounds = rounds
    return case


def test_help_explains_every_column(tmp_path):
    done = run_bench("--help", tmp_path=tmp_path)
    assert done.returncode == 0
    table = report.format_table([case_with_rounds({"fastgrad": [1.0] * 3, "numpy": [1.0] * 3})])
    targets = report.format_targets([("goal", case_with_rounds(
        {"fastgrad": [1.0] * 3, "numpy": [1.0] * 3}), "fastgrad", "numpy", 1.0)])
    columns = set(table.splitlines()[0].replace("vs ", "vs_").split())
    columns |= set(targets.splitlines()[0].split())
    for column in columns:
        word = column.replace("vs_", "vs ")
        if word.startswith("vs "):
            word = "vs X"
        legend_line = rf"^  (\w+, )*{re.escape(word)}\b"  # "  fastgrad, numpy, torch" explains 3
        assert re.search(legend_line, done.stdout, re.M), word
        assert re.search(legend_line, report.COLUMNS, re.M), word
    assert "fastgrad[bench]" in done.stdout


def test_plot_without_matplotlib_fails_before_timing(tmp_path):
    blocker = tmp_path / "matplotlib"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('no matplotlib here')\n")
    done = run_bench("--quick", "--plot", "p.png", env_path=tmp_path, tmp_path=tmp_path)
    assert done.returncode == 2
    assert 'pip install matplotlib (or pip install "fastgrad[bench]")' in done.stderr
    assert "timing" not in done.stdout and not (tmp_path / "p.png").exists()


def test_consistent_rounds_claim_a_result():
    case = case_with_rounds({"fastgrad": [1.0, 1.1, 1.0, 1.05], "numpy": [2.0, 2.1, 2.0, 2.2]})
    assert timing.row_spread(case) < timing.NOISY
    assert report._vs(case, "numpy") == "2.00x"
    assert report.verdict(case, "fastgrad", "numpy", 1.5) == "yes"
    assert report.verdict(case, "fastgrad", "numpy", 2.5) == "NO"
    assert "noisy" not in report.format_table([case])


def test_rounds_on_both_sides_claim_nothing():
    """Rounds where each library wins half the time: a tie, an unclear target, a noisy row."""
    case = case_with_rounds({"fastgrad": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
                             "numpy": [2.0, 1.0, 2.0, 1.0, 2.0, 1.0]})
    assert timing.row_spread(case) > timing.NOISY
    assert report._vs(case, "numpy") == "~1x"
    assert report.verdict(case, "fastgrad", "numpy", 1.0) == "unclear"
    assert report.format_table([case]).splitlines()[-1].endswith("noisy")


def test_one_disturbed_round_does_not_make_a_row_noisy():
    case = case_with_rounds({"fastgrad": [1.0, 1.0, 1.02, 0.99, 1.01, 9.0],
                             "numpy": [2.0, 2.0, 2.01, 2.0, 1.99, 2.0]})
    assert timing.row_spread(case) < timing.NOISY
    assert float(report._vs(case, "numpy").rstrip("x")) == pytest.approx(2.0, abs=0.02)


def test_rounds_alternate_and_pause_on_multithreaded_work(monkeypatch):
    calls, sleeps = [], []
    monkeypatch.setattr(timing.time, "sleep", sleeps.append)
    rounds = timing.time_rounds({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                budget=0.0, pause=0.3)
    assert [len(r) for r in rounds.values()] == [timing.MIN_ROUNDS] * 2
    assert sleeps == [0.3] * (2 * timing.MIN_ROUNDS)
    turns = [k for i, k in enumerate(calls) if i == 0 or calls[i - 1] != k]
    assert turns == ["a", "b"] * timing.MIN_ROUNDS
    assert cases.Case("mm", 1024, {}, 1.0, "", parallel=True).pause == timing.PAUSE
    assert cases.Case("mm", 1024, {}, 1.0, "", threads=1, parallel=True).pause == 0.0


@pytest.mark.parametrize("missing", ["torch", "threadpoolctl"])
def test_a_missing_optional_package_says_how_to_add_it(monkeypatch, missing):
    monkeypatch.setattr(_optional, "torch", None if missing == "torch" else object())
    monkeypatch.setattr(_optional, "threadpoolctl", None if missing == "threadpoolctl" else object())
    note = report.missing_note()
    assert missing in note and 'pip install "fastgrad[bench]"' in note


def test_the_estimate_covers_pauses_and_budget():
    quiet = cases.Case("a", 1, {"x": None, "y": None}, 1.0, "")
    busy = cases.Case("b", 1, {"x": None, "y": None}, 1.0, "", parallel=True)
    assert timing.estimated_seconds([(quiet, 1.0)]) == 1.0
    assert timing.estimated_seconds([(busy, 0.1)]) >= timing.MIN_ROUNDS * 2 * timing.PAUSE
