"""Run under `mpiexec -n 2`: DistributedDataParallel training of a small MLP on two ranks, each
on its half of every batch, gives the parameters one process gets on the whole batches (which
every rank computes itself, for comparison); with SGD+momentum and Adam, with several buckets
and with gradient_as_bucket_view; no_sync accumulates locally, then averages the sum. Then
again with segments of 256 bytes: several segments per bucket, parameters split between them."""
import fastgrad as torch
import fastgrad.distributed as dist
from fastgrad import nn
from fastgrad.nn.parallel import DistributedDataParallel as DDP
from fastgrad.nn.parallel import distributed as ddp_module

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
STEPS, BATCH = 4, 16  # BATCH: the combined batch, split between the ranks


def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def data(step):
    g = torch.Generator().manual_seed(100 + step)
    return torch.randn(BATCH, 5, generator=g), torch.randint(0, 3, (BATCH,), generator=g)


def mine(t):
    part = len(t) // world
    return t[rank * part:(rank + 1) * part]


def report(name, got, expected):
    for (key, a), b in zip(got.items(), expected.values()):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6), (name, key, (a - b).abs().max())
    print(f"rank {rank}: {name} ok", flush=True)


def train(optimizer_class, ddp_options):
    """(DDP's parameters after STEPS steps, one process's on the combined batches)."""
    loss_fn = nn.CrossEntropyLoss()
    reference = mlp(0)
    ddp = DDP(mlp(rank), **ddp_options)  # rank 1's own initial values are replaced by rank 0's
    assert list(ddp.state_dict()) == ["module." + k for k in reference.state_dict()]
    report(f"{optimizer_class.__name__} {ddp_options} initial broadcast", ddp.module.state_dict(),
           reference.state_dict())
    runs = ((ddp, mine), (reference, lambda t: t))
    optimizers = [optimizer_class(model.parameters(), lr=0.05) for model, _ in runs]
    for step in range(STEPS):
        X, y = data(step)
        for (model, part), optimizer in zip(runs, optimizers):
            optimizer.zero_grad()
            loss_fn(model(part(X)), part(y)).backward()
            optimizer.step()
    report(f"{optimizer_class.__name__} {ddp_options} training", ddp.module.state_dict(),
           reference.state_dict())
    return ddp


def sgd(params, lr):
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


sgd.__name__ = "SGD"
train(sgd, {})
ddp = train(torch.optim.Adam, {"bucket_cap_mb": 0.0005})  # ~500 bytes: several buckets
assert len(ddp._buckets) >= 3, len(ddp._buckets)
train(sgd, {"bucket_cap_mb": 0.0005, "gradient_as_bucket_view": True})

# The buckets start during the backward pass: when the gradient reaches the first layer's
# output (before the first layer's own gradients are computed), later layers' buckets have
# started already.
# A collective of the caller's in the middle of backward() (here in a tensor hook) is not
# mixed up with the averaging's.
started, counted = [], []


def count_ranks(g):
    started.append(ddp._next)
    total = torch.ones(3)
    dist.all_reduce(total)
    counted.append(total.tolist())


def watch(module, args, out):
    out.register_hook(count_ranks)


ddp.module[0].register_forward_hook(watch)
X, y = data(0)
nn.CrossEntropyLoss()(ddp(mine(X)), mine(y)).backward()
assert 1 <= started[0] < len(ddp._buckets), (started, len(ddp._buckets))
assert counted == [[world] * 3], counted
print(f"rank {rank}: buckets start during backward ({started[0]} of {len(ddp._buckets)} "
      f"before the first layer's gradients)", flush=True)


def no_sync_then_sync(tag=""):
    """no_sync: the first micro-batch's gradients stay local; the second backward averages
    the sum."""
    loss_fn = nn.CrossEntropyLoss()
    ddp, reference, local = DDP(mlp(0)), mlp(0), mlp(0)
    for model in (ddp, reference, local):
        model.zero_grad()
    X1, y1 = data(7)
    X2, y2 = data(8)
    with ddp.no_sync():
        loss_fn(ddp(mine(X1)), mine(y1)).backward()
    loss_fn(local(mine(X1)), mine(y1)).backward()
    report(f"no_sync keeps the gradient local{tag}",
           {k: p.grad for k, p in ddp.module.named_parameters()}, {k: p.grad for k, p in local.named_parameters()})
    loss_fn(ddp(mine(X2)), mine(y2)).backward()
    (loss_fn(reference(X1), y1) + loss_fn(reference(X2), y2)).backward()
    report(f"no_sync then sync averages the accumulated gradients{tag}",
           {k: p.grad for k, p in ddp.module.named_parameters()},
           {k: p.grad for k, p in reference.named_parameters()})



def kept_grads_stay():
    """A .grad a caller keeps after backward() does not change at the next step; a buffer whose
    views no one holds is refilled rather than made anew."""
    loss_fn, ddp = nn.CrossEntropyLoss(), DDP(mlp(0))
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    X, y = data(3)
    steps = []
    for keep in (True, False, False):
        optimizer.zero_grad()
        loss_fn(ddp(mine(X)), mine(y)).backward()
        optimizer.step()
        kept = [p.grad for p in ddp.parameters()] if keep else []
        steps.append((kept, [g.clone() for g in kept], id(ddp._buckets[0].flat)))
    (kept, values, first), (_, _, second), (_, _, third) = steps
    assert all(torch.equal(a, b) for a, b in zip(kept, values))
    assert second != first and third == second
    print(f"rank {rank}: kept gradients stay ok", flush=True)


kept_grads_stay()


class Partly(nn.Module):
    def __init__(self):
        super().__init__()
        self.unused, self.used = nn.Linear(5, 3), nn.Linear(5, 3)  # used: averaged first

    def forward(self, x, both):
        return self.used(x) + self.unused(x) if both else self.used(x)


def unused_parameters_raise_then_training_goes_on():
    torch.manual_seed(0)
    ddp = DDP(Partly(), bucket_cap_mb=0.00001)  # a bucket per parameter: some start, then raise
    torch.manual_seed(0)
    reference = Partly()
    X, y = data(4)
    try:
        ddp(mine(X), False).sum().backward()
        raise AssertionError("no error for the unused parameters")
    except RuntimeError as e:
        assert "did not receive a gradient" in str(e) and "unused.weight" in str(e), e
    for model in (ddp, reference):
        model.zero_grad()
    nn.CrossEntropyLoss()(ddp(mine(X), True), mine(y)).backward()
    nn.CrossEntropyLoss()(reference(X, True), y).backward()
    report("unused parameters raise, then training goes on",
           {k: p.grad for k, p in ddp.module.named_parameters()},
           {k: p.grad for k, p in reference.named_parameters()})


unused_parameters_raise_then_training_goes_on()

no_sync_then_sync()

ddp_module.SEGMENT_BYTES = 256  # 64 float32: the 5x16 and 16x16 weights are split
ddp = train(torch.optim.Adam, {})
assert [len(b.segments) for b in ddp._buckets] == [7]  # 419 parameters
train(sgd, {"gradient_as_bucket_view": True})
no_sync_then_sync(" (segments)")
dist.destroy_process_group()
print(f"rank {rank}: done", flush=True)
