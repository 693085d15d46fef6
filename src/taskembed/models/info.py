"""ModelInfo: what a loaded model is and what it accepts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a model that callers (library, CLI, server) may rely on."""

    name: str
    family: str
    path: str
    dimension: int
    max_tokens: int
    pooling: tuple[str, ...]
    normalized: bool
    tasks: tuple[str, ...] = ()
    prompts: dict[str, str] = field(default_factory=dict)
    default_task: str | None = None
    matryoshka_dimensions: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        data = asdict(self)
        data["pooling"] = list(self.pooling)
        data["tasks"] = list(self.tasks)
        data["matryoshka_dimensions"] = list(self.matryoshka_dimensions)
        return data
