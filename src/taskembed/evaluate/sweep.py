"""The robustness grid: every task x Matryoshka dimensions x output types, from one encoding per task."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taskembed.encode.embedder import Embedder
from taskembed.evaluate.cache import EmbeddingCache, raw_options
from taskembed.evaluate.specs import TaskSpec
from taskembed.evaluate.tasks import task_run
from taskembed.evaluate.variants import Variant, encode


@dataclass(frozen=True)
class SweepRow:
    """One cell: a task scored with one variant."""

    task: str
    dimensions: int
    kind: str
    main_score: str
    scores: dict[str, float]

    @property
    def main(self) -> float:
        """The primary metric's value."""
        return self.scores[self.main_score]


@dataclass(frozen=True)
class Prompts:
    """Which task (or literal prompt) each side gets; retrieval queries may differ from documents."""

    task: str | None = None
    query_task: str | None = None
    prompt: str | None = None
    query_prompt: str | None = None


def run_sweep(
    embedder: Embedder,
    specs: Sequence[TaskSpec],
    dimensions: Sequence[int],
    kinds: Sequence[str],
    *,
    cache: EmbeddingCache,
    prompts: Prompts = Prompts(),
    progress: bool = False,
) -> list[SweepRow]:
    """Score every task in every variant; each task's texts are encoded once (and cached)."""
    variants = [Variant(d, k) for d in dimensions for k in kinds]
    rows: list[SweepRow] = []
    for spec in specs:
        run = task_run(spec)
        raw = {}
        for side, texts in run.sides.items():
            query = side == run.query_side
            options = raw_options(
                task=(prompts.query_task or prompts.task) if query else prompts.task,
                prompt=(prompts.query_prompt or prompts.prompt) if query else prompts.prompt,
            )
            raw[side] = cache.embed(embedder, texts, options, progress=progress)
        for variant in variants:
            ranges = embedder.model.ranges.get(variant.dimensions)
            encoded = {side: encode(vectors, variant, ranges) for side, vectors in raw.items()}
            scores = run.score(encoded, raw, variant)
            rows.append(SweepRow(spec.name, variant.dimensions, variant.kind, run.main_score, scores))
    return rows
