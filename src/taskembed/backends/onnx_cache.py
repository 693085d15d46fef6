"""Where exported ONNX graphs live, and the key that says when one can be reused.

A graph is reused only when the model's files, the task it runs, the precision and quantization
settings, and the versions of every library that shaped it are the same; anything else gets a new
folder. Folders are written under a temporary name and renamed, so an interrupted export leaves
nothing that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

GRAPH_FILE = "model.onnx"
META_FILE = "meta.json"
OPSET = 17
# Model files that do not change the backbone's graph.
VERSIONED = ("taskembed", "torch", "transformers", "onnx", "onnxruntime")
IGNORED_SUFFIXES = (".md", ".txt", ".png", ".jpg", ".gitattributes")


def cache_root(configured: Path | None = None) -> Path:
    """``configured``, else ``$TASKEMBED_CACHE/onnx``, else ``~/.cache/taskembed/onnx``."""
    if configured is not None:
        return configured
    base = os.environ.get("TASKEMBED_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "taskembed") / "onnx"


def folder_fingerprint(folder: Path) -> str:
    """SHA-256 over the relative path and content of every model file (weights, configs, adapters)."""
    digest = hashlib.sha256()
    files = sorted(
        path for path in folder.rglob("*") if path.is_file() and not path.name.endswith(IGNORED_SUFFIXES)
    )
    for path in files:
        digest.update(str(path.relative_to(folder)).encode())
        with path.open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


@dataclass(frozen=True)
class GraphKey:
    """Everything an exported graph depends on."""

    model: str
    fingerprint: str
    task: str  # the task merged into the weights, or "base"
    precision: str
    reduce_range: bool = False
    keep_fp32: tuple[str, ...] = ()
    opset: int = OPSET

    def describe(self) -> dict[str, object]:
        """The key as JSON-ready values, library versions included."""
        versions = {name: _version(name) for name in VERSIONED}
        return {**asdict(self), "keep_fp32": list(self.keep_fp32), "versions": versions}

    def folder(self, root: Path) -> Path:
        """``root/<model>-<task>-<precision>-<hash of the whole key>``."""
        digest = hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()[:16]
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.model}-{self.task}-{self.precision}")[-80:]
        return root / f"{name}-{digest}"


def cached_graph(key: GraphKey, root: Path) -> Path | None:
    """The graph file for ``key`` when a finished export exists."""
    folder = key.folder(root)
    graph = folder / GRAPH_FILE
    return graph if graph.is_file() and (folder / META_FILE).is_file() else None
