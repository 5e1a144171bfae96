"""The collectives and point-to-point calls, with torch.distributed's names and signatures.
Each hands the tensor's own numpy buffer to MPI (no copy through Python); the arithmetic MPI
does not do (AVG's division) and the copies into a list of tensors run in fastgrad's C. Before
a collective, the ranks exchange their tensors' shapes and dtypes (one small Allgather), so
that a mismatch raises on every rank with both shapes named, instead of corrupting or hanging.
`async_op=True` starts MPI's nonblocking call and returns a Work."""
import numpy as np

from .._autograd import no_grad
from .._dtype import ALL as DTYPES
from .._tensor import Tensor
from ..ops import cat
from ._group import RedOpType, default_group

META = 10  # dtype, ndim, 8 sizes (beyond 8 dims the last holds the product of the rest)


class Work:
    """A collective under way (async_op=True): wait() blocks until it is done and this rank's
    tensors hold the result; is_completed() asks without blocking."""

    def __init__(self, requests, finish=None, tensors=()):
        self._requests = requests
        self._finish = finish
        self._tensors = list(tensors)
        self._done = False

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()

    def wait(self, timeout=None):
        if not self._done:
            self._requests[0].Waitall(self._requests)
            self._complete()
        return True

    def is_completed(self):
        if not self._done and self._requests[0].Testall(self._requests):
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def result(self):
        self.wait()
        return self._tensors

    def __repr__(self):
        return f"Work(completed={self._done})"


def _run(requests, async_op, finish=None, tensors=()):
    work = Work(requests, finish, tensors)
    if async_op:
        return work
    work.wait()
    return None


# ---- checks ---------------------------------------------------------------------------------
def _tensor(t, name, what="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(t).__name__}")
    if not t._a.flags.c_contiguous:
        raise RuntimeError(f"{name}(): Tensors must be contiguous (got a {what} of shape "
                           f"{list(t.shape)} with strides {t.stride()})")
    return t._a


def _writable(t, name):
    a = _tensor(t, name)
    if not a.flags.writeable:
        raise RuntimeError(f"{name}(): the tensor's memory is read-only")
    t._version[0] += 1  # written in place, as any in-place op
    return a


def _meta(t):
    shape = list(t._a.shape)
    if len(shape) > 8:
        shape = shape[:7] + [int(np.prod(shape[7:]))]
    return np.array([DTYPES.index(t.dtype), t._a.ndim] + shape + [0] * (8 - len(shape)),
                    dtype=np.int64)


def _describe(meta):
    return f"{list(int(n) for n in meta[2:2 + min(int(meta[1]), 8)])} ({DTYPES[meta[0]]!r})"


def _same_everywhere(pg, t, name):
    """Raises, on every rank alike, if t's shape or dtype differs across the ranks."""
    mine = _meta(t)
    every = np.empty((pg.size(), META), dtype=np.int64)
    pg.comm.Allgather(mine, every)
    odd = [r for r in range(pg.size()) if not np.array_equal(every[r], every[0])]
    if odd:
        r = odd[0]
        raise RuntimeError(f"{name}(): the tensors differ across ranks: rank 0 has "
                           f"{_describe(every[0])}, rank {r} has {_describe(every[r])}")


def _same_shape(t, other, name, what):
    if other._a.shape != t._a.shape or other.dtype is not t.dtype:
        raise RuntimeError(f"{name}(): each tensor of {what} must have the shape and dtype of "
                           f"the input, {list(t.shape)} ({t.dtype!r}); got {list(other.shape)} "
                           f"({other.dtype!r})")


def _length(items, pg, name, what):
    if len(items) != pg.size():
        raise RuntimeError(f"{name}(): {what} must hold one tensor per rank ({pg.size()}), "
                           f"got {len(items)}")


def _mpi_op(op, t, name):
    """MPI's reduction for ReduceOp op on t's dtype."""
    from mpi4py import MPI
    op = RedOpType(op)
    if t.dtype.np.kind not in "iuf" or t.dtype.itemsize < 4 and t.dtype.np.kind == "f":
        raise RuntimeError(f"{name}(): MPI cannot reduce {t.dtype!r} tensors (reductions take "
                           f"float32, float64 and integer tensors)")
    if op is RedOpType.AVG and not t.dtype.is_floating_point:
        raise RuntimeError(f"{name}(): ReduceOp.AVG needs a floating point tensor, got "
                           f"{t.dtype!r}")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and t.dtype.is_floating_point:
        raise RuntimeError(f"{name}(): {op.name} needs an integer tensor, got {t.dtype!r}")
    return {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
            RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
            RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}[op]


def _averaged(op, t, pg):
    """AVG's second half, after MPI's sum: the division, in fastgrad's C."""
    if RedOpType(op) is not RedOpType.AVG:
        return None

    def divide():
        with no_grad():
            t.div_(pg.size())
    return divide


def _bytes(a):
    from mpi4py import MPI
    return [a, MPI.BYTE]


# ---- collectives ----------------------------------------------------------------------------
def all_reduce(tensor, op=RedOpType.SUM, group=None, async_op=False):
    """Reduces tensor across all ranks in place: every rank ends with the result."""
    pg = default_group(group)
    mpi_op = _mpi_op(op, tensor, "all_reduce")
    _same_everywhere(pg, tensor, "all_reduce")
    from mpi4py import MPI
    a = _writable(tensor, "all_reduce")
    return _run([pg.comm.Iallreduce(MPI.IN_PLACE, a, mpi_op)], async_op,
                _averaged(op, tensor, pg), [tensor])


def reduce(tensor, dst=None, op=RedOpType.SUM, group=None, async_op=False, group_dst=None):
    """Reduces tensor across all ranks into rank dst's tensor (the others' are left as
    they were)."""
    pg = default_group(group)
    dst = _peer(dst, group_dst, pg, "reduce", "dst")
    mpi_op = _mpi_op(op, tensor, "reduce")
    _same_everywhere(pg, tensor, "reduce")
    from mpi4py import MPI
    a = _writable(tensor, "reduce")
    mine = pg.rank() == dst
    request = pg.comm.Ireduce(MPI.IN_PLACE if mine else a, a if mine else None, mpi_op, root=dst)
    return _run([request], async_op, _averaged(op, tensor, pg) if mine else None, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copies rank src's tensor into every rank's tensor."""
    pg = default_group(group)
    src = _peer(src, group_src, pg, "broadcast", "src")
    _same_everywhere(pg, tensor, "broadcast")
    a = _writable(tensor, "broadcast")
    return _run([pg.comm.Ibcast(_bytes(a), root=src)], async_op, None, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[r] receives rank r's tensor, on every rank."""
    pg = default_group(group)
    _length(tensor_list, pg, "all_gather", "tensor_list")
    for out in tensor_list:
        _same_shape(tensor, out, "all_gather", "tensor_list")
        _tensor(out, "all_gather", "tensor_list")
    _same_everywhere(pg, tensor, "all_gather")
    gathered = np.empty((pg.size(),) + tensor._a.shape, dtype=tensor._a.dtype)
    request = pg.comm.Iallgather(_bytes(_tensor(tensor, "all_gather")), _bytes(gathered))

    def scatter_into_list():
        with no_grad():
            for out, part in zip(tensor_list, gathered):
                out.copy_(Tensor(part, tensor.dtype))
    return _run([request], async_op, scatter_into_list, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor (world size times input_tensor's elements) receives every rank's input,
    in rank order, on every rank."""
    pg = default_group(group)
    _sized(output_tensor, input_tensor, pg, "all_gather_into_tensor", "output")
    _same_everywhere(pg, input_tensor, "all_gather_into_tensor")
    request = pg.comm.Iallgather(_bytes(_tensor(input_tensor, "all_gather_into_tensor")),
                                 _bytes(_writable(output_tensor, "all_gather_into_tensor")))
    return _run([request], async_op, None, [output_tensor])


def reduce_scatter(output, input_list, op=RedOpType.SUM, group=None, async_op=False):
    """Rank r's output receives the reduction across ranks of their input_list[r]."""
    pg = default_group(group)
    _length(input_list, pg, "reduce_scatter", "input_list")
    for t in input_list:
        _same_shape(output, t, "reduce_scatter", "input_list")
    with no_grad():
        joined = cat([t.reshape(-1) for t in input_list])  # one buffer for MPI, joined in C
    return _reduce_scatter(output, joined, op, pg, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=RedOpType.SUM, group=None,  # noqa: A002
                          async_op=False):
    """Rank r's output receives the reduction across ranks of the r-th of world-size equal
    parts of their input."""
    pg = default_group(group)
    _sized(input, output, pg, "reduce_scatter_tensor", "input")
    return _reduce_scatter(output, input, op, pg, async_op, "reduce_scatter_tensor")


def _reduce_scatter(output, joined, op, pg, async_op, name):
    mpi_op = _mpi_op(op, output, name)
    _same_everywhere(pg, output, name)
    request = pg.comm.Ireduce_scatter_block(_tensor(joined, name, "input"),
                                            _writable(output, name), mpi_op)
    return _run([request], async_op, _averaged(op, output, pg), [output])


def _sized(big, small, pg, name, what):
    if big.dtype is not small.dtype or big._a.size != pg.size() * small._a.size:
        raise RuntimeError(f"{name}(): the {what} tensor must hold world size ({pg.size()}) "
                           f"times the elements of the other, of the same dtype: got "
                           f"{list(big.shape)} ({big.dtype!r}) and {list(small.shape)} "
                           f"({small.dtype!r})")


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Returns (or its Work completes) once every rank has called barrier."""
    return _run([default_group(group).comm.Ibarrier()], async_op)


# ---- point to point: each message is preceded by the sender's shape and dtype --------------
def _peer(rank, group_rank, pg, name, what):
    rank = rank if rank is not None else group_rank if group_rank is not None else 0
    if not 0 <= rank < pg.size():
        raise ValueError(f"{name}(): {what}={rank} is not a rank of the group (world size "
                         f"{pg.size()})")
    return rank


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Sends tensor to rank dst (which receives it with recv)."""
    pg = default_group(group)
    dst = _peer(dst, group_dst, pg, "send", "dst")
    a = _tensor(tensor, "send")
    pg.comm.Send(_meta(tensor), dest=dst, tag=tag)
    pg.comm.Send(_bytes(a), dest=dst, tag=tag)


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receives into tensor what rank src (any rank if None) sent; returns the sender's rank."""
    from mpi4py import MPI
    pg = default_group(group)
    if src is not None or group_src is not None:
        src = _peer(src, group_src, pg, "recv", "src")
    a = _writable(tensor, "recv")
    theirs, status = np.empty(META, dtype=np.int64), MPI.Status()
    pg.comm.Recv(theirs, source=MPI.ANY_SOURCE if src is None else src, tag=tag, status=status)
    sender = status.Get_source()
    if not np.array_equal(theirs, _meta(tensor)):
        pg.comm.Probe(source=sender, tag=tag, status=status)  # taken, so the sender goes on
        pg.comm.Recv(_bytes(bytearray(status.Get_count(MPI.BYTE))), source=sender, tag=tag)
        raise RuntimeError(f"recv(): rank {sender} sent {_describe(theirs)} into a tensor of "
                           f"{_describe(_meta(tensor))} on rank {pg.rank()}")
    pg.comm.Recv(_bytes(a), source=sender, tag=tag)
    return sender
