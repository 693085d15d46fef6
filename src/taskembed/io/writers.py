"""Final output files assembled from finished chunks: .npy, .parquet (id + vector) or .jsonl."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from taskembed.errors import InputError
from taskembed.io.chunks import ChunkStore
from taskembed.io.readers import pyarrow_parquet

Writer = Callable[[ChunkStore, Path], None]


def _write_npy(store: ChunkStore, tmp: Path) -> None:
    shapes = [(emb.shape, emb.dtype) for _, emb in store.read_all()]
    total = sum(shape[0] for shape, _ in shapes)
    width = shapes[0][0][1:] if shapes else (0,)
    dtype = np.result_type(*[dtype for _, dtype in shapes]) if shapes else np.float32
    array = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=(total, *width))
    start = 0
    for _, embeddings in store.read_all():
        array[start : start + len(embeddings)] = embeddings
        start += len(embeddings)
    array.flush()
    del array


def _arrow_vectors(embeddings: np.ndarray) -> Any:
    import pyarrow as pa

    if embeddings.ndim == 1:  # base64 strings
        return pa.array(embeddings.tolist(), type=pa.string())
    return pa.FixedSizeListArray.from_arrays(pa.array(embeddings.reshape(-1)), embeddings.shape[1])


def parquet_table(ids: np.ndarray, embeddings: np.ndarray, extra: dict[str, np.ndarray]) -> Any:
    """One chunk as an Arrow table: ``id``, the extra columns, then ``embedding``."""
    import pyarrow as pa

    columns = {"id": pa.array(ids.tolist()), **{k: pa.array(v.tolist()) for k, v in extra.items()}}
    if len(ids) == 0:  # an empty chunk's ids have no values to tell their type
        columns["id"] = pa.array([], pa.int64())
    return pa.table({**columns, "embedding": _arrow_vectors(embeddings)})


def _write_parquet(store: ChunkStore, tmp: Path) -> None:
    pq = pyarrow_parquet()
    writer = None
    try:
        for ids, embeddings, extra in store.read_columns():
            table = parquet_table(ids, embeddings, extra)
            writer = writer or pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        import pyarrow as pa

        pq.write_table(
            pa.table({"id": pa.array([], pa.int64()), "embedding": pa.array([], pa.string())}), tmp
        )


def _json_lines(ids: np.ndarray, embeddings: np.ndarray, extra: dict[str, np.ndarray]) -> Iterable[str]:
    columns = {k: v.tolist() for k, v in extra.items()}
    for row, (row_id, vector) in enumerate(zip(ids.tolist(), embeddings.tolist(), strict=True)):
        record = {"id": row_id, **{k: v[row] for k, v in columns.items()}, "embedding": vector}
        yield json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"


def _write_jsonl(store: ChunkStore, tmp: Path) -> None:
    with tmp.open("w", encoding="utf-8") as handle:
        for ids, embeddings, extra in store.read_columns():
            handle.writelines(_json_lines(ids, embeddings, extra))


WRITERS: dict[str, Writer] = {".npy": _write_npy, ".parquet": _write_parquet, ".jsonl": _write_jsonl}


def check_output(path: Path) -> None:
    """Raise an InputError if taskembed cannot write this kind of file."""
    if path.suffix.lower() not in WRITERS:
        raise InputError(f"cannot write {path}: use one of {', '.join(WRITERS)}")


def assemble(store: ChunkStore, output: Path) -> None:
    """Write ``output`` from the store's chunks to a temporary file, then rename it into place."""
    check_output(output)
    tmp = output.with_name(output.name + ".tmp")
    WRITERS[output.suffix.lower()](store, tmp)
    tmp.replace(output)
