"""Data-parallel training under ``torchrun``: process group set-up, rank slices, and gathers.

Without torchrun's environment everything runs in one process and these helpers are no-ops.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

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
    _gather_group()
    return World(rank=dist.get_rank(), size=dist.get_world_size())


_GROUP: list[Any] = []


def _gather_group() -> Any:
    """A process group of its own for the gathers.

    DDP all-reduces gradients asynchronously during the backward pass; collectives of two streams on one
    group could pair up differently on each rank.
    """
    if not _GROUP:
        _GROUP.append(dist.new_group(backend=dist.get_backend()))
    return _GROUP[0]


def close_world(world: World, *, finished: bool) -> None:
    """Leave the process group; after a finished run, first wait until every process is done.

    After an error there is no waiting: the other processes may never arrive, and torchrun stops them.
    """
    if world.distributed and dist.is_initialized():
        if finished:
            dist.barrier()
        _GROUP.clear()
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


class _GatherRows(torch.autograd.Function):
    """All-gather along rows; the backward pass sums every rank's gradient and keeps this rank's rows."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor) -> torch.Tensor:
        ctx.rank, ctx.rows = dist.get_rank(), tensor.shape[0]
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor.contiguous(), group=_gather_group())
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        total = grad.contiguous().clone()
        dist.all_reduce(total, group=_gather_group())
        return total[ctx.rank * ctx.rows : (ctx.rank + 1) * ctx.rows]


def gather_with_grad(tensor: torch.Tensor, world: World) -> torch.Tensor:
    """Concatenate every rank's rows (in rank order), keeping gradients: in-batch negatives across ranks.

    Every rank must pass the same number of rows (the trainer splits a global batch evenly).
    """
    if not world.distributed:
        return tensor
    return _GatherRows.apply(tensor)
