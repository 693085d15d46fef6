"""taskembed.json: what a taskembed-trained folder serves (tasks, prompts, dimensions) and how it was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskembed.errors import ModelLoadError
from taskembed.models.files import read_json

MANIFEST_FILE = "taskembed.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """Tasks with their prompts (and adapter folders), the default task, Matryoshka sizes, provenance."""

    prompts: dict[str, str] = field(default_factory=dict)
    adapters: dict[str, str] = field(default_factory=dict)
    default_task: str | None = None
    matryoshka_dimensions: tuple[int, ...] = ()
    training: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        tasks = sorted(set(self.prompts) | set(self.adapters))
        return {
            "format": "taskembed",
            "format_version": FORMAT_VERSION,
            "tasks": {
                task: {"prompt": self.prompts.get(task, ""), "adapter": self.adapters.get(task)}
                for task in tasks
            },
            "default_task": self.default_task,
            "matryoshka_dimensions": list(self.matryoshka_dimensions),
            "training": self.training,
        }

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """Read ``folder/taskembed.json``, refusing versions this taskembed does not know."""
        data = read_json(folder / MANIFEST_FILE)
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ModelLoadError(
                f"{folder / MANIFEST_FILE} has format_version {version!r}; this taskembed reads "
                f"version {FORMAT_VERSION} (upgrade taskembed)"
            )
        tasks: dict[str, dict[str, Any]] = data.get("tasks") or {}
        return cls(
            prompts={task: str(entry.get("prompt") or "") for task, entry in tasks.items()},
            adapters={task: str(entry["adapter"]) for task, entry in tasks.items() if entry.get("adapter")},
            default_task=data.get("default_task"),
            matryoshka_dimensions=tuple(int(d) for d in data.get("matryoshka_dimensions") or ()),
            training=dict(data.get("training") or {}),
        )
