"""Let the `mteb` package evaluate any taskembed model (needs the ``mteb`` extra).

``MtebEncoder(embedder)`` implements mteb's encoder protocol. mteb asks for embeddings with a task
(its name and type) and a prompt type (``query`` or ``document``); the adapter turns that into one of
the model's tasks, or a literal prompt, by mteb's own precedence: ``"{task name}-{prompt type}"``,
task name, ``"{task type}-{prompt type}"``, task type, prompt type. Without a map of its own it uses
``default_task_map(model tasks)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from taskembed.encode.embedder import Embedder
from taskembed.errors import InputError
from taskembed.evaluate.embed import embed_floats
from taskembed.options import EncodeOptions

if TYPE_CHECKING:
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb.models.model_meta import ModelMeta
    from mteb.types import PromptType

# mteb key -> our task names to try, in order; the first the model has wins.
PREFERRED_TASKS: dict[str, tuple[str, ...]] = {
    "query": ("retrieval.query", "query"),
    "document": ("retrieval.passage", "document", "passage"),
    "STS": ("text-matching",),
    "PairClassification": ("classification", "text-matching"),
    "BitextMining": ("text-matching",),
    "Summarization": ("text-matching",),
    "Classification": ("classification",),
    "MultilabelClassification": ("classification",),
    "Clustering": ("separation", "clustering"),
}


def default_task_map(tasks: Iterable[str]) -> dict[str, str]:
    """Map mteb keys to model tasks, for the tasks a model has (empty for a model without tasks)."""
    available = set(tasks)
    chosen = {}
    for key, candidates in PREFERRED_TASKS.items():
        found = next((task for task in candidates if task in available), None)
        if found is not None:
            chosen[key] = found
    return chosen


def lookup(mapping: Mapping[str, str], task_name: str, task_type: str, prompt_type: str | None) -> str | None:
    """The value of the first key present, in mteb's order (``abs_encoder.get_prompt_name``)."""
    keys = [task_name, task_type]
    if prompt_type is not None:
        keys = [f"{task_name}-{prompt_type}", task_name, f"{task_type}-{prompt_type}", task_type, prompt_type]
    return next((mapping[key] for key in keys if key in mapping), None)


class MtebEncoder:
    """An mteb ``EncoderProtocol`` over an ``Embedder``: float vectors, cosine similarity."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        task_map: Mapping[str, str] | None = None,
        prompts: Mapping[str, str] | None = None,
        dimensions: int | None = None,
        name: str | None = None,
        revision: str = "local",
    ) -> None:
        """``task_map``/``prompts``: mteb key -> model task / literal prompt (prompts win)."""
        info = embedder.info
        self.embedder = embedder
        self.task_map = dict(default_task_map(info.tasks) if task_map is None else task_map)
        unknown = sorted(set(self.task_map.values()) - set(info.tasks))
        if unknown:
            raise InputError(
                f"task map names {', '.join(unknown)}, which model {info.name} does not have "
                f"(its tasks: {', '.join(info.tasks) or 'none'})"
            )
        self.prompts = dict(prompts or {})
        self.dimensions = dimensions
        self.name = name or f"taskembed/{info.name}"
        self.revision = revision

    def options_for(self, task_metadata: TaskMetadata, prompt_type: PromptType | None) -> EncodeOptions:
        """The encode options mteb's (task, prompt type) maps to."""
        kind = prompt_type.value if prompt_type is not None else None
        key = (task_metadata.name, str(task_metadata.type), kind)
        return EncodeOptions(
            task=lookup(self.task_map, *key),
            prompt=lookup(self.prompts, *key),
            dimensions=self.dimensions,
        )

    def encode(
        self,
        inputs: Iterable[Mapping[str, Any]],
        *,
        task_metadata: TaskMetadata,
        hf_split: str,
        hf_subset: str,
        prompt_type: PromptType | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """Embed every text of mteb's batches (truncated at the model limit, as mteb's models are)."""
        texts = [str(text) for batch in inputs for text in batch["text"]]
        options = self.options_for(task_metadata, prompt_type).validated(self.embedder.info)
        progress = bool(kwargs.get("show_progress_bar"))
        return embed_floats(self.embedder, texts, options, show_progress=progress)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> Any:
        """Cosine similarity of every pair, computed by mteb's own function."""
        from mteb.similarity_functions import cos_sim

        return cos_sim(embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> Any:
        """Cosine similarity of row i with row i, computed by mteb's own function."""
        from mteb.similarity_functions import pairwise_cos_sim

        return pairwise_cos_sim(embeddings1, embeddings2)

    @property
    def mteb_model_meta(self) -> ModelMeta:
        """What mteb records about the model in its results."""
        from mteb.models.model_meta import ModelMeta, ScoringFunction

        info = self.embedder.info
        return ModelMeta(
            loader=None,
            name=self.name,
            revision=self.revision,
            release_date=None,
            languages=None,
            n_parameters=sum(p.numel() for p in self.embedder.model.backbone.parameters()),
            memory_usage_mb=None,
            max_tokens=info.max_tokens,
            embed_dim=self.dimensions or info.dimension,
            license=None,
            open_weights=True,
            public_training_code=None,
            public_training_data=None,
            framework=["PyTorch", "safetensors"],
            similarity_fn_name=ScoringFunction.COSINE,
            use_instructions=bool(self.task_map or self.prompts),
            training_datasets=None,
        )
