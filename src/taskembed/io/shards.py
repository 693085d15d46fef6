"""A folder of Parquet shards: the sharded output of a bulk job, and the staged input of a distributed one.

Shard ``i`` holds input rows ``[i*C, (i+1)*C)``. Each file appears atomically (written under a name of its
own, flushed, then renamed), so a shard is either complete or absent, and writing it twice (a retried
worker) leaves one copy. Files whose names start with ``_`` are ours and are skipped by Parquet readers
(pyarrow, Spark, DuckDB), so the folder reads as one data set.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from taskembed.io.numbered import NumberedFiles, write_atomically
from taskembed.io.readers import Row, pyarrow_parquet
from taskembed.io.writers import parquet_table

DONE_FILE = "_SUCCESS"
JOB_FILE = "_taskembed_job.json"
STAGING_DIR = "_staging"


def _write_table(table: Any, path: Path) -> None:
    parquet = pyarrow_parquet()
    write_atomically(path, lambda handle: parquet.write_table(table, handle))


class ParquetShards(NumberedFiles):
    """Output shard ``i`` is ``part-{i:06d}.parquet`` with ``id``, any extra columns and ``embedding``."""

    PREFIX, SUFFIX = "part-", ".parquet"

    def write(
        self, index: int, ids: np.ndarray, embeddings: np.ndarray, extra: dict[str, np.ndarray] | None = None
    ) -> None:
        """Store one finished shard."""
        _write_table(parquet_table(ids, embeddings, extra or {}), self._path(index))

    def is_complete(self) -> bool:
        """Whether a run finished writing this folder."""
        return (self.folder / DONE_FILE).is_file()

    def is_ours(self) -> bool:
        """Whether the folder was made by a bulk job (so replacing it cannot delete a user's files)."""
        return (self.folder / JOB_FILE).is_file() or self.is_complete()

    def finish(self) -> None:
        """Mark the folder complete and drop the staged input and stray temporary files."""
        shutil.rmtree(self.folder / STAGING_DIR, ignore_errors=True)
        for stray in self._stray_temporaries():
            stray.unlink(missing_ok=True)
        (self.folder / DONE_FILE).touch()

    def clear(self) -> None:
        """Delete what a previous run wrote here (only our files)."""
        for path in self._finished():
            path.unlink()
        for name in (DONE_FILE, JOB_FILE):
            (self.folder / name).unlink(missing_ok=True)
        shutil.rmtree(self.folder / STAGING_DIR, ignore_errors=True)


class StagedInput(NumberedFiles):
    """Input rows cut into shards (``id``, ``text``) that workers on any node of a cluster can read."""

    PREFIX, SUFFIX = "rows-", ".parquet"

    def write(self, index: int, rows: list[Row]) -> None:
        """Stage one shard of (id, text) rows."""
        import pyarrow as pa

        ids = [row_id for row_id, _ in rows]
        table = pa.table(
            {
                "id": pa.array(ids) if rows else pa.array([], pa.int64()),
                "text": pa.array([text for _, text in rows], pa.string()),
            }
        )
        _write_table(table, self._path(index))

    def read(self, index: int) -> list[Row]:
        """The (id, text) rows of shard ``index``, in input order."""
        table = pyarrow_parquet().read_table(self._path(index))
        return list(zip(table.column("id").to_pylist(), table.column("text").to_pylist(), strict=True))
