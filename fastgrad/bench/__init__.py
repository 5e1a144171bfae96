"""The speed comparison: `fastgrad-bench` (or `python -m fastgrad.bench` outside the source tree).

For elementwise ops, sums, dot, mv and mm, forward and forward plus backward, it times a plain
Python for-loop version (on sizes where the loop ends in seconds), fastgrad, numpy and, when
installed, torch, and prints one table; then the project's speed targets, each as a ratio of
medians.
"""
import argparse
import json
import os
import sys

from . import _optional, cases_conv, cases_models, cases_norm
from . import cases
from .cases import all_cases
from .report import (COLUMNS, HOW_TIMED, INSTALL_EXTRAS, environment, format_table,
                     format_targets, missing_note, plot, to_json)
from .timing import Progress, estimated_seconds, measure, set_threads


def _matplotlib_or_exit(parser):
    """--plot needs matplotlib: checked before any timing, not after minutes of it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        parser.error(f"--plot needs matplotlib: pip install matplotlib (or {INSTALL_EXTRAS})")
    return plt


def _rerun_with_bounded_openmp_spinning(argv):
    """OpenMP runtimes (fastgrad's, and torch's own copy) busy-wait for a long while after a
    parallel region; on a 2-core machine shared with other work, a waiting runtime takes the
    core the next call needs. Passive waiting instead makes every small parallel region pay a
    thread wake-up. So the bench restarts itself with the spinning bounded
    (GOMP_SPINCOUNT=100000, a fraction of a millisecond: back-to-back calls stay hot), unless
    the caller set either variable; it is read when a runtime loads, before this code runs.
    The new process gets this one's sys.path, so it imports the same fastgrad (`python -m`
    would put the working directory first, which in a source checkout is the source folder)."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["GOMP_SPINCOUNT"] = "100000"
    args = sys.argv[1:] if argv is None else list(argv)
    code = f"import sys; sys.path[:] = {sys.path!r}; from fastgrad.bench import main; main()"
    os.execv(sys.executable, [sys.executable, "-c", code, *args])


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="fastgrad-bench", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{HOW_TIMED}\n\n{COLUMNS}\n\nOptional packages: {INSTALL_EXTRAS} adds torch "
               f"(its columns), threadpoolctl (names numpy's BLAS) and matplotlib (--plot).")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds "
                        "(under a minute instead of about a minute and a half)")
    parser.add_argument("--threads", type=int, help="threads for fastgrad, torch and numpy's BLAS")
    parser.add_argument("--json", metavar="FILE", help="also write every round's timing to FILE")
    parser.add_argument("--plot", metavar="FILE.png", help="draw time against size into FILE.png "
                        "(needs matplotlib)")
    parser.add_argument("--no-targets", action="store_true", help="skip the targets section")
    args = parser.parse_args(argv)
    plt = _matplotlib_or_exit(parser) if args.plot else None
    return args, plt


def _about(seconds):
    return f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} minutes"


def main(argv=None):
    _rerun_with_bounded_openmp_spinning(argv)
    args, plt = parse_arguments(argv)
    print("fastgrad-bench: importing torch (if installed) and making the data...", flush=True)
    _optional.load()
    restore = set_threads(args.threads)
    budget = 0.25 if args.quick else 1.0
    comparisons = all_cases(args.quick)
    targets = [] if args.no_targets else [
        row for module in (cases, cases_conv, cases_norm, cases_models)
        for row in module.target_cases(args.quick)]
    for _, case, mine, other, _ in targets:  # time only the two being compared
        case.impls = {k: v for k, v in case.impls.items() if k in (mine, other)}
    work = [(c, budget) for c in comparisons] + [(t[1], 2 * budget) for t in targets]
    seconds = estimated_seconds(work)
    print(environment())
    print(f"timing {len(comparisons)} comparisons and {len(targets)} targets, {_about(seconds)} "
          f"(--help explains every column)", flush=True)
    progress = Progress(seconds)
    measure(work, progress)
    print(format_table(comparisons))
    if targets:
        print()
        print(format_targets(targets))
    print()
    print(COLUMNS)
    note = missing_note()
    if note:
        print(note)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(to_json(comparisons, targets), f, indent=1)
        print(f"timings written to {args.json}")
    if args.plot:
        plot(comparisons, args.plot, plt)
        print(f"plot written to {args.plot}")
    restore()

