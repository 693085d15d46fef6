"""Raw embeddings cached on disk per (model, options, texts), so a re-run sweep does not re-encode."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from taskembed.encode.embedder import Embedder
from taskembed.evaluate.embed import embed_floats
from taskembed.options import EncodeOptions


def raw_options(task: str | None = None, prompt: str | None = None) -> EncodeOptions:
    """Full-size, unnormalized float vectors cut at the model limit: every variant derives from these."""
    return EncodeOptions(task=task, prompt=prompt, normalized=False, truncate=True)


class EmbeddingCache:
    """``folder/<sha256>.npy`` per text list; no folder means memory only for this run."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: dict[str, np.ndarray] = {}

    @staticmethod
    def key(embedder: Embedder, texts: list[str], options: EncodeOptions) -> str:
        """Hash of the model, the options that change vectors, and every text."""
        digest = hashlib.sha256()
        meta = {
            "model": embedder.info.name,
            "path": embedder.info.path,
            "task": options.task,
            "prompt": options.prompt,
            "max_tokens": embedder.info.max_tokens,
            "runtime": embedder.model.runtime.identity,
        }
        digest.update(json.dumps(meta, sort_keys=True).encode())
        for text in texts:
            digest.update(hashlib.sha256(text.encode()).digest())
        return digest.hexdigest()

    def embed(
        self, embedder: Embedder, texts: list[str], options: EncodeOptions, *, progress: bool
    ) -> np.ndarray:
        """Cached raw vectors of ``texts``, encoding them only on a miss."""
        key = self.key(embedder, texts, options)
        if key in self._memory:
            return self._memory[key]
        path = self.folder / f"{key}.npy" if self.folder else None
        if path is not None and path.is_file():
            vectors = np.load(path)
        else:
            vectors = embed_floats(embedder, texts, options, show_progress=progress)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npy")
                np.save(tmp, vectors)
                tmp.replace(path)
        self._memory[key] = vectors
        return vectors
