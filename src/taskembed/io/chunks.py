"""A folder of finished chunks of a bulk job; each chunk file appears atomically or not at all."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np

from taskembed.io.numbered import NumberedFiles, write_atomically


class ChunkStore(NumberedFiles):
    """Chunk ``i`` is ``chunk-{i:06d}.npz`` holding ``ids``, ``embeddings`` and optional extra columns."""

    PREFIX, SUFFIX = "chunk-", ".npz"

    def write(
        self, index: int, ids: np.ndarray, embeddings: np.ndarray, extra: dict[str, np.ndarray] | None = None
    ) -> None:
        """Store one finished chunk: write a temporary file, flush it to disk, then rename."""
        arrays: dict[str, Any] = {"ids": ids, "embeddings": embeddings}
        arrays.update({f"extra_{k}": v for k, v in (extra or {}).items()})
        write_atomically(self._path(index), lambda handle: np.savez(handle, **arrays))

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
