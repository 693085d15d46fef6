"""Bulk encoding of a file: streamed in chunks, resumable after an interrupt, atomic output."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from taskembed.encode.embedder import Embedder
from taskembed.errors import InputError
from taskembed.io.chunks import ChunkStore
from taskembed.io.readers import InputSpec, count_rows, iter_chunks, read_rows
from taskembed.io.writers import assemble, check_output
from taskembed.options import EncodeOptions

JOB_FILE = "job.json"
JOB_FORMAT = 1


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
    def work_dir(self) -> Path:
        """Where finished chunks wait until the output is assembled."""
        return self.output.with_name(self.output.name + ".partial")


@dataclass(frozen=True)
class BulkSummary:
    """What a run did."""

    rows: int
    chunks: int
    resumed_chunks: int
    truncated: int
    seconds: float


def _fingerprint(job: BulkJob, embedder: Embedder) -> dict[str, Any]:
    stat = job.source.path.stat()
    options = {k: v for k, v in asdict(job.options).items() if k not in ("ranges", "embedding_types")}
    return {
        "format": JOB_FORMAT,
        "input": {
            "path": str(job.source.path.resolve()),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "text_field": job.source.text_field,
            "id_field": job.source.id_field,
        },
        "model": {"name": embedder.info.name, "path": embedder.info.path},
        "options": options,
        "embedding_type": job.options.embedding_types[0].value,
        "chunk_rows": job.chunk_rows,
        "chunker": job.chunker,
        "batch_tokens": job.options.batch_tokens or embedder.batch_tokens,
    }


def _check_resumable(job: BulkJob, fingerprint: dict[str, Any]) -> None:
    """Start a work folder, or make sure an existing one was made by the same command."""
    job_file = job.work_dir / JOB_FILE
    if job_file.is_file() and ChunkStore(job.work_dir).count():
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


def _validate(job: BulkJob, embedder: Embedder) -> None:
    check_output(job.output)
    if len(job.options.embedding_types) != 1:
        raise InputError("a bulk job writes one embedding type; pass a single --embedding-type")
    if job.chunk_rows < 1:
        raise InputError(f"chunk size must be a positive integer, got {job.chunk_rows}")
    if job.output.exists() and not job.overwrite:
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


def run_bulk(embedder: Embedder, job: BulkJob, *, progress: bool = True) -> BulkSummary:
    """Run (or resume) ``job``; every finished chunk survives an interrupt, the output appears at the end."""
    _validate(job, embedder)
    rows = read_rows(job.source)  # checks the input first: a bad path leaves no work folder behind
    _check_resumable(job, _fingerprint(job, embedder))
    store = ChunkStore(job.work_dir)
    started, resumed, total_rows, truncated = time.perf_counter(), store.count(), 0, 0
    with tqdm(total=count_rows(job.source), unit="text", disable=not progress, desc="encode") as bar:
        for index, chunk in enumerate(iter_chunks(rows, job.chunk_rows)):
            total_rows += len(chunk)
            if store.has(index):
                bar.update(len(chunk))
                continue
            if job.chunker is not None:
                store.write(index, *_embed_documents(embedder, job, chunk))
                bar.update(len(chunk))
                continue
            result = embedder.embed([text for _, text in chunk], job.options, on_rows=bar.update)
            truncated += len(result.truncated)
            ids = np.array([row_id for row_id, _ in chunk])
            store.write(index, ids, next(iter(result.embeddings.values())))
        if total_rows == 0:  # an empty input still gives an output of the right width and type
            empty = embedder.embed([], job.options).embeddings
            store.write(0, np.zeros(0, dtype=np.int64), next(iter(empty.values())))
    chunks = store.count()
    assemble(store, job.output)
    store.remove()
    return BulkSummary(total_rows, chunks, resumed, truncated, time.perf_counter() - started)
