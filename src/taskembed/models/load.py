"""load_model: a model reference -> a LoadedModel ready for the pipeline."""

from __future__ import annotations

from pathlib import Path

from taskembed.models.formats import load_folder
from taskembed.models.loaded import LoadedModel
from taskembed.models.resolve import resolve


def load_model(
    ref: str | Path,
    *,
    cache_dir: str | Path | None = None,
    offline: bool | None = None,
    task: str | None = None,
) -> LoadedModel:
    """Resolve ``ref`` (bundled name, folder or hub id) and load it; ``task`` pins the model to one task."""
    resolved = resolve(ref, cache_dir=cache_dir, offline=offline)
    model = load_folder(resolved.path, resolved.name)
    if task is not None:
        model.pin(task)
    return model
