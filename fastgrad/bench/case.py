"""`Case`: one piece of work at one size, a callable per implementation, as every cases
module builds them and timing.measure times them."""
from .timing import PAUSE


class Case:
    """One piece of work at one size: a callable per implementation, how much work it is
    (flops or bytes, for the rate), and whether it runs on several threads (then each timed
    block waits for the previous library's idle threads to stop spinning)."""

    def __init__(self, family, size, impls, work, unit, threads=None, parallel=False):
        self.family, self.size, self.impls = family, size, impls
        self.work, self.unit, self.threads = work, unit, threads
        self.pause = PAUSE if parallel and threads != 1 else 0.0
        self.rounds = {}  # implementation -> the median time of each round's block

    @property
    def name(self):
        threads = "" if self.threads is None else f" ({self.threads} thr)"
        return f"{self.family} {self.size}{threads}"
