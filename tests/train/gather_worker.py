"""A worker for the gather test: two gloo processes exchange rows and send gradients back."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.distributed as dist

from taskembed.train.distributed import World, gather_with_grad


def gather_and_backpropagate(rank: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        rows = torch.full((2, 3), float(rank + 1), requires_grad=True)
        gathered = gather_with_grad(rows, World(rank, 2))
        weights = torch.arange(4, dtype=torch.float32).unsqueeze(1)  # row r of the gathered batch weighs r
        (gathered * weights).sum().backward()
        result = {"gathered": gathered.detach()[:, 0].tolist(), "grad": rows.grad[:, 0].tolist()}
        Path(out, f"rank{rank}.json").write_text(json.dumps(result))
        dist.barrier()
    finally:
        dist.destroy_process_group()
