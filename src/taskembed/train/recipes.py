"""Task recipes of v5 stage 2 (arXiv 2602.15547 section 4.2): which losses, with which weights and prompts.

- retrieval: InfoNCE (query -> in-batch documents + hard negatives) + 2 x distillation + 1 x GOR;
  student prompts "Query: " / "Document: ".
- text-matching: CoSENT on batches with gold scores, else InfoNCE + 2 x distillation.
- clustering: distillation against the teacher run with a topic instruction.
- classification: bidirectional InfoNCE over (anchor, same-label positive, 7 other-label negatives)
  + 20 x relational distillation against the base model.

Every weight, prompt and the direction can be overridden in the config's ``[adapter]`` section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taskembed.models.formats.jina_v5 import DOCUMENT_PROMPT, QUERY_PROMPT, api_tasks
from taskembed.train.config import AdapterConfig

TOPIC_INSTRUCTION = "Identify the topic or theme of the given document: "
LOSSES = ("infonce", "distill", "gor", "cosent", "rkd")


@dataclass(frozen=True)
class Recipe:
    """A task's losses and prompts after the config's overrides."""

    task: str
    weights: dict[str, float]
    query_prompt: str  # the first text of a row (query, anchor); the document prompt for symmetric tasks
    document_prompt: str
    teacher_prompt: str | None = None  # the teacher's prompt when the config gives none
    bidirectional: bool = False
    api_tasks: dict[str, str] = field(default_factory=dict)  # task names served by the adapter -> prompts

    def weight(self, loss: str) -> float:
        """A loss's weight (0: not used)."""
        return self.weights.get(loss, 0.0)


DEFAULTS: dict[str, Recipe] = {
    "retrieval": Recipe(
        "retrieval",
        {"infonce": 1.0, "distill": 2.0, "gor": 1.0},
        QUERY_PROMPT,
        DOCUMENT_PROMPT,
    ),
    "text-matching": Recipe(
        "text-matching", {"cosent": 1.0, "infonce": 1.0, "distill": 2.0}, DOCUMENT_PROMPT, DOCUMENT_PROMPT
    ),
    "clustering": Recipe(
        "clustering", {"distill": 1.0}, DOCUMENT_PROMPT, DOCUMENT_PROMPT, teacher_prompt=TOPIC_INSTRUCTION
    ),
    "classification": Recipe(
        "classification", {"infonce": 1.0, "rkd": 20.0}, DOCUMENT_PROMPT, DOCUMENT_PROMPT, bidirectional=True
    ),
}


def recipe_for(config: AdapterConfig) -> Recipe:
    """The task's default recipe with the config's overrides applied."""
    base = DEFAULTS[config.task]
    weights = dict(base.weights)
    for loss in LOSSES:
        override = getattr(config.weights, loss)
        if override is not None:
            weights[loss] = override
    weights = {loss: weight for loss, weight in weights.items() if weight > 0}
    query = config.query_prompt if config.query_prompt is not None else base.query_prompt
    document = config.document_prompt if config.document_prompt is not None else base.document_prompt
    return Recipe(
        task=config.task,
        weights=weights,
        query_prompt=query,
        document_prompt=document,
        teacher_prompt=base.teacher_prompt,
        bidirectional=base.bidirectional if config.bidirectional is None else config.bidirectional,
        api_tasks=api_tasks(config.task, query, document),
    )
