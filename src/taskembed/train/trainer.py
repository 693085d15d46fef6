"""The training loop: one global batch per step, split over processes and micro-batches.

Also: clipping, periodic evaluation with best-weights selection, checkpoints, JSONL metrics, progress.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_model, save_model
from torch import nn
from tqdm.auto import tqdm

from taskembed.errors import TaskembedError
from taskembed.models.loaded import LoadedModel
from taskembed.train.checkpoint import Progress, save_checkpoint
from taskembed.train.config import OptimConfig
from taskembed.train.distributed import World, barrier, rank_slice, sum_across
from taskembed.train.evaluation import Evaluator
from taskembed.train.graceful_stop import GracefulStop
from taskembed.train.sampler import BatchSampler
from taskembed.train.step import MicroBatch, MicroForward, autocast_context

BEST_WEIGHTS = "best.safetensors"


class TrainingInterruptedError(TaskembedError):
    """The run stopped early; its last checkpoint resumes it."""


@dataclass
class LoopParts:
    """Everything the loop touches, built by ``taskembed.train.run``."""

    module: nn.Module  # the step module (DistillStep, AdapterStep), possibly wrapped in DDP
    inner: nn.Module  # the step module itself (its state dict is what checkpoints hold)
    optimizer: torch.optim.Optimizer
    scheduler: Any
    sampler: BatchSampler
    forward: MicroForward  # (module, micro-batch) -> (summed loss, tokens): the stage's work
    evaluator: Evaluator | None  # None without an [eval] section (and on ranks other than 0)
    view: LoadedModel  # the model as it is saved and evaluated (shares the trained modules)
    world: World
    output: Path
    steps: int
    precision: str
    progress: Progress = field(default_factory=Progress)


class MetricsLog:
    """``metrics.jsonl``: one JSON object per log line; on resume, lines past the checkpoint are dropped."""

    def __init__(self, path: Path, *, resume_step: int | None, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled
        if enabled and resume_step is not None and path.is_file():
            kept = [line for line in path.read_text().splitlines() if json.loads(line)["step"] <= resume_step]
            path.write_text("".join(line + "\n" for line in kept))
        elif enabled and resume_step is None:
            path.write_text("")

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""
        if self.enabled:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")


def _sync(module: nn.Module, world: World, last: bool) -> AbstractContextManager[object]:
    """Skip DDP's gradient all-reduce on every micro-batch but the last of a step."""
    if world.distributed and not last:
        return module.no_sync()  # type: ignore[operator]
    return nullcontext()


def train_step(parts: LoopParts, optim: OptimConfig) -> tuple[float, int]:
    """One optimizer step on one global batch; returns its mean loss per row and its token count."""
    batch = parts.sampler.next_batch()
    global_rows = len(batch.rows)
    share = rank_slice(global_rows, parts.world)
    mine = MicroBatch.of(batch, share.start, share.stop)
    micro = optim.micro_batch_size or len(mine.rows)
    starts = range(0, len(mine.rows), micro)
    loss_sum, tokens = 0.0, 0
    for index, start in enumerate(starts):
        with _sync(parts.module, parts.world, index == len(starts) - 1):
            with autocast_context(parts.precision):
                loss, micro_tokens = parts.forward(parts.module, mine.slice(start, start + micro))
            (loss * parts.world.size / global_rows).backward()
        loss_sum += float(loss.detach())
        tokens += micro_tokens
    if optim.max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(parts.inner.parameters(), optim.max_grad_norm)
    parts.optimizer.step()
    parts.scheduler.step()
    parts.optimizer.zero_grad(set_to_none=True)
    return sum_across(loss_sum, parts.world) / global_rows, int(sum_across(tokens, parts.world))


def _evaluate(parts: LoopParts, log: MetricsLog) -> None:
    """Score the current weights (main process) and keep them when the primary metric improves."""
    progress = parts.progress
    if parts.world.is_main and parts.evaluator is not None:
        scores = parts.evaluator(parts.view, parts.inner)
        primary = scores[parts.evaluator.primary]
        log.write({"step": progress.step, "eval": scores})
        tqdm.write(f"step {progress.step}: " + ", ".join(f"{k} {v:.2f}" for k, v in scores.items()))
        if progress.best_score is None or primary > progress.best_score:
            progress.best_score, progress.best_step = primary, progress.step
            save_model(parts.inner, str(parts.output / BEST_WEIGHTS))
    barrier(parts.world)


def run_loop(parts: LoopParts, optim: OptimConfig, *, eval_every: int | None, stop_after: int | None) -> None:
    """Train from the current step to ``parts.steps``; ``stop_after`` ends early (a simulated crash)."""
    progress, world = parts.progress, parts.world
    log = MetricsLog(parts.output / "metrics.jsonl", resume_step=progress.step or None, enabled=world.is_main)
    parts.module.train()
    bar = tqdm(total=parts.steps, initial=progress.step, disable=not world.is_main, desc="train", unit="step")
    window = Window()
    checkpoint = _checkpointer(parts, optim)
    try:
        with GracefulStop() as stop:
            while progress.step < parts.steps:
                if stop_after is not None and progress.step >= stop_after:
                    raise TrainingInterruptedError(f"stopped after step {progress.step} (stop_after)")
                loss, tokens = train_step(parts, optim)
                progress.step += 1
                progress.tokens += tokens
                window.add(loss, tokens)
                if progress.step % optim.log_every == 0 or progress.step == parts.steps:
                    record = window.record(progress, parts.scheduler.get_last_lr()[0])
                    log.write(record)
                    bar.set_postfix(
                        loss=f"{record['loss']:.4f}",
                        lr=f"{record['lr']:.2e}",
                        tok_s=f"{record['tokens_per_s']:.0f}",
                    )
                bar.update(1)
                if eval_every is not None and (
                    progress.step % eval_every == 0 or progress.step == parts.steps
                ):
                    _evaluate(parts, log)
                saved = progress.step % optim.checkpoint_every == 0 or progress.step == parts.steps
                if saved:
                    checkpoint()
                if sum_across(float(stop.requested), world) > 0:
                    if not saved:
                        checkpoint()
                    raise TrainingInterruptedError(
                        f"interrupted after step {progress.step} (saved); run the same command with "
                        "--resume to continue"
                    )
    finally:
        bar.close()


def _checkpointer(parts: LoopParts, optim: OptimConfig) -> Callable[[], None]:
    def save() -> None:
        save_checkpoint(
            parts.output / "checkpoints",
            parts.inner,
            parts.optimizer,
            parts.scheduler,
            parts.sampler.state(),
            parts.progress,
            parts.world,
            keep=optim.keep_checkpoints,
        )

    return save


class Window:
    """Loss and token rate since the last log line."""

    def __init__(self) -> None:
        self.loss, self.steps, self.tokens, self.start = 0.0, 0, 0, 0.0
        self.reset()

    def reset(self) -> None:
        """Start a new window now."""
        self.loss, self.steps, self.tokens, self.start = 0.0, 0, 0, time.perf_counter()

    def add(self, loss: float, tokens: int) -> None:
        """Count one step."""
        self.loss, self.steps, self.tokens = self.loss + loss, self.steps + 1, self.tokens + tokens

    def record(self, progress: Progress, lr: float) -> dict[str, Any]:
        """The log line for the window, which then starts again."""
        elapsed = time.perf_counter() - self.start
        record = {
            "step": progress.step,
            "loss": self.loss / max(self.steps, 1),
            "lr": lr,
            "tokens_per_s": round(self.tokens / max(elapsed, 1e-9), 1),
            "tokens": progress.tokens,
        }
        self.reset()
        return record


def load_best(parts: LoopParts) -> None:
    """Put the best evaluated weights back into the model (when an evaluation ran)."""
    best = parts.output / BEST_WEIGHTS
    if parts.evaluator is not None and best.is_file():
        load_model(parts.inner, str(best))
