"""Streaming readers: a file -> (id, text) rows, in bounded memory, with errors that name the row."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taskembed.errors import InputError

Row = tuple[Any, str]
READABLE_SUFFIXES = (".txt", ".jsonl", ".csv", ".tsv", ".parquet")


@dataclass(frozen=True)
class InputSpec:
    """Which file to read and which fields hold the text and the id."""

    path: Path
    text_field: str = "text"
    id_field: str | None = None

    @property
    def suffix(self) -> str:
        """The file type, from the file name."""
        return self.path.suffix.lower()


def _text_of(record: dict[str, Any], spec: InputSpec, where: str) -> Row:
    if spec.text_field not in record:
        fields = ", ".join(map(str, record)) or "none"
        raise InputError(
            f"{where} has no field {spec.text_field!r} (fields: {fields}); choose one with --text-field"
        )
    text = record[spec.text_field]
    if not isinstance(text, str):
        raise InputError(f"{where}: field {spec.text_field!r} is {type(text).__name__}, not text")
    if spec.id_field is None:
        return None, text
    if spec.id_field not in record or record[spec.id_field] is None:
        raise InputError(f"{where} has no id field {spec.id_field!r}")
    return str(record[spec.id_field]), text


def _read_txt(spec: InputSpec) -> Iterator[Row]:
    with spec.path.open(encoding="utf-8", newline="") as handle:
        for line in handle:
            yield None, line.rstrip("\r\n")


def jsonl_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for every non-blank line of a JSON Lines file; a bad line raises naming it."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path} line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{where} is not valid JSON: {error}") from None
            if not isinstance(record, dict):
                raise InputError(f"{where} is not a JSON object")
            yield where, record


def _read_jsonl(spec: InputSpec) -> Iterator[Row]:
    for where, record in jsonl_records(spec.path):
        yield _text_of(record, spec, where)


def _read_delimited(spec: InputSpec) -> Iterator[Row]:
    csv.field_size_limit(sys.maxsize)
    delimiter = "\t" if spec.suffix == ".tsv" else ","
    with spec.path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        for number, record in enumerate(reader, start=2):
            yield _text_of(record, spec, f"{spec.path} row {number}")


def _read_parquet(spec: InputSpec) -> Iterator[Row]:
    parquet = pyarrow_parquet()
    columns = [spec.text_field] + ([spec.id_field] if spec.id_field else [])
    handle = parquet.ParquetFile(spec.path)
    missing = [c for c in columns if c not in handle.schema_arrow.names]
    if missing:
        raise InputError(
            f"{spec.path} has no column {missing[0]!r} (columns: {', '.join(handle.schema_arrow.names)})"
        )
    offset = 0
    for batch in handle.iter_batches(columns=columns, batch_size=4096):
        for i, record in enumerate(batch.to_pylist()):
            yield _text_of(record, spec, f"{spec.path} row {offset + i}")
        offset += batch.num_rows


def pyarrow_parquet() -> Any:
    """The ``pyarrow.parquet`` module, or an InputError naming the extra that provides it."""
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise InputError("Parquet files need pyarrow: pip install 'taskembed[parquet]'") from None
    return parquet


READERS: dict[str, Callable[[InputSpec], Iterator[Row]]] = {
    ".txt": _read_txt,
    ".jsonl": _read_jsonl,
    ".csv": _read_delimited,
    ".tsv": _read_delimited,
    ".parquet": _read_parquet,
}


def read_rows(spec: InputSpec) -> Iterator[Row]:
    """Yield (id, text) rows; the id is the row number unless ``spec.id_field`` names one."""
    if spec.suffix not in READERS:
        raise InputError(f"cannot read {spec.path}: use one of {', '.join(READABLE_SUFFIXES)}")
    if not spec.path.is_file():
        raise InputError(f"input file {spec.path} does not exist")
    return _numbered(READERS[spec.suffix](spec))


def _numbered(rows: Iterator[Row]) -> Iterator[Row]:
    for number, (row_id, text) in enumerate(rows):
        yield (number if row_id is None else row_id), text


def count_rows(spec: InputSpec) -> int | None:
    """Number of rows, cheaply where the format allows (for the progress bar); None if unknown."""
    if spec.suffix == ".parquet":
        return int(pyarrow_parquet().ParquetFile(spec.path).metadata.num_rows)
    if spec.suffix == ".txt":
        with spec.path.open("rb") as handle:
            data = iter(lambda: handle.read(1 << 20), b"")
            count, last = 0, b"\n"
            for block in data:
                count += block.count(b"\n")
                last = block[-1:]
            return count + (last != b"\n")
    return None


def iter_chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    """Group rows into lists of ``size`` (the last may be shorter)."""
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
