"""One module per checkpoint family; ``load_folder`` picks the right one."""

from __future__ import annotations

from pathlib import Path

from taskembed.models.formats.sentence_transformers import load_sentence_transformers
from taskembed.models.loaded import LoadedModel


def load_folder(folder: Path, name: str) -> LoadedModel:
    """Load a local model folder, detecting its family from its files."""
    return load_sentence_transformers(folder, name)
