"""A step's output as numbered JSON Lines parts, one per input chunk, each written atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from taskembed.curation.records import Row, json_line

KEPT = "kept"
DROPPED = "dropped"


class Parts:
    """``kept-000012.jsonl`` holds the rows chunk 12 kept, ``dropped-000012.jsonl`` those it dropped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "parts"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, kind: str, index: int) -> Path:
        return self.folder / f"{kind}-{index:06d}.jsonl"

    def write(self, kind: str, index: int, lines: Iterable[dict[str, Any]]) -> None:
        """Write part ``index`` of ``kind``: complete under its final name, or not at all."""
        path = self._path(kind, index)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.writelines(json_line(line) for line in lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def discard_from(self, index: int) -> None:
        """Remove temp files and parts numbered ``index`` or later (written after the last commit)."""
        for path in self.folder.iterdir():
            number = path.name.split("-", 1)[-1].split(".", 1)[0]
            if path.name.endswith(".tmp") or (number.isdigit() and int(number) >= index):
                path.unlink()

    def files(self, kind: str) -> list[Path]:
        """Every part of ``kind``, in chunk order."""
        return sorted(self.folder.glob(f"{kind}-*.jsonl"))

    def lines(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every stored line of ``kind``, in order."""
        for path in self.files(kind):
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    yield json.loads(line)

    def rows(self) -> Iterator[Row]:
        """The kept (origin, record) rows, in input order: the next step's input."""
        for line in self.lines(KEPT):
            yield line["origin"], line["record"]

    def remove_kept(self) -> None:
        """Delete the kept parts once no later step needs them (the state stays: the step is still done)."""
        for path in self.files(KEPT):
            path.unlink()
