"""The served models: loaded once, looked up by name or alias, each with its own batcher."""

from __future__ import annotations

from dataclasses import dataclass, field

from taskembed.encode.embedder import Embedder
from taskembed.server.batcher import Batcher
from taskembed.server.errors import ApiError
from taskembed.server.schemas import ModelCard
from taskembed.types import EmbeddingType


@dataclass
class ServedModel:
    """One model, its public name, its aliases and its batcher."""

    name: str
    embedder: Embedder
    batcher: Batcher
    aliases: tuple[str, ...] = ()

    def card(self, default: bool) -> ModelCard:
        """What GET /v1/models says of this model."""
        info = self.embedder.info
        return ModelCard(
            id=self.name,
            aliases=list(self.aliases),
            default=default,
            family=info.family,
            dimension=info.dimension,
            max_tokens=info.max_tokens,
            tasks=list(info.tasks),
            matryoshka_dimensions=list(info.matryoshka_dimensions),
            embedding_types=[t.value for t in EmbeddingType],
        )


@dataclass
class ModelRegistry:
    """Served models in the order given; the first is the default."""

    models: list[ServedModel] = field(default_factory=list)

    def add(self, model: ServedModel) -> None:
        """Serve one more model."""
        self.models.append(model)

    def get(self, name: str | None) -> ServedModel:
        """The model a request names (name or alias), or the default; 404 listing the served ones."""
        if name is None or name == "":
            return self.models[0]
        for model in self.models:
            if name == model.name or name in model.aliases:
                return model
        served = ", ".join(
            m.name + (f" (aliases: {', '.join(m.aliases)})" if m.aliases else "") for m in self.models
        )
        raise ApiError(
            404, f"model {name!r} is not served here; served models: {served}", code="model_not_found"
        )
