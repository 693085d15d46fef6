"""Data-parallel training under ``torchrun``: process group set-up, rank slices, and gathers.

Without torchrun's environment everything runs in one process and these helpers are no-ops.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    """The rank of this process among ``size`` processes."""

    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        """Rank 0 writes files, evaluates and shows progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """More than one process."""
        return self.size > 1


def init_world() -> World:
    """Join torchrun's process group (gloo on CPU, NCCL on GPU) when ``WORLD_SIZE`` > 1."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return World(rank=dist.get_rank(), size=dist.get_world_size())


def close_world(world: World) -> None:
    """Leave the process group."""
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(world: World) -> None:
    """Wait for every process."""
    if world.distributed:
        dist.barrier()


def rank_slice(count: int, world: World) -> slice:
    """The contiguous share of ``count`` rows for this rank (shares differ by at most one row)."""
    base, extra = divmod(count, world.size)
    start = world.rank * base + min(world.rank, extra)
    return slice(start, start + base + (1 if world.rank < extra else 0))


def sum_across(value: float, world: World) -> float:
    """The sum of a number over every process."""
    if not world.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(tensor)
    return float(tensor.item())


def gather_with_grad(tensor: torch.Tensor, world: World) -> torch.Tensor:
    """Concatenate every rank's rows (in rank order), keeping gradients: in-batch negatives across ranks."""
    if not world.distributed:
        return tensor
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(tensor), dim=0)
