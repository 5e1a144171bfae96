"""DistributedDataParallel: one replica of the model per process, the same parameters on every
rank, and gradients averaged across ranks during backward(), as torch's.

The averaging is bucketed as torch's: the parameters, in reverse order (about the order their
gradients become complete), are grouped into buckets of at most bucket_cap_mb (the first one
1 MiB, to start early); a bucket is one contiguous buffer. The engine calls a parameter's
post-accumulate-grad hook as soon as its gradient is complete; when a bucket's last gradient
is in, the bucket is queued for averaging, while the rest of the backward pass goes on.
Buckets are queued in order, so every rank issues the same collectives in the same order.

A bucket is averaged in segments of SEGMENT_BYTES, one MPI Iallreduce at a time: a segment is
prepared (its gradients, divided by the world size, written into the bucket's buffer: one C
pass each, as torch's mul_out) just before its Iallreduce starts, while its memory is still in
the cache, and the next starts when the one before has completed (at the next hook, or at the
end of backward()). Measured with MPICH on 2 ranks over shared memory: an Allreduce of a 40 MB
buffer touches a new temporary buffer each call (~4,900 page faults, half the bytes) and took
2-5 times as long as the same bytes in 1 MiB calls (no page faults); several collectives in
flight at once were as slow as the one large call.

A callback at the end of backward() waits for the rest and puts the averages in .grad: a .grad
that existed before the forward pass (accumulation) is overwritten in place; one that
backward() made becomes the view of the buffer (no copy back). The next step writes into the
same buffer if no one holds it or a view of it any more (zero_grad() dropped those .grad), and
into a new one otherwise, so that no .grad a caller kept changes under it (a new buffer each
step would cost its page faults: 40 MB took longer than averaging them);
gradient_as_bucket_view=True keeps one buffer and makes every .grad a view of it, as torch's."""
import collections
import contextlib
import functools
import sys
import weakref

import numpy as np

from ... import _kernels as K
from ... import _post_accumulate
from ..._fastgrad_c import lib as C
from ..._autograd import is_grad_enabled
from ..._creation import zeros_like
from ..._tensor import Tensor
from ...distributed._group import default_group
from ...ops._core import scalar_tensor
from ..module import Module

FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES
BUCKET_CAP_MB = 25
SEGMENT_BYTES = 1024 * 1024  # measured on 2 ranks: 1-4 MiB calls fastest, 256 KiB slower


class _Bucket:
    """Parameters of one dtype whose gradients are averaged together, over one buffer."""

    def __init__(self, params):
        self.params = params
        self.dtype = params[0].dtype
        self.allocate()
        self.reset()

    def allocate(self):
        self._new_buffer()
        self.own_refs = self._refs()  # here, where no local variable holds a view

    def _new_buffer(self):
        """A new buffer, the view of it for each parameter's gradient, and its segments:
        (pieces, the part of the buffer they fill), a piece being (parameter index, first and
        end element of the parameter, the part of the buffer it fills)."""
        sizes = [p._a.size for p in self.params]
        self.flat = np.empty(sum(sizes), dtype=self.dtype.np)
        starts = np.cumsum([0] + sizes).tolist()
        self.views = [Tensor(self.flat[start:start + p._a.size].reshape(p._a.shape), self.dtype)
                      for p, start in zip(self.params, starts)]
        step, self.segments = max(SEGMENT_BYTES // self.flat.itemsize, 1), []
        for lo in range(0, self.flat.size, step):
            hi, pieces = min(lo + step, self.flat.size), []
            for i, (start, end) in enumerate(zip(starts, starts[1:])):
                first, last = max(lo, start), min(hi, end)
                if first < last:
                    whole = first == start and last == end
                    out = self.views[i] if whole else Tensor(self.flat[first:last], self.dtype)
                    pieces.append((i, first - start, last - start, out))
            self.segments.append((pieces, self.flat[lo:hi]))
        self.lent = False  # whether a view became a .grad
        for v in self.views:
            v._ptr  # noqa: B018  (made now: the pointer the kernels cache holds the array)

    def _refs(self):
        """The references to the buffer and to each view (as tensor and as array), less the
        .grad it is: as many as at allocate() while no one else holds any."""
        return (sys.getrefcount(self.flat),
                [(sys.getrefcount(v) - (p._grad is v), sys.getrefcount(v._a))
                 for p, v in zip(self.params, self.views)])

    def reset(self):
        self.pending = len(self.params)
        self.ready = [False] * len(self.params)
        self.had_grad = [p._grad is not None for p in self.params]  # before this forward

    def start(self, ddp, factor):
        """The bucket's segments, each a function that prepares it and starts its averaging."""
        if self.lent and not ddp.gradient_as_bucket_view and self._refs() != self.own_refs:
            self.allocate()  # a .grad lent before is still held: it must not change
        return [functools.partial(self._segment, ddp._comm, factor, *segment)
                for segment in self.segments]

    def _segment(self, comm, factor, pieces, flat):
        """Writes the segment's gradients, divided by the world size, into it; starts summing
        it across the ranks."""
        from mpi4py import MPI
        for i, first, end, out in pieces:
            g = self.params[i]._grad
            if out is not self.views[i]:  # a part of a parameter split between segments
                g = Tensor(g._a.reshape(-1)[first:end], self.dtype)
            K.elementwise(C.FG_MUL, self.dtype, self.dtype, (g, factor), out=out)
        return comm.Iallreduce(MPI.IN_PLACE, flat, MPI.SUM)

    def finish(self, as_view):
        """After the averaging: the averages into .grad."""
        for p, view, had in zip(self.params, self.views, self.had_grad):
            if p._grad is view:
                continue
            if had and not as_view:
                K.copy_into(p._grad, view)
                p._grad._version[0] += 1
            else:
                p.grad = view
                self.lent = True


def _buckets(params, cap_bytes):
    """Reverse parameter order, split by dtype and by size: the first bucket at most 1 MiB,
    the others at most cap_bytes."""
    buckets, open_ = [], {}  # dtype -> (params, bytes) of the bucket being filled
    for p in reversed(params):
        cap = cap_bytes if buckets else min(cap_bytes, FIRST_BUCKET_BYTES)
        members, size = open_.get(p.dtype, ([], 0))
        if members and size + p._a.nbytes > cap:
            buckets.append(_Bucket(members))
            members, size = [], 0
        open_[p.dtype] = (members + [p], size + p._a.nbytes)
    buckets.extend(_Bucket(members) for members, _ in open_.values())
    return buckets


class DistributedDataParallel(Module):
    """Wraps module for data-parallel training: construct it on every rank after
    init_process_group; rank 0's parameters and buffers are copied to all. Then each rank
    runs forward and backward on its own part of the batch, and after backward() every rank's
    .grad holds the average over the ranks, so that any optimizer takes the same step
    everywhere."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        self.process_group = default_group(process_group)
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self._params = [p for p in dict.fromkeys(module.parameters()) if p.requires_grad]
        self._has_buffers = any(b is not None for b in module.buffers())
        if not self._params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self._verify_same_model()
        if init_sync:
            self._broadcast(list(module.parameters()) + list(module.buffers()))
        cap = int((BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._buckets = _buckets(self._params, max(cap, 1))
        self._armed = False  # this forward's backward averages (forward ran outside no_sync)
        self._next = 0       # the next bucket to start: buckets start in order on every rank
        # The averaging's own communicator: when a segment starts depends on when the one before
        # completed, which differs across ranks; a collective the caller issues meanwhile (in a
        # hook) must not be matched against one of them.
        self._comm = self.process_group.comm.Dup()
        self._segments = collections.deque()  # of the started buckets, to start in order
        self._request = None  # the segment under way (one at a time)
        me = weakref.ref(self)
        for b, bucket in enumerate(self._buckets):
            for i, p in enumerate(bucket.params):
                p.register_post_accumulate_grad_hook(functools.partial(_on_grad, me, b, i))

    def _verify_same_model(self):
        comm = self.process_group.comm
        mine = [(name, tuple(p.shape), str(p.dtype))
                for name, p in self.module.named_parameters() if p.requires_grad]
        for rank, theirs in enumerate(comm.allgather(mine)):
            if theirs != mine:
                diff = next((a, b) for a, b in zip(mine + [None] * len(theirs),
                                                   theirs + [None] * len(mine)) if a != b)
                raise RuntimeError(f"DistributedDataParallel: the model differs across ranks: "
                                   f"rank {comm.Get_rank()} has parameter {diff[0]}, rank "
                                   f"{rank} has {diff[1]}")

    def _broadcast(self, tensors):
        from mpi4py import MPI
        comm = self.process_group.comm
        for t in tensors:
            comm.Bcast([t._a, MPI.BYTE], root=0)
            t._version[0] += 1

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.training and self._has_buffers:
            self._broadcast([b for b in self.module.buffers() if b is not None])
        self._arm(self.require_backward_grad_sync and is_grad_enabled())
        return self.module(*inputs, **kwargs)

    def _arm(self, armed):
        if self._armed and self._next:  # a backward that failed half-way: finish its work
            self._wait_all()
        for bucket in self._buckets:
            bucket.reset()
        self._next = 0
        self._armed = armed
        self._queued = False

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, forward passes make backward passes that only accumulate .grad locally;
        the first backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ---- during backward -----------------------------------------------------------------
    def _grad_ready(self, b, i):
        if not self._queued:
            _post_accumulate.queue_callback(self._finish)
            self._queued = True
        bucket = self._buckets[b]
        if not bucket.ready[i]:
            bucket.ready[i] = True
            bucket.pending -= 1
            if bucket.pending == 0 and b == self._next:
                self._start_ready_buckets()
        if self._segments:
            self._pump(block=False)

    def _start_ready_buckets(self):
        factor = None
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            bucket = self._buckets[self._next]
            if factor is None or factor.dtype is not bucket.dtype:
                factor = scalar_tensor(1 / self.process_group.size(), bucket.dtype)
            self._segments.extend(bucket.start(self, factor))
            self._next += 1

    def _pump(self, block):
        """Starts the queued segments in order, each once the one before has completed;
        without block, only as far as that needs no waiting."""
        while True:
            if self._request is not None:
                if block:
                    self._request.Wait()
                elif not self._request.Test():
                    return
                self._request = None
            if not self._segments:
                return
            self._request = self._segments.popleft()()

    def _finish(self):
        """At the end of backward(): every bucket started, waited for, averaged into .grad."""
        if self.find_unused_parameters:
            self._mark_unused_ready()
        if self._next < len(self._buckets):
            missing = [name for name, p in self.module.named_parameters()
                       if any(p is q and not bucket.ready[i] for bucket in self._buckets
                              for i, q in enumerate(bucket.params))]
            self._pump(block=True)  # what started ends, as on the other ranks
            self._armed = False
            raise RuntimeError(
                f"DistributedDataParallel: rank {self.process_group.rank()}: parameters that "
                f"did not receive a gradient in this backward pass: {missing}. Every rank must "
                f"average every parameter's gradient; pass find_unused_parameters=True if some "
                f"parameters are not used in producing the loss.")
        self._wait_all()

    def _mark_unused_ready(self):
        for bucket in self._buckets[self._next:]:
            for i, p in enumerate(bucket.params):
                if not bucket.ready[i]:
                    if p.grad is None:  # contributes zeros; gets the average
                        p.grad = zeros_like(p)
                    bucket.ready[i] = True
                    bucket.pending -= 1
        self._start_ready_buckets()

    def _wait_all(self):
        self._pump(block=True)
        for bucket in self._buckets[:self._next]:
            bucket.finish(self.gradient_as_bucket_view)
        self._armed = False
        self._next = 0


def _on_grad(ddp_ref, b, i, param):
    """A parameter's post-accumulate-grad hook: its gradient is complete."""
    ddp = ddp_ref()
    if ddp is not None and ddp._armed:
        ddp._grad_ready(b, i)

