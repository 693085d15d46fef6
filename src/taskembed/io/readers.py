"""Streaming readers: a file -> (id, text) rows, in bounded memory, with errors that name the row."""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from taskembed.errors import InputError

Row = tuple[Any, str]
READABLE_SUFFIXES = (".txt", ".jsonl", ".csv", ".tsv", ".parquet")


@dataclass(frozen=True)
class InputSpec:
    """Which file (or folder of files) to read and which fields hold the text and the id."""

    path: Path
    text_field: str = "text"
    id_field: str | None = None

    @property
    def suffix(self) -> str:
        """The file type, from the file name (a folder's: its files')."""
        return self.path.suffix.lower()

    def files(self) -> list[InputSpec]:
        """One spec per file: the file itself, or a folder's data files in name order.

        A folder (a sharded data set, e.g. ``part-00000.parquet``, ...) holds files of one type; names
        starting with ``_`` or ``.`` (``_SUCCESS``, hidden files) are skipped, as Parquet readers do.
        """
        if not self.path.is_dir():
            return [self]
        files = sorted(p for p in self.path.iterdir() if p.is_file() and not p.name.startswith(("_", ".")))
        kinds = sorted({p.suffix.lower() for p in files})
        if not files:
            raise InputError(f"input folder {self.path} holds no data files")
        if len(kinds) > 1 or kinds[0] not in READABLE_SUFFIXES:
            raise InputError(
                f"input folder {self.path} holds {', '.join(k or 'suffix-less' for k in kinds)} files; "
                f"give a folder of one kind: {', '.join(READABLE_SUFFIXES)}"
            )
        return [InputSpec(p, self.text_field, self.id_field) for p in files]


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


def delimited_records(
    path: Path, *, header: bool, delimiter: str | None = None, quoting: bool = True
) -> Iterator[tuple[int, dict[str, str] | list[str]]]:
    """(row number, record) of a CSV/TSV file: a dict by the header's names, or the list of values.

    The delimiter defaults to a tab for ``.tsv`` and a comma otherwise; ``quoting=False`` reads quotes as
    text (files like STS Benchmark's).
    """
    csv.field_size_limit(sys.maxsize)
    delimiter = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    style: Literal[0, 3] = csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE
    with path.open(encoding="utf-8", newline="") as handle:
        if header:
            for number, record in enumerate(csv.DictReader(handle, delimiter=delimiter, quoting=style), 2):
                yield number, dict(record)
        else:
            yield from enumerate(csv.reader(handle, delimiter=delimiter, quoting=style), 1)


def _read_jsonl(spec: InputSpec) -> Iterator[Row]:
    for where, record in jsonl_records(spec.path):
        yield _text_of(record, spec, where)


def _read_delimited(spec: InputSpec) -> Iterator[Row]:
    for number, record in delimited_records(spec.path, header=True):
        assert isinstance(record, dict)  # with a header, records are dicts
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


def parquet_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number from 0, record) of every row of a Parquet file, a batch of rows at a time."""
    offset = 0
    for batch in pyarrow_parquet().ParquetFile(path).iter_batches(batch_size=4096):
        for i, record in enumerate(batch.to_pylist()):
            yield offset + i, record
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
    """Yield (id, text) rows of a file or a folder of files.

    The id is the row number (counted across a folder's files) unless ``spec.id_field`` names one.
    """
    if not spec.path.is_dir() and spec.suffix not in READERS:
        raise InputError(f"cannot read {spec.path}: use one of {', '.join(READABLE_SUFFIXES)}")
    if not spec.path.exists():
        raise InputError(f"input file {spec.path} does not exist")
    files = spec.files()
    return _numbered(itertools.chain.from_iterable(READERS[part.suffix](part) for part in files))


def _numbered(rows: Iterator[Row]) -> Iterator[Row]:
    for number, (row_id, text) in enumerate(rows):
        yield (number if row_id is None else row_id), text


def count_rows(spec: InputSpec) -> int | None:
    """Number of rows, cheaply where the format allows (for the progress bar); None if unknown."""
    if spec.path.is_dir():
        counts = [count_rows(part) for part in spec.files()]
        return None if None in counts else sum(c for c in counts if c is not None)
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
