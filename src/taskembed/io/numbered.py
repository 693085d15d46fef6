"""Files numbered by chunk in one folder, each written atomically: present whole, or absent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, ClassVar


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` through ``write``: to a temporary file of its own, flushed to disk, then renamed.

    The temporary name is unique (``.NAME.<uuid>.tmp``), so two writers of the same file (a retried
    worker beside a stale one) never collide, and the last rename leaves one whole copy.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class NumberedFiles:
    """File ``i`` of ``folder`` is ``{PREFIX}{i:06d}{SUFFIX}``."""

    PREFIX: ClassVar[str]
    SUFFIX: ClassVar[str]

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, index: int) -> Path:
        return self.folder / f"{self.PREFIX}{index:06d}{self.SUFFIX}"

    def has(self, index: int) -> bool:
        """Whether file ``index`` was finished."""
        return self._path(index).is_file()

    def count(self) -> int:
        """Number of finished files."""
        return sum(1 for _ in self._finished())

    def _finished(self) -> list[Path]:
        return list(self.folder.glob(f"{self.PREFIX}*{self.SUFFIX}")) if self.folder.is_dir() else []

    def _stray_temporaries(self) -> list[Path]:
        """Temporary files of writers that died before their rename."""
        return list(self.folder.glob(f".{self.PREFIX}*.tmp")) if self.folder.is_dir() else []
