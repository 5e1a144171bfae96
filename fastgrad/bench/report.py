"""What is printed and written: the legend of the columns, the comparison's and the targets'
tables and verdicts, the note on missing optional packages, the environment, JSON and the plot."""
import os

import numpy as np

import fastgrad as fg

from . import _optional
from .timing import NOISY, median, quartiles, ratios, row_spread


# ---- reporting ---------------------------------------------------------------------------------
COLUMNS = """\
columns of the comparison:
  work       the operation and its size (elements, or n for n x n matrices); "fwd+bwd" is
             the forward pass and backward() with a fixed upstream gradient
  loop       a plain-Python for-loop version (only on sizes where it ends in seconds)
  fastgrad, numpy, torch
             median time of one call (medians of the rounds, each round a block of calls)
  rate       fastgrad's throughput: bytes read and written, or floating-point operations
  vs X       X's time / fastgrad's, the median over the rounds (each round times both, one
             after the other): above 1, fastgrad is faster; "~1x": the rounds disagree on
             which is faster (a noisy row)
  spread     how far the rounds are apart: the width of their middle half (upper minus lower
             quartile) over the median, for the library whose rounds differ most; above 25%
             the row says "noisy" and claims no win or loss
columns of the targets:
  target     a speed goal of the project
  against    the library it is measured against (numpy, torch, or fastgrad's own A B)
  fastgrad, other
             the median times of the two
  ratio      other's time / fastgrad's, the median over the rounds (above 1: fastgrad is faster)
  rounds     the middle half of the rounds' ratios (lower to upper quartile)
  goal       the ratio the project aims for
  met        yes / NO, or "unclear" when the middle half of the rounds lies on both sides of
             the goal and is wider than 25% of the ratio"""

HOW_TIMED = """\
Every implementation is timed in turn, round after round (at least 3 rounds): each block opens
with untimed calls, and on multi-threaded work with a 0.3 s pause, so that no library pays for
the idle threads of the one before it."""


def _t(s):
    if s is None:
        return "-"
    return f"{s * 1e3:.2f}ms" if s >= 1e-3 else f"{s * 1e6:.1f}us"


def _vs(case, other):
    if median(case, other) is None or median(case, "fastgrad") is None:
        return "-"
    low, mid, high = quartiles(ratios(case, other, "fastgrad"))
    if row_spread(case) > NOISY and low < 1 < high:
        return "~1x"
    return f"{mid:.2f}x"


def format_table(cases):
    header = (f"{'work':<26}{'loop':>10}{'fastgrad':>11}{'numpy':>11}{'torch':>11}{'rate':>15}"
              f"{'vs loop':>9}{'vs numpy':>9}{'vs torch':>9}{'spread':>8}")
    lines = [header, "-" * len(header)]
    for c in cases:
        mine = median(c, "fastgrad")
        rate = f"{c.work / mine / 1e9:.1f} {c.unit}" if mine and c.work else "-"
        noisy = row_spread(c)
        lines.append(f"{c.name:<26}{_t(median(c, 'loop')):>10}{_t(mine):>11}"
                     f"{_t(median(c, 'numpy')):>11}{_t(median(c, 'torch')):>11}{rate:>15}"
                     f"{_vs(c, 'loop'):>9}{_vs(c, 'numpy'):>9}{_vs(c, 'torch'):>9}"
                     f"{noisy:>7.0%}" + ("  noisy" if noisy > NOISY else ""))
    return "\n".join(lines)


def verdict(case, mine, other, goal):
    low, mid, high = quartiles(ratios(case, other, mine))
    if (high - low) / mid > NOISY and low < goal <= high:
        return "unclear"
    return "yes" if mid >= goal else "NO"


def format_targets(targets):
    header = (f"{'target':<40}{'against':>9}{'fastgrad':>11}{'other':>11}{'ratio':>8}"
              f"{'rounds':>14}{'goal':>7}  met")
    lines = [header, "-" * len(header)]
    for desc, case, mine, other, goal in targets:
        if other not in case.rounds:
            lines.append(f"{desc:<40}{other:>9}{_t(median(case, mine)):>11}{'-':>11}{'-':>8}"
                         f"{'-':>14}{goal:>6.2f}x  ({other} is not installed)")
            continue
        low, mid, high = quartiles(ratios(case, other, mine))
        lines.append(f"{desc:<40}{other.split()[0]:>9}{_t(median(case, mine)):>11}"
                     f"{_t(median(case, other)):>11}"
                     f"{mid:>7.2f}x"
                     f"{f'{low:.2f}-{high:.2f}x':>14}{goal:>6.2f}x  "
                     f"{verdict(case, mine, other, goal)}")
    return "\n".join(lines)


INSTALL_EXTRAS = 'pip install "fastgrad[bench]"'


def missing_note():
    """What an optional package would add, and the command that installs it."""
    missing = [name for name, mod in (("torch", _optional.torch),
                                      ("threadpoolctl", _optional.threadpoolctl))
               if mod is None]
    if not missing:
        return ""
    return (f"not installed: {' and '.join(missing)} (the torch columns and targets show '-'"
            f" without torch; threadpoolctl names numpy's BLAS kernel). {INSTALL_EXTRAS} adds "
            f"torch, threadpoolctl and matplotlib.")


def environment():
    torch, threadpoolctl = _optional.torch, _optional.threadpoolctl
    lines = [f"fastgrad {fg.__version__}: {fg.get_num_threads()} thread(s), kernels for "
             f"{fg.isa()}; numpy {np.__version__}" +
             ("" if torch is None else f"; torch {torch.__version__} ({torch.get_num_threads()} thread(s))") +
             "".join(f"; {v}={os.environ[v]}" for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
                     if v in os.environ)]
    if threadpoolctl is not None:
        for info in threadpoolctl.threadpool_info():
            if info.get("internal_api") in ("openblas", "mkl", "blis"):
                lines.append(f"numpy's BLAS: {info['internal_api']} {info.get('version')}, kernel "
                             f"{info.get('architecture')}, {info.get('num_threads')} thread(s)")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            lines.append(f"warning: {var}={os.environ[var]} forces numpy onto an older OpenBLAS "
                         f"kernel; unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for its best speed")
    return "\n".join(lines)


def to_json(cases, targets):
    def case_dict(c):
        return {"name": c.name, "family": c.family, "size": c.size, "threads": c.threads,
                "work": c.work, "unit": c.unit, "round_median_seconds": c.rounds,
                "median_seconds": {lib: median(c, lib) for lib in c.rounds}}
    return {"environment": environment(), "cases": [case_dict(c) for c in cases],
            "targets": [{"target": d, "mine": mine, "other": other, "goal": goal,
                         "ratio": quartiles(ratios(c, other, mine))[1] if other in c.rounds else None,
                         "case": case_dict(c)} for d, c, mine, other, goal in targets]}


def plot(cases, path, plt):
    """Time against size, one panel per kind of work, in a grid of up to four columns."""
    families = {}
    for c in cases:
        families.setdefault(c.family, []).append(c)
    cols = min(4, len(families))
    rows = -(-len(families) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(families):]:
        ax.set_visible(False)
    for ax, (family, group) in zip(axes.flat, families.items()):
        for lib, color in (("loop", "tab:gray"), ("fastgrad", "tab:orange"),
                           ("numpy", "tab:blue"), ("torch", "tab:red")):
            points = [(c.size, median(c, lib)) for c in group if lib in c.rounds]
            if points:
                ax.loglog(*zip(*points), marker="o", label=lib, color=color)
        ax.set_title(family)
        ax.set_xlabel("size (elements, or n of n x n)")
        ax.set_ylabel("seconds per call (median)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"fastgrad {fg.__version__} speed comparison ({fg.isa()}, "
                 f"{fg.get_num_threads()} threads)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)

