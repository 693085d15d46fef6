"""One micro-batch's work in stage 1: tokenize the student side, run it, and score it against the teacher.

Also the pieces every stage shares: the micro-batch, the featurizer and the precision switch.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from taskembed.encode.batching import TokenBatch, pad_batch
from taskembed.encode.embedder import Embedder, InputTruncatedWarning
from taskembed.encode.inference import embed_batch
from taskembed.models.loaded import LoadedModel
from taskembed.options import EncodeOptions
from taskembed.train.sampler import Batch
from taskembed.train.teacher_cache import TeacherCache


@dataclass(frozen=True)
class MicroBatch:
    """Rows of a batch: texts, teacher-side texts, and gold scores or labels where the source has them."""

    rows: list[tuple[str, ...]]
    targets: list[tuple[str, ...]]
    scores: list[float] | None = None
    labels: list[str] | None = None

    @classmethod
    def of(cls, batch: Batch, start: int, stop: int) -> MicroBatch:
        """Rows ``start:stop`` of a sampled batch."""
        return cls(batch.rows, batch.targets, batch.scores, batch.labels).slice(start, stop)

    def slice(self, start: int, stop: int) -> MicroBatch:
        """Rows ``start:stop``."""
        return MicroBatch(
            self.rows[start:stop],
            self.targets[start:stop],
            self.scores[start:stop] if self.scores is not None else None,
            self.labels[start:stop] if self.labels is not None else None,
        )


# (the step module, possibly DDP-wrapped; a micro-batch) -> (its summed loss, its token count)
MicroForward = Callable[[nn.Module, MicroBatch], tuple[torch.Tensor, int]]


class DistillStep(nn.Module):
    """``forward(batch, prompt_lengths, teacher)`` -> the objective's summed loss on the student's embeddings.

    Holds every trained module (backbone, heads, the loss with its projection), so one DDP wrapper and
    one state dict cover them all.
    """

    def __init__(self, student: LoadedModel, objective: nn.Module) -> None:
        super().__init__()
        self.backbone = student.backbone
        self.heads = nn.ModuleList(student.heads)
        self.objective = objective
        self._student = student

    def forward(self, batch: TokenBatch, prompt_lengths: np.ndarray, teacher: torch.Tensor) -> torch.Tensor:
        """The summed loss of one micro-batch."""
        pooled = embed_batch(self._student, batch, prompt_lengths)
        return self.objective(pooled, teacher)


class DistillForward:
    """Stage 1's micro-batch work: the teacher's cached vectors against the student's embeddings."""

    def __init__(self, teacher: TeacherCache, featurize: Featurizer) -> None:
        self.teacher = teacher
        self.featurize = featurize

    def __call__(self, module: nn.Module, micro: MicroBatch) -> tuple[torch.Tensor, int]:
        """The summed distillation loss of the micro-batch and its token count."""
        texts = [text for row in micro.rows for text in row]
        targets = torch.from_numpy(self.teacher.vectors([text for row in micro.targets for text in row]))
        inputs, prompt_lengths = self.featurize(texts)
        return module(inputs, prompt_lengths, targets), inputs.real_tokens


class Featurizer:
    """Texts -> padded student inputs, with the student's prompt and token limit (longer texts are cut)."""

    def __init__(self, student: LoadedModel, prompt: str | None) -> None:
        self.embedder = Embedder(student)
        self.options = EncodeOptions(prompt=prompt, normalized=False)
        self.truncated = 0

    def __call__(self, texts: list[str]) -> tuple[TokenBatch, np.ndarray]:
        """The padded batch and each row's prompt length."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputTruncatedWarning)
            prepared = self.embedder.prepare(texts, self.options)
        self.truncated += len(prepared.tokenized.truncated)
        batch = pad_batch(prepared.tokenized.ids, self.embedder.model.tokenizer.pad_id)
        return batch, np.full(len(texts), prepared.prompt_length, dtype=np.int64)


def autocast_context(precision: str) -> AbstractContextManager[object]:
    """bf16 autocast on CPU when asked for (fp32 weights and optimizer state stay fp32)."""
    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext()


def resolve_precision(requested: str) -> str:
    """``auto`` -> bf16 where the CPU has native bf16 units, else fp32 (emulated bf16 is far slower)."""
    if requested != "auto":
        return requested
    from taskembed.cpu_features import has_native_bf16

    return "bf16" if has_native_bf16() else "fp32"
