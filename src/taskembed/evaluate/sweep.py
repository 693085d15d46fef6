"""The robustness grid: every task x task/prompt setup x Matryoshka dimensions x output types.

Each (task, setup) is encoded once (and cached); every dimension and output type is derived from it.
"""

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
    setup: str
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

    @property
    def label(self) -> str:
        """A short name for reports, e.g. ``task=text-matching query_prompt='query: '``."""
        parts = [f"{name}={value!r}" for name, value in vars(self).items() if value is not None]
        return " ".join(parts).replace("'", "") if parts else "default"

    def options(self, query: bool) -> tuple[str | None, str | None]:
        """(task, prompt) for one side; queries use their own task/prompt when set."""
        if query:
            return self.query_task or self.task, self.query_prompt or self.prompt
        return self.task, self.prompt


def run_sweep(
    embedder: Embedder,
    specs: Sequence[TaskSpec],
    dimensions: Sequence[int],
    kinds: Sequence[str],
    *,
    cache: EmbeddingCache,
    setups: Sequence[Prompts] = (Prompts(),),
    progress: bool = False,
) -> list[SweepRow]:
    """Score every task under every setup in every variant."""
    variants = [Variant(d, k) for d in dimensions for k in kinds]
    rows: list[SweepRow] = []
    for spec in specs:
        run = task_run(spec)
        for setup in setups:
            raw = {}
            for side, texts in run.sides.items():
                task, prompt = setup.options(query=side == run.query_side)
                raw[side] = cache.embed(
                    embedder, texts, raw_options(task=task, prompt=prompt), progress=progress
                )
            for variant in variants:
                ranges = embedder.model.ranges.get(variant.dimensions)
                encoded = {side: encode(vectors, variant, ranges) for side, vectors in raw.items()}
                scores = run.score(encoded, raw, variant)
                rows.append(
                    SweepRow(spec.name, setup.label, variant.dimensions, variant.kind, run.main_score, scores)
                )
    return rows
