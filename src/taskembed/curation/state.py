"""A step's durable state in SQLite: progress, counts and dropped-row samples, committed with each chunk.

Filters keep their own tables (e.g. the dedup index) in the same database, so one transaction per chunk
moves the index, the counts and the progress together: an interrupt anywhere loses at most the chunk in
flight, and that chunk is redone from scratch on resume (its part files are discarded first).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from taskembed.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS samples (reason TEXT, origin TEXT, detail TEXT, record TEXT);
"""


def step_done(folder: Path) -> bool:
    """Whether the step in ``folder`` has finished (without creating anything)."""
    path = folder / "state.sqlite"
    if not path.is_file():
        return False
    with sqlite3.connect(path) as db:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'done'").fetchone()
        except sqlite3.OperationalError:  # no tables yet
            return False
    return row is not None and row[0] == "1"


class StepState:
    """Progress (committed chunks, done, seconds), counters and samples of one step, in ``state.sqlite``."""

    def __init__(self, folder: Path, fingerprint: str, *, cache_mib: int = 64) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.db = sqlite3.connect(folder / "state.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA cache_size = -{int(cache_mib) * 1024}")  # KiB: the page cache's cap
        self.db.executescript(SCHEMA)
        stored = self.get("fingerprint")
        if stored is None:
            self.set("fingerprint", fingerprint)
        elif stored != fingerprint:
            self.db.close()
            raise InputError(
                f"{folder} holds a run with other inputs or settings; use --overwrite to start over "
                "(or another work_dir)"
            )

    def get(self, key: str) -> str | None:
        """A stored meta value."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: object) -> None:
        """Store a meta value (inside the current transaction, if any)."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    @property
    def committed(self) -> int:
        """Chunks whose results are durable."""
        return int(self.get("chunks") or 0)

    @property
    def done(self) -> bool:
        """Whether every chunk has been committed."""
        return self.get("done") == "1"

    @property
    def seconds(self) -> float:
        """Working time summed over chunks (resume gaps not counted)."""
        return float(self.get("seconds") or 0.0)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: everything in it lands, or none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def add_counts(self, counts: Counter[str]) -> None:
        """Add to named counters."""
        self.db.executemany(
            "INSERT INTO counts VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = n + excluded.n",
            counts.items(),
        )

    def counts(self) -> dict[str, int]:
        """Every counter."""
        return {name: int(n) for name, n in self.db.execute("SELECT name, n FROM counts ORDER BY name")}

    def add_sample(self, reason: str, origin: str, detail: str, record: Any, limit: int) -> None:
        """Keep the first ``limit`` dropped rows of each reason as examples."""
        (have,) = self.db.execute("SELECT COUNT(*) FROM samples WHERE reason = ?", (reason,)).fetchone()
        if have < limit:
            self.db.execute(
                "INSERT INTO samples VALUES (?, ?, ?, ?)",
                (reason, origin, detail, json.dumps(record, ensure_ascii=False, default=str)),
            )

    def samples(self) -> dict[str, list[dict[str, Any]]]:
        """Stored examples per reason, in the order they were dropped."""
        found: dict[str, list[dict[str, Any]]] = {}
        for reason, origin, detail, record in self.db.execute("SELECT * FROM samples ORDER BY rowid"):
            found.setdefault(reason, []).append(
                {"origin": origin, "detail": detail, "record": json.loads(record)}
            )
        return found

    def close(self) -> None:
        """Close the database."""
        self.db.close()
