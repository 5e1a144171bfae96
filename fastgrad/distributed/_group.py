"""The process group: MPI's COMM_WORLD, set up by init_process_group. mpi4py is imported only
then (importing mpi4py.MPI initializes MPI), so that `import fastgrad.distributed` works
without it. From then on an uncaught exception on any rank prints its traceback under the
rank's name and aborts every rank (MPI_Abort), instead of leaving the others waiting forever
in their next collective."""
import enum
import sys
import time
import traceback

INSTALL = 'pip install "fastgrad[distributed]"'
NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                   "init_process_group.")
BACKENDS = ("mpi", "gloo", "cpu:gloo")  # gloo: torch's CPU backend; here MPI carries it too


def is_available():
    """Whether the package is usable here, as torch's: always (the transport, mpi4py, is
    looked for by init_process_group and is_mpi_available)."""
    return True


def is_mpi_available():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


class Backend(str):
    MPI = "mpi"
    GLOO = "gloo"


class ProcessGroup:
    """The world: every process the launcher (mpiexec) started."""

    def __init__(self, comm):
        self.comm = comm
        self.previous_excepthook = None

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def __repr__(self):
        return f"ProcessGroup(backend=mpi, rank={self.rank()}, size={self.size()})"


class group:  # noqa: N801  (torch's name: dist.group.WORLD)
    WORLD = None


GroupMember = group
_state = {"group": None}


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError(f"fastgrad.distributed needs mpi4py and an MPI library: {INSTALL}, "
                           f"then launch with `mpiexec -n 2 python script.py`") from None
    return MPI


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Joins the processes mpiexec started; rank and world size come from MPI (world_size and
    rank, if given, must agree with it)."""
    if _state["group"] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in BACKENDS:
        raise RuntimeError(f"Invalid backend: '{backend}': fastgrad.distributed runs over MPI "
                           f"(backend 'mpi'; 'gloo' is carried over MPI too)")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    for name, given, actual in (("world_size", world_size, comm.Get_size()),
                                ("rank", rank, comm.Get_rank())):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"init_process_group: {name}={given} but MPI started this process "
                             f"with {name} {actual} (launch with mpiexec -n WORLD_SIZE)")
    pg = ProcessGroup(comm)
    pg.previous_excepthook = sys.excepthook
    sys.excepthook = _abort_on_exception
    _state["group"] = GroupMember.WORLD = pg


def _abort_on_exception(kind, value, tb):
    """An uncaught exception on this rank: its traceback, each line under the rank's name, then
    MPI_Abort, which ends every rank of the job (mpiexec returns non-zero)."""
    pg = _state["group"]
    rank, size = pg.rank(), pg.size()
    lines = "".join(traceback.format_exception(kind, value, tb)).splitlines()
    text = "\n".join(f"[rank {rank}] {line}" for line in lines)
    sys.stderr.write(f"{text}\n[rank {rank}] fastgrad.distributed: rank {rank} of {size} raised "
                     f"{kind.__name__}; aborting all ranks\n")
    sys.stderr.flush()
    time.sleep(0.5)  # mpiexec forwards output asynchronously; the abort would drop the traceback
    pg.comm.Abort(1)


def default_group(group=None):
    pg = _state["group"]
    if pg is None:
        raise ValueError(NOT_INITIALIZED)
    if group is not None and group is not pg:
        raise ValueError("fastgrad.distributed has only the default group (group=None or "
                         "dist.group.WORLD)")
    return pg


def is_initialized():
    return _state["group"] is not None


def get_rank(group=None):
    return default_group(group).rank()


def get_world_size(group=None):
    return default_group(group).size()


def get_backend(group=None):
    default_group(group)
    return Backend.MPI


def destroy_process_group(group=None):
    pg = default_group(group)
    sys.excepthook = pg.previous_excepthook
    _state["group"] = GroupMember.WORLD = None


class RedOpType(enum.IntEnum):  # torch's numbering
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class ReduceOp:
    """The reduction of a collective: dist.ReduceOp.SUM, AVG, PRODUCT, MIN, MAX (and the
    bitwise BAND, BOR, BXOR on integer tensors)."""
    RedOpType = RedOpType
    SUM, AVG, PRODUCT = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT
    MIN, MAX = RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR
