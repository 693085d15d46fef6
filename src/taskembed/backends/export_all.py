"""export_model: build (or find) every ONNX graph a model needs, ahead of serving (``taskembed export``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from taskembed.backends.onnx_backbone import OnnxBackbone
from taskembed.errors import InputError
from taskembed.models.load import load_model
from taskembed.models.runtime import Runtime


def export_model(
    ref: str | Path, runtime: Runtime, tasks: list[str] | None = None
) -> Iterator[tuple[str | None, Path, bool]]:
    """Yield (task, graph file, exported now?) for the base weights and each task (or only ``tasks``)."""
    model = load_model(ref, runtime=runtime)
    backbone = model.backbone
    assert isinstance(backbone, OnnxBackbone)
    wanted: list[str | None] = list(tasks) if tasks else [None, *model.task_adapters]
    unknown = [task for task in wanted if task is not None and task not in model.info.tasks]
    if unknown:
        valid = ", ".join(model.info.tasks) or "none"
        raise InputError(f"model {model.info.name} has no task {unknown[0]!r}; its tasks: {valid}")
    for task in wanted:
        adapter = model.adapter_of(task)
        graph = backbone.graph(adapter)
        yield task, graph, adapter in backbone.built
