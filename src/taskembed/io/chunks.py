"""A folder of finished chunks of a bulk job; each chunk file appears atomically or not at all."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


class ChunkStore:
    """Chunk ``i`` is ``chunk-{i:06d}.npz`` holding ``ids``, ``embeddings`` and optional extra columns."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, index: int) -> Path:
        return self.folder / f"chunk-{index:06d}.npz"

    def has(self, index: int) -> bool:
        """Whether chunk ``index`` was finished."""
        return self._path(index).is_file()

    def write(
        self, index: int, ids: np.ndarray, embeddings: np.ndarray, extra: dict[str, np.ndarray] | None = None
    ) -> None:
        """Store one finished chunk: write a temporary file, flush it to disk, then rename."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(index).with_suffix(f".{uuid.uuid4().hex}.tmp")  # unique: writers never collide
        try:
            with tmp.open("wb") as handle:
                arrays: dict[str, Any] = {"ids": ids, "embeddings": embeddings}
                arrays.update({f"extra_{k}": v for k, v in (extra or {}).items()})
                np.savez(handle, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(self._path(index))
        finally:
            tmp.unlink(missing_ok=True)

    def count(self) -> int:
        """Number of finished chunks."""
        return sum(1 for _ in self.folder.glob("chunk-*.npz")) if self.folder.is_dir() else 0

    def read_all(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (ids, embeddings) of every finished chunk in order, one chunk in memory at a time."""
        for ids, embeddings, _ in self.read_columns():
            yield ids, embeddings

    def read_columns(self) -> Iterator[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
        """Yield (ids, embeddings, extra columns) of the finished chunks from 0 to the first missing one."""
        index = 0
        while self.has(index):
            with np.load(self._path(index), allow_pickle=False) as data:
                extra = {k.removeprefix("extra_"): data[k] for k in data.files if k.startswith("extra_")}
                yield data["ids"], data["embeddings"], extra
            index += 1

    def remove(self) -> None:
        """Delete the folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)
