"""Refuse what could run code on load: pickle weights and remote model code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taskembed.errors import ModelLoadError, UnsafeModelError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def safetensors_files(folder: Path) -> list[Path]:
    """Return the folder's safetensors weights; refuse pickle-only folders with a reason."""
    found = sorted(folder.glob("*.safetensors"))
    if found:
        return found
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise UnsafeModelError(
            f"{folder} has only pickle weights ({', '.join(pickles)}); "
            "loading pickle can run arbitrary code, "
            "so taskembed loads safetensors only. Convert the weights on a machine you trust "
            "(`safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors')`)"
        )
    raise ModelLoadError(f"{folder} has no weights: expected model.safetensors (or sharded *.safetensors)")


def refuse_remote_code(config: dict[str, Any], folder: Path) -> None:
    """Refuse a config whose model type exists only as remote code (``auto_map``)."""
    from transformers import CONFIG_MAPPING

    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING:
        needs_code = " (it names remote code in auto_map)" if "auto_map" in config else ""
        raise UnsafeModelError(
            f"{folder / 'config.json'}: model_type {model_type!r} "
            f"is not a transformers architecture{needs_code}; "
            "taskembed never runs code shipped with a model (trust_remote_code). "
            "Use a checkpoint whose architecture transformers or taskembed implements"
        )
