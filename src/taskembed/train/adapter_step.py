"""One micro-batch of stage 2: embed the rows under the training adapter and score them with the recipe.

A row's first text (query, anchor, first sentence) runs with the query prompt, its other texts with the
document prompt. The documents of a batch are its positives (row i's at index i) followed by its
distinct other texts; across processes the positives of every rank join the candidates (in-batch
negatives over the global batch), while the distillation only counts this rank's own texts. The
batch-level terms (GOR, CoSENT, RKD) see the whole global batch, so 1 or N processes train alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from taskembed.encode.inference import embed_batch
from taskembed.models.loaded import LoadedModel
from taskembed.train.distributed import World, gather_with_grad
from taskembed.train.lora import base_weights
from taskembed.train.losses import (
    CoSENTLoss,
    EmbeddingDistillationLoss,
    GORLoss,
    InfoNCELoss,
    RelationalDistillationLoss,
)
from taskembed.train.losses.matryoshka import Embeddings
from taskembed.train.recipes import Recipe
from taskembed.train.step import Featurizer, MicroBatch
from taskembed.train.teacher_cache import TeacherCache


@dataclass
class LossContext:
    """Everything a task objective reads besides the embeddings being trained."""

    positives: torch.Tensor | None = None  # row i's positive among the documents
    own_documents: torch.Tensor | None = None  # this rank's documents (for distillation)
    teacher_first: torch.Tensor | None = None
    teacher_documents: torch.Tensor | None = None
    scores: torch.Tensor | None = None  # gold scores of the global batch (CoSENT)
    base_first: torch.Tensor | None = None  # the base model's embeddings of the global batch's first texts
    exclude: torch.Tensor | None = None  # [N, M] candidates left out of row i's InfoNCE
    exclude_reverse: torch.Tensor | None = None  # [N, N] queries left out of document i's InfoNCE


class TaskObjective(nn.Module):
    """``forward(embeddings, context)`` -> the recipe's weighted sum, summed over this process's rows.

    ``embeddings`` holds ``first`` and ``documents`` (this process's; documents may include gathered
    positives) and ``batch_first`` / ``batch_positives`` (the global batch's). Batch-level terms (GOR,
    CoSENT, RKD) are computed on the global batch and multiplied by this process's row count, so the
    trainer's mean per row gives ``infonce + w_d * distill + w_g * GOR + ...`` as the recipe states.
    """

    def __init__(
        self,
        recipe: Recipe,
        distill: EmbeddingDistillationLoss | None,
        temperature: float,
        learn_temperature: bool,
        cosent_temperature: float,
    ) -> None:
        super().__init__()
        self.recipe = recipe
        self.distill = distill
        self.infonce = InfoNCELoss(
            temperature, learnable=learn_temperature, bidirectional=recipe.bidirectional
        )
        self.gor = GORLoss()
        self.cosent = CoSENTLoss(cosent_temperature)
        self.rkd = RelationalDistillationLoss()

    def forward(self, embeddings: Embeddings, context: LossContext) -> torch.Tensor:
        """The summed loss of a micro-batch (see the class docstring)."""
        assert isinstance(embeddings, dict)
        first, documents = embeddings["first"], embeddings["documents"]
        batch_first, batch_positives = embeddings["batch_first"], embeddings["batch_positives"]
        rows, weight = first.shape[0], self.recipe.weight
        total = first.new_zeros((), dtype=torch.float32)
        if context.scores is not None:
            return total + weight("cosent") * rows * self.cosent(batch_first, batch_positives, context.scores)
        if weight("infonce") and context.positives is not None:
            total = total + weight("infonce") * self.infonce(
                first,
                documents,
                context.positives,
                exclude=context.exclude,
                exclude_reverse=context.exclude_reverse,
            )
        if weight("distill"):
            assert self.distill is not None and context.teacher_first is not None
            distilled = self.distill(first, context.teacher_first)
            if context.teacher_documents is not None and context.own_documents is not None:
                distilled = distilled + self.distill(
                    documents[context.own_documents], context.teacher_documents
                )
            total = total + weight("distill") * distilled
        if weight("gor") and context.positives is not None:
            total = total + weight("gor") * rows * self.gor(batch_first, batch_positives)
        if weight("rkd"):
            assert context.base_first is not None
            total = total + weight("rkd") * rows * self.rkd(batch_first, context.base_first)
        return total


def _documents(micro: MicroBatch) -> tuple[list[str], torch.Tensor | None]:
    """Positives first (row i's at i), then the other texts once each; None positives for 1-text rows."""
    if all(len(row) == 1 for row in micro.rows):
        return [], None
    positives = [row[1] for row in micro.rows]
    taken = set(positives)
    others = []
    for row in micro.rows:
        for text in row[2:]:
            if text not in taken:
                taken.add(text)
                others.append(text)
    return positives + others, torch.arange(len(positives))


class AdapterStep(nn.Module):
    """``forward(micro_batch)`` -> (summed loss, tokens): the trained modules plus the stage-2 batch logic."""

    def __init__(
        self,
        student: LoadedModel,
        objective: nn.Module,
        recipe: Recipe,
        teachers: dict[str, TeacherCache],
        world: World,
    ) -> None:
        super().__init__()
        self.backbone = student.backbone
        self.heads = nn.ModuleList(student.heads)
        self.objective = objective
        self._student = student
        self._recipe = recipe
        self._teachers = teachers
        self._world = world
        self._featurize = {
            "first": Featurizer(student, recipe.query_prompt or None),
            "documents": Featurizer(student, recipe.document_prompt or None),
        }

    def _embed(self, role: str, texts: list[str]) -> tuple[torch.Tensor, int]:
        inputs, prompt_lengths = self._featurize[role](texts)
        return embed_batch(self._student, inputs, prompt_lengths), inputs.real_tokens

    def _base(self, texts: list[str]) -> torch.Tensor:
        """The base model's embeddings (adapter off, dropout off) as fixed targets."""
        inputs, prompt_lengths = self._featurize["first"](texts)
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad(), base_weights(self._student.backbone.model):
                return embed_batch(self._student, inputs, prompt_lengths)
        finally:
            self.train(was_training)

    def _teacher(self, role: str, texts: list[str]) -> torch.Tensor:
        cache = self._teachers.get(role) or self._teachers["documents"]
        return torch.from_numpy(cache.vectors(texts))

    def forward(self, micro: MicroBatch) -> tuple[torch.Tensor, int]:
        """Embed the micro-batch, build the loss context, and return the objective's summed loss."""
        recipe, context = self._recipe, LossContext()
        first_texts = [row[0] for row in micro.rows]
        first, tokens = self._embed("first", first_texts)
        if recipe.task == "classification":
            document_texts = [text for row in micro.rows for text in row[1:]]
            group = len(micro.rows[0]) - 1
            context.positives = torch.arange(len(micro.rows)) * group
            context.exclude = (
                torch.arange(len(document_texts))[None, :] // group != torch.arange(len(first_texts))[:, None]
            )
            labels = np.asarray(micro.labels)
            context.exclude_reverse = torch.from_numpy(labels[:, None] == labels[None, :])
        else:
            document_texts, context.positives = _documents(micro)
        documents, more = self._embed("documents", document_texts) if document_texts else (first[:0], 0)
        tokens += more
        if micro.scores is not None:
            context.scores = torch.tensor(micro.scores, dtype=torch.float32)
        if recipe.weight("distill"):
            context.teacher_first = self._teacher("first", first_texts)
            if document_texts:
                context.teacher_documents = self._teacher("documents", document_texts)
                context.own_documents = torch.arange(len(document_texts))
        if recipe.weight("rkd"):
            context.base_first = self._base(first_texts)
        rows = len(micro.rows)
        positives = documents[context.positives] if context.positives is not None else first[:0]
        embeddings = {
            "first": first,
            "documents": documents,
            "batch_first": first,
            "batch_positives": positives,
        }
        if self._world.distributed:
            self._gather(embeddings, context, rows)
        return self.objective(embeddings, context), tokens

    def _gather(self, embeddings: dict[str, torch.Tensor], context: LossContext, rows: int) -> None:
        """Global-batch views of the first texts and positives; gathered positives join the candidates."""
        world = self._world
        embeddings["batch_first"] = gather_with_grad(embeddings["first"], world)
        if embeddings["batch_positives"].shape[0]:
            embeddings["batch_positives"] = gather_with_grad(embeddings["batch_positives"], world)
        if context.scores is not None:
            context.scores = gather_with_grad(context.scores, world)
        if context.base_first is not None:
            context.base_first = gather_with_grad(context.base_first, world)
        if context.positives is None or self._recipe.task == "classification":
            return
        documents, offset = embeddings["documents"], world.rank * rows
        embeddings["documents"] = torch.cat([embeddings["batch_positives"], documents[rows:]])
        context.positives = context.positives + offset
        if context.own_documents is not None:
            extra = documents.shape[0] - rows
            context.own_documents = torch.cat(
                [torch.arange(rows) + offset, world.size * rows + torch.arange(extra)]
            )


def adapter_forward(module: nn.Module, micro: MicroBatch) -> tuple[torch.Tensor, int]:
    """The trainer's micro-batch hook for stage 2 (the module may be DDP-wrapped)."""
    loss, tokens = module(micro)
    return loss, int(tokens)
