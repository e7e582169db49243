"""Several processes, one training run: started by torchrun (which sets RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR and MASTER_PORT), gloo on CPUs, NCCL on GPUs. Without torchrun
everything here is the one-process identity, so train.py has one code path.

    /usr/bin/python3 -m torch.distributed.run --nproc_per_node 2 training/train.py ...   # one machine
    torchrun --nnodes 2 --node_rank R --master_addr HOST --nproc_per_node 8 training/train.py ...
"""
import os

import torch
import torch.distributed as dist


class Distributed:
    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.enabled = self.world > 1
        self.device = torch.device("cpu")
        if self.enabled:
            cuda = torch.cuda.is_available()
            if cuda:
                self.device = torch.device("cuda", self.local_rank)
                torch.cuda.set_device(self.device)
            dist.init_process_group(backend="nccl" if cuda else "gloo")

    @property
    def is_main(self):
        return self.rank == 0

    def rows(self, global_batch):
        """This rank's slice of each global batch (the batch must split evenly)."""
        if global_batch % self.world:
            raise SystemExit(f"--batch {global_batch} (the global batch) must be a multiple of the {self.world} processes")
        per = global_batch // self.world
        return slice(self.rank * per, (self.rank + 1) * per)

    def max(self, value):
        """The largest value over all ranks (decisions that must agree: time spent, stopping)."""
        if not self.enabled:
            return value
        t = torch.tensor([float(value)], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())

    def mean(self, value):
        """The mean over ranks (each rank's loss is the mean of its equal-sized slice)."""
        if not self.enabled:
            return value
        t = torch.tensor([float(value)], device=self.device)
        dist.all_reduce(t)
        return float(t.item()) / self.world

    def gather_rows(self, tensor):
        """Concatenates each rank's rows in rank order (sharded sampling and evaluation)."""
        if not self.enabled:
            return tensor
        tensor = tensor.to(self.device).contiguous()
        sizes = [torch.zeros(1, dtype=torch.long, device=self.device) for _ in range(self.world)]
        dist.all_gather(sizes, torch.tensor([tensor.shape[0]], device=self.device))
        biggest = int(max(s.item() for s in sizes))
        padded = torch.zeros((biggest, *tensor.shape[1:]), dtype=tensor.dtype, device=self.device)
        padded[: tensor.shape[0]] = tensor
        parts = [torch.zeros_like(padded) for _ in range(self.world)]
        dist.all_gather(parts, padded)
        return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes)]).cpu()

    def barrier(self):
        if self.enabled:
            dist.barrier()

    def close(self):
        """The end of a run: every rank waits for the others here. The process group itself is
        left to the process's exit: destroying it can spin forever in a rank whose store host
        (rank 0) has already exited (seen with torch 1.13 and gloo, one run in a few)."""
        if self.enabled:
            dist.barrier()
