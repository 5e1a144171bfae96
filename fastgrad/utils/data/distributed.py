"""DistributedSampler: each rank's share of a dataset's indices, as torch.utils.data's: the
same permutation on every rank (a generator seeded with seed + epoch, and randperm, so the
order is torch's), padded by repeating its start to a multiple of the number of replicas (or
cut, with drop_last), then every num_replicas-th index from this rank's position."""
import math

from ... import distributed as dist
from ..._random import Generator, randperm
from .sampler import Sampler


class DistributedSampler(Sampler):
    """This rank's indices of dataset (num_replicas and rank default to the process group's);
    call set_epoch(epoch) before each epoch to reshuffle."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:  # pad with the first indices, repeated as often as needed
            padding = self.total_size - len(indices)
            indices += (indices * math.ceil(padding / len(indices)))[:padding] if padding else []
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The next iteration's order: with shuffle, each epoch's differs (the same on every
        rank)."""
        self.epoch = epoch
