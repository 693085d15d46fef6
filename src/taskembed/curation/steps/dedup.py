"""Deduplication: degenerate pairs, exact duplicates (normalized hash) and near-duplicates (MinHash LSH).

The first occurrence of a row is kept. The index lives in the step's SQLite database (hash -> row, band key
-> row, row -> signature), so memory stays bounded however large the input, and it moves with each chunk's
transaction. Near duplicates are judged field by field: every field of the row must reach the threshold
against the same earlier row (a shared long passage alone does not make two pairs duplicates). Rows that
share a band in any field are candidates, verified on their stored signatures (one per field).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from taskembed.curation.config import DedupStep
from taskembed.curation.normalize import SEPARATOR, normalize, stable_hash
from taskembed.curation.records import Row
from taskembed.curation.steps.base import KEEP, Judged, Verdict, field_text
from taskembed.curation.steps.minhash import Signer, jaccard

SCHEMA = """
CREATE TABLE IF NOT EXISTS exact (hash INTEGER PRIMARY KEY, origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bands (key INTEGER PRIMARY KEY, id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS signatures (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, signature BLOB NOT NULL);
"""


def _lookup(db: sqlite3.Connection, sql: str, keys: list[int]) -> dict[int, Any]:
    """``{key: value}`` for the keys present; ``sql`` reads the keys from ``json_each(?)``.

    One parameter holding every key keeps one prepared statement: ``IN (?, ?, ...)`` lists of varying
    length would fill the statement cache with large statements (tens of MiB, measured).
    """
    return dict(db.execute(sql, (json.dumps(list(dict.fromkeys(keys))),)).fetchall())


@dataclass
class _Chunk:
    """A chunk in judgement: its rows, their normalized texts, verdicts so far, and the index additions."""

    rows: list[Row]
    normalized: list[list[str]]
    verdicts: list[Verdict | None]
    stats: Counter[str] = field(default_factory=Counter)
    exact: list[tuple[int, str]] = field(default_factory=list)
    bands: dict[int, int] = field(default_factory=dict)
    signatures: list[tuple[int, str, bytes]] = field(default_factory=list)


class Dedup:
    """The dedup filter (see the module docstring)."""

    def __init__(self, config: DedupStep, fields: list[str]) -> None:
        self.config, self.fields = config, fields
        self.signer = (
            Signer(config.num_perm, config.seed, config.threshold, config.shingle, config.ngram)
            if config.near
            else None
        )

    def prepare(self, db: sqlite3.Connection, rows: Callable[[], Iterator[Row]], folder: Path) -> None:
        """Create the index tables."""
        db.executescript(SCHEMA)

    def _degenerate(self, texts: list[str]) -> Verdict | None:
        for name, text in zip(self.fields, texts, strict=True):
            if not text:
                return Verdict("empty", f"field {name!r} is empty")
        if len(set(texts)) < len(texts):
            first = next(i for i, text in enumerate(texts) if texts.count(text) > 1)
            second = texts.index(texts[first], first + 1)
            return Verdict(
                "identical-sides", f"{self.fields[first]!r} and {self.fields[second]!r} are the same text"
            )
        return None

    def judge(self, rows: list[Row], db: sqlite3.Connection, start: int) -> Judged:
        """Verdicts in row order; the chunk's new rows are indexed as it goes."""
        normalized = [
            [normalize(field_text(record, f, origin)) for f in self.fields] for origin, record in rows
        ]
        verdicts: list[Verdict | None] = [
            self._degenerate(texts) if self.config.degenerate else None for texts in normalized
        ]
        chunk = _Chunk(rows, normalized, verdicts)
        if self.config.exact:
            self._exact(chunk, db)
        if self.signer is not None:
            self._near(chunk, db)
        db.executemany("INSERT OR IGNORE INTO exact VALUES (?, ?)", chunk.exact)
        db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", chunk.bands.items())
        db.executemany("INSERT INTO signatures VALUES (?, ?, ?)", chunk.signatures)
        return Judged([verdict or KEEP for verdict in verdicts], chunk.stats)

    def _exact(self, chunk: _Chunk, db: sqlite3.Connection) -> None:
        rows, normalized, verdicts = chunk.rows, chunk.normalized, chunk.verdicts
        keys = [stable_hash(SEPARATOR.join(texts)) for texts in normalized]
        seen = _lookup(
            db, "SELECT hash, origin FROM exact WHERE hash IN (SELECT value FROM json_each(?))", keys
        )
        for i, key in enumerate(keys):
            if verdicts[i] is not None:
                continue
            if key in seen:
                verdicts[i] = Verdict("exact-duplicate", f"same text as {seen[key]}")
            else:
                seen[key] = rows[i][0]
                chunk.exact.append((key, rows[i][0]))

    def _near(self, chunk: _Chunk, db: sqlite3.Connection) -> None:
        assert self.signer is not None
        rows, normalized, verdicts = chunk.rows, chunk.normalized, chunk.verdicts
        todo = [i for i, verdict in enumerate(verdicts) if verdict is None]
        signer = self.signer
        signatures = {i: np.stack([signer.signature(text) for text in normalized[i]]) for i in todo}
        band_keys = {
            i: [key for field, row in enumerate(signatures[i]) for key in signer.band_keys(row, field)]
            for i in todo
        }
        holders = _lookup(
            db,
            "SELECT key, id FROM bands WHERE key IN (SELECT value FROM json_each(?))",
            [k for i in todo for k in band_keys[i]],
        )
        local: dict[int, tuple[str, np.ndarray]] = {}
        (next_id,) = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM signatures").fetchone()
        for i in todo:
            candidates = sorted({int(holders[k]) for k in band_keys[i] if k in holders})
            match = self._best_match(signatures[i], candidates, local, db)
            if match is not None and match[1] >= self.config.threshold:
                verdicts[i] = Verdict("near-duplicate", f"Jaccard ~{match[1]:.2f} with {match[0]}")
                continue
            if candidates:
                chunk.stats["near-duplicate candidates below the threshold"] += 1
            local[next_id] = (rows[i][0], signatures[i])
            chunk.signatures.append((next_id, rows[i][0], signatures[i].tobytes()))
            for key in band_keys[i]:
                holders.setdefault(key, next_id)
                chunk.bands.setdefault(key, next_id)
            next_id += 1

    @staticmethod
    def _best_match(
        signature: np.ndarray,
        candidates: Iterable[int],
        local: dict[int, tuple[str, np.ndarray]],
        db: sqlite3.Connection,
    ) -> tuple[str, float] | None:
        """The most similar candidate (origin, lowest Jaccard estimate over the fields), or None."""
        best: tuple[str, float] | None = None
        for candidate in candidates:
            if candidate in local:
                origin, other = local[candidate]
            else:
                origin, blob = db.execute(
                    "SELECT origin, signature FROM signatures WHERE id = ?", (candidate,)
                ).fetchone()
                other = np.frombuffer(blob, dtype=np.uint32).reshape(signature.shape)
            similarity = min(jaccard(mine, theirs) for mine, theirs in zip(signature, other, strict=True))
            if best is None or similarity > best[1]:
                best = (origin, similarity)
        return best
