"""The speed of data-parallel training over MPI (fastgrad.distributed), on this machine:

    python -m fastgrad.bench.distributed [--rounds 5] [--batch 256]

launches, alternately, `mpiexec -n 1` and `mpiexec -n 2` runs of itself (one thread per
process: OMP_NUM_THREADS=1 and fastgrad.set_num_threads(1)) and prints the medians of:
- training throughput of the MLP of examples/mlp.py (2-64-64-3, Adam) under
  DistributedDataParallel, --batch samples per process per step, in samples per second over all
  processes: two processes against one;
- the cost of averaging the gradients of a 10M-parameter model (10 Linear(1000, 1000)), given
  as .grad, through DistributedDataParallel's hooks and end-of-backward callback, as the
  engine calls them (from the first hook until every .grad holds the average), against MPI's
  own Allreduce (MPI_SUM, in place) on one numpy buffer of as many float32: the issue's
  yardstick. That one call includes MPICH's page faults on a new temporary buffer each time
  (~4,900 for 40 MB on 2 ranks), which DistributedDataParallel avoids by averaging in 1 MiB
  segments, one Iallreduce at a time; so it is also compared with the same bytes in the same
  segments through MPI's Allreduce alone, which leaves only what DistributedDataParallel adds
  (writing the gradients, divided, into its buffer; the bookkeeping).
Needs mpi4py and mpiexec: pip install "fastgrad[distributed]"."""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

STEPS, WARMUP = 60, 10
AVERAGING_REPEATS = 9


def worker(batch):
    import numpy as np
    from mpi4py import MPI

    import fastgrad as torch
    import fastgrad.distributed as dist
    from fastgrad import _post_accumulate, nn
    from fastgrad.nn.parallel import DistributedDataParallel as DDP
    from fastgrad.nn.parallel.distributed import SEGMENT_BYTES

    torch.set_num_threads(1)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    comm = MPI.COMM_WORLD

    torch.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                              nn.Linear(64, 3)))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    X, y = torch.randn(batch, 2), torch.randint(0, 3, (batch,))
    for step in range(WARMUP + STEPS):
        if step == WARMUP:
            comm.Barrier()
            start = time.perf_counter()
        optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        optimizer.step()
    comm.Barrier()
    samples_per_s = world * batch * STEPS / (time.perf_counter() - start)

    big = DDP(nn.Sequential(*[nn.Linear(1000, 1000) for _ in range(10)]))
    params = list(big.parameters())
    grads = [torch.randn(p.shape) for p in params]  # as backward() would make them
    flat = np.ones(sum(p.numel() for p in params), dtype=np.float32)
    step = SEGMENT_BYTES // flat.itemsize
    ddp_times, mpi_times, segment_times = [], [], []
    for _ in range(AVERAGING_REPEATS):  # interleaved
        big.zero_grad()  # set_to_none, as the optimizers' zero_grad
        big._arm(True)   # what big's forward does
        for p, g in zip(params, grads):
            p.grad = g
        comm.Barrier()
        start = time.perf_counter()
        for p in reversed(params):  # as the engine calls them during backward
            _post_accumulate.run_hooks(p)
        for fn in _post_accumulate.take_callbacks():
            fn()
        ddp_times.append(time.perf_counter() - start)
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, flat, MPI.SUM)
        mpi_times.append(time.perf_counter() - start)
        comm.Barrier()
        start = time.perf_counter()
        for i in range(0, flat.size, step):
            comm.Allreduce(MPI.IN_PLACE, flat[i:i + step], MPI.SUM)
        segment_times.append(time.perf_counter() - start)
    if rank == 0:
        print(json.dumps({"world": world, "samples_per_s": samples_per_s,
                          "ddp_average_s": statistics.median(ddp_times),
                          "mpi_allreduce_s": statistics.median(mpi_times),
                          "mpi_segments_s": statistics.median(segment_times),
                          "parameters": int(flat.size)}), flush=True)


def launch(n, batch):
    mpiexec = pathlib.Path(sys.executable).parent / "mpiexec"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", str(n), sys.executable,
               "-m", "fastgrad.bench.distributed", "--worker", "--batch", str(batch)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"mpiexec -n {n} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256, help="samples per process per step")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.batch)
    runs = {1: [], 2: []}
    for r in range(args.rounds):
        for n in (1, 2):
            runs[n].append(launch(n, args.batch))
            print(f"round {r + 1}, {n} process(es): {json.dumps(runs[n][-1])}", flush=True)
    one, two = (statistics.median(run["samples_per_s"] for run in runs[n]) for n in (1, 2))
    ddp, mpi, segments = (statistics.median(run[key] for run in runs[2])
                          for key in ("ddp_average_s", "mpi_allreduce_s", "mpi_segments_s"))
    print(f"MLP training, batch {args.batch} per process, one thread each: 1 process "
          f"{one:,.0f} samples/s, 2 processes {two:,.0f} samples/s: {two / one:.2f}x")
    print(f"averaging the gradients of {runs[2][0]['parameters']:,} parameters on 2 processes: "
          f"DistributedDataParallel {ddp * 1e3:.1f} ms, MPI's Allreduce {mpi * 1e3:.1f} ms: "
          f"{ddp / mpi:.2f}x; MPI's Allreduce in DistributedDataParallel's segments "
          f"{segments * 1e3:.1f} ms: {ddp / segments:.2f}x")


if __name__ == "__main__":
    main()
