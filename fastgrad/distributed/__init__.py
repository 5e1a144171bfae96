"""fastgrad.distributed: torch.distributed's names over MPI (mpi4py), for data-parallel
training on one machine or several: `mpiexec -n 4 python train.py`. mpi4py is optional
(`pip install "fastgrad[distributed]"`); importing this package works without it, and
init_process_group says how to install it."""
from ._collectives import (Work, all_gather, all_gather_into_tensor, all_reduce, barrier,
                           broadcast, recv, reduce, reduce_scatter, reduce_scatter_tensor, send)
from ._group import (Backend, GroupMember, ProcessGroup, ReduceOp, destroy_process_group,
                     get_backend, get_rank, get_world_size, group, init_process_group,
                     is_available, is_initialized, is_mpi_available)

__all__ = ["Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
           "all_gather_into_tensor", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size", "group",
           "init_process_group", "is_available", "is_initialized", "is_mpi_available", "recv",
           "reduce", "reduce_scatter", "reduce_scatter_tensor", "send"]
