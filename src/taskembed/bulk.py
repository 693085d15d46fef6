"""Bulk encoding of a file: streamed in chunks, resumable after an interrupt, atomic output.

The output is one file (``.npy``, ``.parquet``, ``.jsonl``), assembled from finished chunks at the end, or
a folder of Parquet shards (a path without a suffix), written as chunks finish. ``bulk_ray`` runs the
same chunks on a Ray cluster.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from taskembed.encode.embedder import Embedder
from taskembed.errors import InputError, InputTooLongError
from taskembed.io.chunks import ChunkStore
from taskembed.io.readers import InputSpec, Row, count_rows, iter_chunks, read_rows
from taskembed.io.shards import JOB_FILE as SHARDED_JOB_FILE
from taskembed.io.shards import STAGING_DIR, ParquetShards
from taskembed.io.writers import assemble, check_output
from taskembed.options import EncodeOptions

JOB_FILE = "job.json"
JOB_FORMAT = 1
Sink = ChunkStore | ParquetShards


@dataclass(frozen=True)
class BulkJob:
    """Encode ``source`` into ``output`` with ``options`` (one embedding type), ``chunk_rows`` at a time."""

    source: InputSpec
    output: Path
    options: EncodeOptions
    chunk_rows: int = 4096
    overwrite: bool = False
    chunker: str | None = None  # rows are documents, output rows are their chunks (with offsets)

    @property
    def sharded(self) -> bool:
        """Whether the output is a folder of Parquet shards (a path without a suffix, or a folder)."""
        return self.output.suffix == "" or self.output.is_dir()

    @property
    def work_dir(self) -> Path:
        """Where finished chunks wait until the output is assembled (a sharded output is its own)."""
        return self.output if self.sharded else self.output.with_name(self.output.name + ".partial")

    @property
    def job_file(self) -> Path:
        """The record of the arguments that made the unfinished chunks."""
        return self.work_dir / (SHARDED_JOB_FILE if self.sharded else JOB_FILE)

    @property
    def staging_dir(self) -> Path:
        """Where a distributed run stages the input rows of unfinished chunks."""
        return self.work_dir / STAGING_DIR

    def sink(self) -> Sink:
        """Where finished chunks go."""
        return ParquetShards(self.output) if self.sharded else ChunkStore(self.work_dir)


@dataclass(frozen=True)
class EncodedChunk:
    """One chunk's output rows."""

    ids: np.ndarray
    embeddings: np.ndarray
    extra: dict[str, np.ndarray]
    truncated: int


@dataclass(frozen=True)
class BulkSummary:
    """What a run did."""

    rows: int
    chunks: int
    resumed_chunks: int
    truncated: int
    seconds: float


def _input_fingerprint(source: InputSpec) -> dict[str, Any]:
    """What identifies the input's content: path, size and mtime (of each file of a folder)."""
    found: dict[str, Any] = {
        "path": str(source.path.resolve()),
        "text_field": source.text_field,
        "id_field": source.id_field,
    }
    if source.path.is_dir():
        stats = [(part.path.name, part.path.stat()) for part in source.files()]
        found["files"] = [[name, info.st_size, info.st_mtime_ns] for name, info in stats]
    else:
        stat = source.path.stat()
        found.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    return found


def _fingerprint(job: BulkJob, embedder: Embedder) -> dict[str, Any]:
    options = {k: v for k, v in asdict(job.options).items() if k not in ("ranges", "embedding_types")}
    return {
        "format": JOB_FORMAT,
        "input": _input_fingerprint(job.source),
        "model": {"name": embedder.info.name, "path": embedder.info.path},
        "options": options,
        "embedding_type": job.options.embedding_types[0].value,
        "chunk_rows": job.chunk_rows,
        "chunker": job.chunker,
        "batch_tokens": job.options.batch_tokens or embedder.batch_tokens,
    }


def _check_resumable(job: BulkJob, fingerprint: dict[str, Any]) -> None:
    """Start a work folder, or make sure an existing one was made by the same command."""
    job_file = job.job_file
    if job_file.is_file() and job.sink().count():
        if json.loads(job_file.read_text(encoding="utf-8")) != fingerprint:
            raise InputError(
                f"{job.work_dir} holds an unfinished run with other arguments or another input; "
                "re-run that exact command to resume it, or delete the folder to start over"
            )
        return
    job.work_dir.mkdir(parents=True, exist_ok=True)
    tmp = job_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(fingerprint, indent=1), encoding="utf-8")
    tmp.replace(job_file)


def _check_sharded_output(job: BulkJob) -> None:
    """A sharded output folder must be new, empty, unfinished work of ours, or replaceable."""
    shards = ParquetShards(job.output)
    if job.output.exists() and not job.output.is_dir():
        raise InputError(f"{job.output} exists and is not a folder; give a folder for sharded Parquet output")
    if not job.output.is_dir() or not any(job.output.iterdir()):
        return
    if not shards.is_ours():
        raise InputError(
            f"{job.output} is a folder taskembed did not write; give a new or empty folder for the shards"
        )
    if shards.is_complete() and not job.overwrite:
        raise InputError(f"{job.output} holds a finished run; pass --overwrite to replace it")


def _validate(job: BulkJob, embedder: Embedder) -> None:
    if job.sharded:
        _check_sharded_output(job)
    else:
        check_output(job.output)
    if len(job.options.embedding_types) != 1:
        raise InputError("a bulk job writes one embedding type; pass a single --embedding-type")
    if job.chunk_rows < 1:
        raise InputError(f"chunk size must be a positive integer, got {job.chunk_rows}")
    if job.output.exists() and not job.sharded and not job.overwrite:
        raise InputError(f"{job.output} exists; pass --overwrite to replace it")
    job.options.validated(embedder.info)
    if job.options.late_chunking and job.chunker is None:
        raise InputError("late chunking of a file needs --chunker (each row is a document split into chunks)")
    if job.chunker is not None and job.output.suffix.lower() == ".npy":
        raise InputError("chunk output carries document ids and offsets: write .jsonl or .parquet, not .npy")


def _embed_documents(
    embedder: Embedder, job: BulkJob, rows: list[tuple[object, str]]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Every document's chunks: (document ids, vectors, chunk index / start / end / text columns)."""
    assert job.chunker is not None
    ids: list[object] = []
    vectors: list[np.ndarray] = []
    columns: dict[str, list[Any]] = {"chunk": [], "start": [], "end": [], "text": []}
    for row_id, text in rows:
        pieces, result = embedder.embed_chunks(text, job.options, chunker=job.chunker)
        ids += [row_id] * len(pieces)
        vectors.append(next(iter(result.embeddings.values())))
        for piece in pieces:
            columns["chunk"].append(piece.chunk)
            columns["start"].append(piece.start)
            columns["end"].append(piece.end)
            columns["text"].append(text[piece.start : piece.end])
    return np.array(ids), np.concatenate(vectors), {k: np.array(v) for k, v in columns.items()}


def encode_chunk(
    embedder: Embedder, job: BulkJob, rows: list[Row], on_rows: Callable[[int], None] | None = None
) -> EncodedChunk:
    """The output rows of one chunk of input rows (the chunks of each document with ``job.chunker``)."""
    if job.chunker is not None and rows:
        chunk = EncodedChunk(*_embed_documents(embedder, job, rows), truncated=0)
        if on_rows is not None:
            on_rows(len(rows))
        return chunk
    try:
        result = embedder.embed([text for _, text in rows], job.options, on_rows=on_rows)
    except InputTooLongError as error:
        raise InputError(
            f"row {rows[error.index][0]} of {job.source.path} has {error.tokens} tokens, more than the "
            f"model's limit of {error.limit}; shorten or split it, or drop --no-truncate to cut it there"
        ) from None
    ids = np.array([row_id for row_id, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
    return EncodedChunk(ids, next(iter(result.embeddings.values())), {}, len(result.truncated))


def write_chunk(sink: Sink, index: int, chunk: EncodedChunk) -> None:
    """Store a finished chunk (idempotent: a chunk written twice is stored once)."""
    sink.write(index, chunk.ids, chunk.embeddings, chunk.extra or None)


def prepare(job: BulkJob, embedder: Embedder) -> Sink:
    """Check the job and its input, then start (or re-open) its work folder; return where chunks go."""
    _validate(job, embedder)
    read_rows(job.source)  # checks the input first: a bad path leaves no work folder behind
    sink = job.sink()
    if isinstance(sink, ParquetShards) and sink.is_complete():  # --overwrite of a finished folder
        sink.clear()
    _check_resumable(job, _fingerprint(job, embedder))
    return sink


def finish(job: BulkJob, sink: Sink) -> None:
    """Turn the finished chunks into the output: assemble one file, or mark the shard folder complete."""
    if isinstance(sink, ParquetShards):
        sink.finish()
        return
    assemble(sink, job.output)
    sink.remove()


def run_bulk(embedder: Embedder, job: BulkJob, *, progress: bool = True) -> BulkSummary:
    """Run (or resume) ``job``; every finished chunk survives an interrupt, the output appears at the end."""
    sink = prepare(job, embedder)
    started, resumed, total_rows, truncated = time.perf_counter(), sink.count(), 0, 0
    with tqdm(total=count_rows(job.source), unit="text", disable=not progress, desc="encode") as bar:
        for index, rows in enumerate(iter_chunks(read_rows(job.source), job.chunk_rows)):
            total_rows += len(rows)
            if sink.has(index):
                bar.update(len(rows))
                continue
            chunk = encode_chunk(embedder, job, rows, on_rows=bar.update)
            truncated += chunk.truncated
            write_chunk(sink, index, chunk)
        if total_rows == 0:  # an empty input still gives an output of the right width and type
            write_chunk(sink, 0, encode_chunk(embedder, job, []))
    chunks = sink.count()
    finish(job, sink)
    return BulkSummary(total_rows, chunks, resumed, truncated, time.perf_counter() - started)
