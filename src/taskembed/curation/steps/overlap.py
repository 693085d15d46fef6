r"""Lexical-overlap filter (jina-embeddings v3): drop pairs whose shorter text is mostly in the longer.

A pair is dropped when most words of the shorter text occur verbatim (as substrings, case-folded) in the
longer one; such pairs teach string matching, not meaning.

Words are runs of letters and digits (``\w+``); a text needs at least ``min_words`` of them for the rule to
apply, so very short texts (and scripts written without spaces) are never dropped by it.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from taskembed.curation.config import OverlapStep
from taskembed.curation.records import Row
from taskembed.curation.steps.base import KEEP, Judged, Verdict, field_text
from taskembed.errors import InputError

_WORD = re.compile(r"\w+")


def overlap(first: str, second: str) -> tuple[int, int]:
    """(words of the shorter text found in the longer one, words of the shorter text)."""
    shorter, longer = sorted((first.casefold(), second.casefold()), key=len)
    words = _WORD.findall(shorter)
    return sum(word in longer for word in words), len(words)


class Overlap:
    """The overlap filter (see the module docstring)."""

    def __init__(self, config: OverlapStep, fields: list[str]) -> None:
        if len(fields) != 2:
            raise InputError(f"overlap compares two fields; got fields {fields}")
        self.config, self.fields = config, fields

    def prepare(self, db: sqlite3.Connection, rows: Callable[[], Iterator[Row]], folder: Path) -> None:
        """Nothing to prepare."""

    def judge(self, rows: list[Row], db: sqlite3.Connection, start: int) -> Judged:
        """Drop rows whose shorter side is mostly contained in the longer one."""
        verdicts = []
        for origin, record in rows:
            found, total = overlap(*(field_text(record, name, origin) for name in self.fields))
            if total >= self.config.min_words and found >= self.config.ratio * total - 1e-9:
                verdicts.append(
                    Verdict("overlap", f"{found} of {total} words of the shorter text are in the longer one")
                )
            else:
                verdicts.append(KEEP)
        return Judged(verdicts, Counter())
