"""Margin filter for triplets: sim(q, p) - sim(q, n) must exceed ``margin``.

A (query, positive, negative) row is kept when it does under a scoring model; negatives scoring that
close to (or above) the positive are likely unlabelled positives. A negative field holding a list (e.g.
from ``taskembed mine``) is pruned to the negatives that pass; the row is dropped only when none is left.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from taskembed.curation.config import MarginStep
from taskembed.curation.records import Row
from taskembed.curation.steps.base import KEEP, Judged, Verdict, field_text, field_texts
from taskembed.curation.steps.model import ScoringModel
from taskembed.errors import InputError


class Margin:
    """The margin filter (see the module docstring)."""

    def __init__(self, config: MarginStep, fields: list[str]) -> None:
        if len(fields) != 3:
            raise InputError(f"margin needs three fields: query, positive, negative; got fields {fields}")
        self.config = config
        self.query_field, self.positive_field, self.negative_field = fields
        self.model = ScoringModel(config)

    def prepare(self, db: sqlite3.Connection, rows: Callable[[], Iterator[Row]], folder: Path) -> None:
        """Nothing to prepare."""

    def judge(self, rows: list[Row], db: sqlite3.Connection, start: int) -> Judged:
        """Score each row's positive and negatives; keep, prune or drop."""
        queries = self.model.queries([field_text(r, self.query_field, o) for o, r in rows])
        positives = self.model.documents([field_text(r, self.positive_field, o) for o, r in rows])
        negatives = [field_texts(r, self.negative_field, o) for o, r in rows]
        flat = self.model.documents([text for texts in negatives for text in texts])
        owners = np.repeat(np.arange(len(rows)), [len(texts) for texts in negatives])
        negative_scores = (queries[owners] * flat).sum(axis=1) if len(flat) else np.zeros(0, dtype=np.float32)
        positive_scores = (queries * positives).sum(axis=1)
        verdicts: list[Verdict] = []
        stats: Counter[str] = Counter({self.model.cut_stat: self.model.take_cut()})
        offset = 0
        for i, (_, record) in enumerate(rows):
            scores = negative_scores[offset : offset + len(negatives[i])]
            offset += len(negatives[i])
            passing = [
                text
                for text, score in zip(negatives[i], scores, strict=True)
                if positive_scores[i] - score > self.config.margin
            ]
            stats["negatives checked"] += len(scores)
            stats["negatives removed"] += len(scores) - len(passing)
            if not len(scores):
                verdicts.append(Verdict("empty", f"field {self.negative_field!r} holds no negative"))
            elif not passing:
                worst = float(scores.max()) if len(scores) else float("nan")
                verdicts.append(
                    Verdict(
                        "margin",
                        f"sim(q, p) {positive_scores[i]:.3f}, best negative {worst:.3f}: margin "
                        f"{positive_scores[i] - worst:.3f} <= {self.config.margin}",
                    )
                )
            elif isinstance(record.get(self.negative_field), list) and len(passing) < len(scores):
                verdicts.append(Verdict(record={**record, self.negative_field: passing}))
            else:
                verdicts.append(KEEP)
        return Judged(verdicts, stats)
