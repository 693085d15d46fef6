"""Training checkpoints that resume exactly: weights, optimizer, schedule, RNG and sampler position.

``checkpoints/step-000200/`` holds ``weights.safetensors`` (student and projection),
``optimizer.pt`` (optimizer and scheduler state; loaded with ``weights_only=True``, so no code runs),
``rng-rank{R}.pt`` per process and ``state.json`` (step, sampler position, best score). A checkpoint
folder is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_model, save_model
from torch import nn

from taskembed.errors import InputError
from taskembed.train.distributed import World, barrier

STEP_PREFIX = "step-"


@dataclass
class Progress:
    """Counters that travel with a checkpoint."""

    step: int = 0
    tokens: int = 0
    best_score: float | None = None
    best_step: int | None = None


WEIGHTS_FILE = "weights.safetensors"


def checkpoint_dir(root: Path, step: int) -> Path:
    """Folder of the checkpoint at ``step``."""
    return root / f"{STEP_PREFIX}{step:06d}"


def complete_checkpoints(root: Path) -> list[Path]:
    """Every complete checkpoint under ``root``, oldest first (a ``.tmp`` folder is an unfinished write)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob(f"{STEP_PREFIX}*") if p.is_dir() and not p.name.endswith(".tmp"))


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint under ``root`` (None when there is none)."""
    done = complete_checkpoints(root)
    return done[-1] if done else None


def _rng_state() -> dict[str, Any]:
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(np.asarray(keys)), position, has_gauss, cached),
    }


def _restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy(), position, has_gauss, cached))


def save_checkpoint(
    root: Path,
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    sampler_state: dict[str, Any],
    progress: Progress,
    world: World,
    *,
    keep: int,
) -> Path:
    """Write a checkpoint for ``progress.step`` from every process; keep the newest ``keep``."""
    final = checkpoint_dir(root, progress.step)
    tmp = final.with_name(final.name + ".tmp")
    if world.is_main:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_model(module, str(tmp / WEIGHTS_FILE))
        torch.save(
            {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp / "optimizer.pt"
        )
        state = {"progress": vars(progress), "sampler": sampler_state, "world_size": world.size}
        (tmp / "state.json").write_text(json.dumps(state), encoding="utf-8")
    barrier(world)
    torch.save(_rng_state(), tmp / f"rng-rank{world.rank}.pt")
    barrier(world)
    if world.is_main:
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        for old in complete_checkpoints(root)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    barrier(world)
    return final


def load_checkpoint(
    folder: Path, module: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, world: World
) -> tuple[Progress, dict[str, Any]]:
    """Restore everything ``save_checkpoint`` wrote; return the progress and the sampler position."""
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    if state["world_size"] != world.size:
        raise InputError(
            f"{folder} was written by {state['world_size']} process(es); resume it with the same "
            f"number (this run has {world.size}) so every RNG stream continues exactly"
        )
    load_model(module, str(folder / WEIGHTS_FILE))
    saved = torch.load(folder / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    _restore_rng(torch.load(folder / f"rng-rank{world.rank}.pt", weights_only=True))
    return Progress(**state["progress"]), state["sampler"]
