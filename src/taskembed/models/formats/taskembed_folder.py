"""Folders trained by taskembed: a sentence-transformers folder plus ``taskembed.json``.

The manifest adds what sentence-transformers files cannot say: the tasks and their prompts, the
default task, the Matryoshka dimensions the model was trained for, and the task adapters (peft LoRA
folders under ``adapters/<task>/``), installed as per-row banks like v3's and v5's.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from taskembed.errors import ModelLoadError
from taskembed.models.adapters import TaskRouting, install_adapters
from taskembed.models.backbone import TransformerEncoder
from taskembed.models.formats.sentence_transformers import load_sentence_transformers
from taskembed.models.loaded import LoadedModel
from taskembed.models.manifest import MANIFEST_FILE, Manifest
from taskembed.models.peft_adapters import read_peft_adapter, stack_banks
from taskembed.models.weights import module_shapes

FAMILY = "taskembed"


def is_taskembed_folder(folder: Path) -> bool:
    """A folder with a taskembed manifest."""
    return (folder / MANIFEST_FILE).is_file()


def _install(model: LoadedModel, folder: Path, manifest: Manifest) -> dict[str, int]:
    """Install every adapter folder the manifest names; return each task's adapter index."""
    backbone = model.backbone
    if not isinstance(backbone, TransformerEncoder):
        raise ModelLoadError(f"{folder}: task adapters need a transformers backbone")
    folders = sorted(set(manifest.adapters.values()))
    for relative in folders:
        if not (folder / relative / "adapter_config.json").is_file():
            raise ModelLoadError(f"{folder / MANIFEST_FILE} names adapter {relative}/, which is missing")
    adapters = [read_peft_adapter(folder / relative) for relative in folders]
    routing = TaskRouting()
    install_adapters(backbone.model, stack_banks(adapters, module_shapes(backbone.model)), routing)
    backbone.routing = routing
    return {task: folders.index(relative) for task, relative in manifest.adapters.items()}


def load_taskembed_folder(folder: Path, name: str, *, with_adapters: bool = True) -> LoadedModel:
    """Load the sentence-transformers part, then apply the manifest's tasks, dimensions and adapters.

    ``with_adapters=False`` gives the base model alone (what stage 2 trains a new adapter on).
    """
    manifest = Manifest.read(folder)
    model = load_sentence_transformers(folder, name)
    dims = tuple(d for d in manifest.matryoshka_dimensions if d <= model.info.dimension)
    prompts = dict(manifest.prompts)
    if with_adapters and manifest.adapters:
        model.task_adapters = _install(model, folder, manifest)
    elif manifest.adapters:
        prompts = {task: prompt for task, prompt in prompts.items() if task not in manifest.adapters}
    model.info = replace(
        model.info,
        family=FAMILY,
        tasks=tuple(prompts),
        prompts=prompts,
        default_task=manifest.default_task if manifest.default_task in prompts else None,
        matryoshka_dimensions=dims,
    )
    return model
