"""load_model: a model reference -> a LoadedModel ready for the pipeline."""

from __future__ import annotations

from pathlib import Path

from taskembed.models.formats import load_folder
from taskembed.models.loaded import LoadedModel
from taskembed.models.resolve import resolve
from taskembed.models.runtime import Runtime


def load_model(
    ref: str | Path,
    *,
    cache_dir: str | Path | None = None,
    offline: bool | None = None,
    task: str | None = None,
    runtime: Runtime | None = None,
) -> LoadedModel:
    """Resolve ``ref`` (bundled name, folder or hub id) and load it; ``task`` pins the model to one task.

    ``runtime`` chooses the engine, precision and threads (default: torch fp32 on every core).
    """
    from taskembed.backends.apply import apply_runtime

    resolved = resolve(ref, cache_dir=cache_dir, offline=offline)
    model = load_folder(resolved.path, resolved.name)
    if task is not None:
        model.pin(task)
    apply_runtime(model, runtime or Runtime(), resolved.path)
    return model
