"""Teacher embeddings, computed once and kept on disk, memory-mapped, keyed by text hash.

A cache folder belongs to one teacher setup (model files, task, prompt, runtime): its name is the hash
of those. Vectors are written in shards; a shard counts once its hash file exists (written last, by
rename), so an interrupted fill keeps every finished shard and recomputes only the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

HASH_BYTES = 16
SHARD_ROWS = 4096

EmbedFn = Callable[[list[str]], np.ndarray]


def text_hash(text: str) -> bytes:
    """The key of one text: the first 16 bytes of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:HASH_BYTES]


def default_cache_root() -> Path:
    """``$TASKEMBED_CACHE/teacher`` or ``~/.cache/taskembed/teacher``."""
    base = os.environ.get("TASKEMBED_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "taskembed") / "teacher"


def setup_key(meta: Mapping[str, object]) -> str:
    """The folder name for one teacher setup."""
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:32]


class TeacherCache:
    """Memory-mapped teacher vectors under ``root/<setup key>/``."""

    def __init__(self, root: Path, meta: Mapping[str, object]) -> None:
        self.folder = root / setup_key(meta)
        self.folder.mkdir(parents=True, exist_ok=True)
        meta_file = self.folder / "teacher.json"
        if not meta_file.is_file():
            meta_file.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        self._index: dict[bytes, tuple[int, int]] = {}
        self._shards: list[np.ndarray] = []
        for hashes_file in sorted(self.folder.glob("hashes-*.npy")):
            if not hashes_file.name.endswith(".tmp.npy"):
                self._add_shard(hashes_file)

    def _add_shard(self, hashes_file: Path) -> None:
        shard = len(self._shards)
        vectors_file = hashes_file.with_name(hashes_file.name.replace("hashes-", "vectors-"))
        self._shards.append(np.load(vectors_file, mmap_mode="r"))
        for row, key in enumerate(np.load(hashes_file)):
            self._index[key.tobytes()] = (shard, row)

    def __len__(self) -> int:
        return len(self._index)

    def missing(self, texts: Sequence[str]) -> list[str]:
        """Distinct texts not cached yet, in first-seen order."""
        seen: set[bytes] = set()
        result = []
        for text in texts:
            key = text_hash(text)
            if key not in self._index and key not in seen:
                seen.add(key)
                result.append(text)
        return result

    def fill(self, texts: Sequence[str], embed: EmbedFn, *, progress: bool = True) -> int:
        """Embed and store every text not cached yet; return how many were computed."""
        todo = self.missing(texts)
        with tqdm(total=len(todo), disable=not progress or not todo, desc="teacher", unit="text") as bar:
            for start in range(0, len(todo), SHARD_ROWS):
                chunk = todo[start : start + SHARD_ROWS]
                self._write_shard(chunk, np.ascontiguousarray(embed(chunk), dtype=np.float32))
                bar.update(len(chunk))
        return len(todo)

    def _write_shard(self, texts: list[str], vectors: np.ndarray) -> None:
        number = len(self._shards)
        vectors_file = self.folder / f"vectors-{number:05d}.npy"
        hashes_file = self.folder / f"hashes-{number:05d}.npy"
        np.save(vectors_file, vectors)
        tmp = self.folder / f"hashes-{number:05d}.tmp.npy"
        np.save(tmp, np.stack([np.frombuffer(text_hash(t), dtype=np.uint8) for t in texts]))
        tmp.replace(hashes_file)
        self._add_shard(hashes_file)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """The cached vectors of ``texts`` (every one must be cached), as a float32 array."""
        places = [self._index[text_hash(text)] for text in texts]
        return np.stack([self._shards[shard][row] for shard, row in places]).astype(np.float32)

    @property
    def dimension(self) -> int:
        """Width of the teacher vectors (0 when nothing is cached)."""
        return int(self._shards[0].shape[1]) if self._shards else 0
