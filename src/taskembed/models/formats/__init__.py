"""One module per checkpoint family; ``load_folder`` picks the right one."""

from __future__ import annotations

from pathlib import Path

from taskembed.models.files import read_optional_json
from taskembed.models.formats.jina_v3 import is_jina_v3, load_jina_v3
from taskembed.models.formats.jina_v5 import is_jina_v5, load_jina_v5
from taskembed.models.formats.sentence_transformers import load_sentence_transformers
from taskembed.models.formats.taskembed_folder import is_taskembed_folder, load_taskembed_folder
from taskembed.models.loaded import LoadedModel


def load_folder(folder: Path, name: str) -> LoadedModel:
    """Load a local model folder, detecting its family from its config and files."""
    if is_taskembed_folder(folder):
        return load_taskembed_folder(folder, name)
    config = read_optional_json(folder / "config.json")
    if is_jina_v3(config):
        return load_jina_v3(folder, name)
    if is_jina_v5(config):
        return load_jina_v5(folder, name)
    return load_sentence_transformers(folder, name)
