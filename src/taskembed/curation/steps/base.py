"""What a curation filter is: per chunk of rows, a verdict per row (keep, keep changed, or drop and why)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from taskembed.curation.records import Record, Row
from taskembed.errors import InputError


@dataclass(frozen=True)
class Verdict:
    """``reason`` None keeps the row (as ``record`` when the filter changed it); else drops it."""

    reason: str | None = None
    detail: str = ""
    record: Record | None = None


KEEP = Verdict()


@dataclass
class Judged:
    """A chunk's verdicts and the filter's own counters (e.g. a language histogram)."""

    verdicts: list[Verdict]
    stats: Counter[str]


class Filter(Protocol):
    """One curation step.

    ``prepare`` runs once before the chunks (it may read the whole input, and must be resumable itself);
    ``judge`` runs inside the chunk's transaction and may use ``db`` for state.
    """

    def prepare(self, db: sqlite3.Connection, rows: Callable[[], Iterator[Row]], folder: Path) -> None:
        """Create tables, build samples (files go in ``folder``): what must exist before the first chunk."""

    def judge(self, rows: list[Row], db: sqlite3.Connection, start: int) -> Judged:
        """A verdict for every row of the chunk, whose first row is input row ``start``, in order."""


def field_text(record: Record, field: str, origin: str) -> str:
    """The text in ``record[field]``; a missing or non-text field is an error naming the row."""
    if field not in record:
        have = ", ".join(map(str, record)) or "none"
        raise InputError(f"{origin} has no field {field!r} (fields: {have}); set `fields` for this step")
    value = record[field]
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{origin}: field {field!r} is {type(value).__name__}, not text")
    return value


def field_texts(record: Record, field: str, origin: str) -> list[str]:
    """The texts of a field holding one text or a list of texts (e.g. mined negatives)."""
    value: Any = record.get(field)
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise InputError(f"{origin}: field {field!r} is a list, but not of texts")
        return value
    return [field_text(record, field, origin)]
