"""Folders trained by taskembed: a sentence-transformers folder plus ``taskembed.json``.

The manifest adds what sentence-transformers files cannot say: the tasks and their prompts, the
default task and the Matryoshka dimensions the model was trained for.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from taskembed.errors import ModelLoadError
from taskembed.models.formats.sentence_transformers import load_sentence_transformers
from taskembed.models.loaded import LoadedModel
from taskembed.models.manifest import MANIFEST_FILE, Manifest

FAMILY = "taskembed"


def is_taskembed_folder(folder: Path) -> bool:
    """A folder with a taskembed manifest."""
    return (folder / MANIFEST_FILE).is_file()


def load_taskembed_folder(folder: Path, name: str) -> LoadedModel:
    """Load the sentence-transformers part, then apply the manifest's tasks and dimensions."""
    manifest = Manifest.read(folder)
    if manifest.adapters:
        raise ModelLoadError(
            f"{folder / MANIFEST_FILE} lists task adapters, which this version of taskembed cannot load yet"
        )
    model = load_sentence_transformers(folder, name)
    dims = tuple(d for d in manifest.matryoshka_dimensions if d <= model.info.dimension)
    model.info = replace(
        model.info,
        family=FAMILY,
        tasks=tuple(manifest.prompts),
        prompts=dict(manifest.prompts),
        default_task=manifest.default_task,
        matryoshka_dimensions=dims,
    )
    return model
