"""fastgrad.distributed and DistributedDataParallel across two processes: each test launches
one script of tests/distributed/ under `mpiexec -n 2` (the scripts check their results on
every rank and print what they checked). Skipped where mpi4py or mpiexec is missing:
`pip install "fastgrad[distributed]"` installs both."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import fastgrad.distributed as dist

SCRIPTS = pathlib.Path(__file__).resolve().parent / "distributed"


def _mpiexec():
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(
    not dist.is_mpi_available() or _mpiexec() is None,
    reason='mpi4py and mpiexec are not installed (pip install "fastgrad[distributed]")')


def launch(script, timeout=60):
    """Runs a script on two ranks, one thread each; returns (return code, stdout + stderr)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(SCRIPTS / script)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    return done.returncode, done.stdout + done.stderr


def test_without_a_process_group_the_calls_say_so():
    import fastgrad as torch
    assert dist.is_available() and not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(torch.ones(2))


def test_without_mpi4py_init_process_group_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now fails
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    assert not dist.is_mpi_available()
    with pytest.raises(RuntimeError, match=r'pip install "fastgrad\[distributed\]"'):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_reduce_ops_are_numbered_as_torchs():
    real = pytest.importorskip("torch").distributed.ReduceOp
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        assert int(getattr(dist.ReduceOp, name)) == int(getattr(real, name)), name


def test_post_accumulate_grad_hooks_run_as_torchs():
    """The engine's hook DistributedDataParallel builds on: run once the leaf's .grad holds its
    whole gradient, in the order the leaves complete, as torch's."""
    seen = {}
    for L in (pytest.importorskip("torch"), __import__("fastgrad")):
        a, b = L.ones(3, requires_grad=True), L.ones(3, requires_grad=True)
        order = seen[L.__name__] = []
        for name, t in (("a", a), ("b", b)):
            t.register_post_accumulate_grad_hook(
                lambda t, name=name: order.append((name, t.grad.tolist())))
        ((a * 2 + b).sum() * 3 + (a * a).sum()).backward()
        (a + b).sum().backward()  # accumulates; a and b get their own .grad
        assert a.grad is not b.grad
        with pytest.raises(RuntimeError, match="non-leaf"):
            (a * 2).register_post_accumulate_grad_hook(print)
    assert seen["fastgrad"] == seen["torch"]


@needs_mpi
def test_every_collective_matches_its_definition_and_a_rank_that_raises_ends_the_job():
    code, out = launch("collectives.py")
    for rank in (0, 1):
        for name in ("all_reduce SUM torch.float32", "all_reduce AVG torch.float64",
                     "all_reduce PRODUCT torch.int64", "all_reduce MAX torch.float32",
                     "all_reduce MIN torch.int64", "all_reduce async AVG", "reduce",
                     "broadcast", "all_gather [1]", "all_gather_into_tensor",
                     "reduce_scatter MAX", "reduce_scatter_tensor", "all_reduce mismatch",
                     "broadcast mismatch", "done"):
            assert f"rank {rank}: {name}" in out, (name, out)
    assert "rank 1: send/recv ok" in out and "rank 1: recv mismatch named" in out, out
    # the fault at the end: rank 1 raised while rank 0 waited in all_reduce
    assert code != 0, out
    assert "[rank 1] ValueError: rank 1 fails on purpose" in out, out
    assert "rank 1 of 2 raised ValueError; aborting all ranks" in out, out


@needs_mpi
def test_ddp_training_matches_one_process_on_the_combined_batch_and_no_sync_accumulates():
    code, out = launch("ddp.py")
    assert code == 0, out
    for rank in (0, 1):
        for name in ("SGD {} initial broadcast ok", "SGD {} training ok",
                     "Adam {'bucket_cap_mb': 0.0005} training ok",
                     "SGD {'bucket_cap_mb': 0.0005, 'gradient_as_bucket_view': True} training ok",
                     "buckets start during backward", "no_sync keeps the gradient local ok",
                     "no_sync then sync averages the accumulated gradients ok",
                     "kept gradients stay ok", "unused parameters raise, then training goes on ok",
                     "Adam {} training ok", "SGD {'gradient_as_bucket_view': True} training ok",
                     "no_sync then sync averages the accumulated gradients (segments) ok",
                     "done"):
            assert f"rank {rank}: {name}" in out, (name, out)


@pytest.mark.parametrize("n, replicas, shuffle, drop_last", [
    (10, 3, True, False), (10, 3, False, False), (10, 3, True, True), (2, 5, True, False)])
def test_distributed_sampler_gives_torchs_indices(n, replicas, shuffle, drop_last):
    torch = pytest.importorskip("torch")
    from fastgrad.utils.data import DistributedSampler

    for epoch in (0, 3):
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, shuffle, seed=7,
                                      drop_last=drop_last)
            theirs = torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle,
                                                         seed=7, drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval"):
        DistributedSampler(range(n), 3, 3)
