"""AdamW with decoupled weight decay (none on biases and norms) and a warm-up + decay schedule."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from taskembed.train.config import OptimConfig

SCHEDULES = {"cosine": "cosine", "linear": "linear", "constant": "constant_with_warmup"}


def build_optimizer(
    module: nn.Module, projection: nn.Module | None, config: OptimConfig, steps: int
) -> tuple[torch.optim.Optimizer, Any]:
    """AdamW over ``module``'s trainable parameters; ``projection``'s may get their own rate."""
    projection_ids = {id(p) for p in projection.parameters()} if projection is not None else set()
    decay, no_decay, projected = [], [], []
    for parameter in module.parameters():
        if not parameter.requires_grad:
            continue
        if id(parameter) in projection_ids:
            projected.append(parameter)
        elif parameter.ndim < 2:
            no_decay.append(parameter)
        else:
            decay.append(parameter)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
        {
            "params": projected,
            "weight_decay": 0.0,
            "lr": config.projection_learning_rate or config.learning_rate,
        },
    ]
    optimizer = torch.optim.AdamW([g for g in groups if g["params"]], lr=config.learning_rate)
    from transformers import get_scheduler

    scheduler = get_scheduler(
        SCHEDULES[config.schedule],
        optimizer,
        num_warmup_steps=round(config.warmup_ratio * steps),
        num_training_steps=steps,
    )
    return optimizer, scheduler
