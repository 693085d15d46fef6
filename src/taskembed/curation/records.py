"""Records in and out: a data file (or a BEIR folder) -> (origin, record) rows, and records -> a file.

A record is a JSON-able mapping of field name -> value. Reading streams row by row (a BEIR split holds its
corpus in memory to join qrels to abstracts); writing streams too, one batch of records at a time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from taskembed.curation.config import InputConfig
from taskembed.errors import InputError
from taskembed.io.readers import delimited_records, jsonl_records, parquet_records, pyarrow_parquet

Record = dict[str, Any]
Row = tuple[str, Record]


def origin_input(origin: str) -> str:
    """The input name of an origin (``stsb-en:row 12`` -> ``stsb-en``)."""
    return origin.rsplit(":", 1)[0]


WRITABLE_SUFFIXES = (".jsonl", ".csv", ".tsv", ".parquet")


def _delimited(config: InputConfig) -> Iterator[tuple[str, Record]]:
    names = config.columns
    rows = delimited_records(
        config.path, header=config.header, delimiter=config.delimiter, quoting=config.quoting
    )
    for number, values in rows:
        if isinstance(values, dict):
            yield f"row {number}", values
        elif names is None:
            yield f"row {number}", {str(i): value for i, value in enumerate(values)}
        elif len(values) != len(names):
            raise InputError(
                f"{config.path} row {number} has {len(values)} columns, `columns` names {len(names)}"
            )
        else:
            yield f"row {number}", dict(zip(names, values, strict=True))


def _jsonl(config: InputConfig) -> Iterator[tuple[str, Record]]:
    for where, record in jsonl_records(config.path):
        yield "line " + where.rsplit(" ", 1)[-1], record  # jsonl_records says "PATH line N"


def _parquet(config: InputConfig) -> Iterator[tuple[str, Record]]:
    for number, record in parquet_records(config.path):
        yield f"row {number}", record


def _beir(config: InputConfig) -> Iterator[tuple[str, Record]]:
    """Every judged-relevant (query, document) pair of a BEIR split, in qrels order."""
    from taskembed.evaluate.data import load_beir

    data = load_beir(config.path, config.split)
    for query_id, judged in data.qrels.items():
        for document_id, score in judged.items():
            if score > 0 and query_id in data.queries and document_id in data.corpus:
                record = {
                    "query_id": query_id,
                    "query": data.queries[query_id],
                    "document_id": document_id,
                    "positive": data.corpus[document_id],
                }
                yield f"qrel {query_id}/{document_id}", record


READERS = {".jsonl": _jsonl, ".csv": _delimited, ".tsv": _delimited, ".parquet": _parquet}


def read_input(config: InputConfig) -> Iterator[Row]:
    """(origin, record) for every row of one input; origin reads like ``stsb-en:row 12``."""
    if config.format == "beir":
        if not config.path.is_dir():
            raise InputError(
                f"BEIR input {config.path} is not a folder (corpus.jsonl, queries.jsonl, qrels/)"
            )
        rows = _beir(config)
    else:
        suffix = config.path.suffix.lower()
        if suffix not in READERS:
            raise InputError(
                f"cannot read {config.path}: use .jsonl, .csv, .tsv, .parquet or format = 'beir'"
            )
        if not config.path.is_file():
            raise InputError(f"input file {config.path} does not exist")
        rows = READERS[suffix](config)
    for where, record in rows:
        renamed = {config.rename.get(key, key): value for key, value in record.items()}
        if config.source_field is not None:
            renamed[config.source_field] = config.label
        yield f"{config.label}:{where}", renamed


def read_inputs(configs: Iterable[InputConfig]) -> Iterator[Row]:
    """The rows of every input, one input after the other."""
    for config in configs:
        yield from read_input(config)


def json_line(record: Record) -> str:
    """One JSON Lines line; values JSON has no type for are written as text."""
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


class RecordWriter:
    """Writes records to ``.jsonl``, ``.csv``/``.tsv`` (header from the first record) or ``.parquet``."""

    def __init__(self, path: Path) -> None:
        self.suffix = path.suffix.lower()
        if self.suffix not in WRITABLE_SUFFIXES:
            raise InputError(f"cannot write {path}: use one of {', '.join(WRITABLE_SUFFIXES)}")
        self.path = path
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._parquet: Any = None
        self._columns: list[str] | None = None
        self._batch: list[Record] = []

    def __enter__(self) -> RecordWriter:
        if self.suffix != ".parquet":
            self._handle = self.path.open("w", encoding="utf-8", newline="")
        return self

    def write(self, records: Iterable[Record]) -> None:
        """Append records (all with the same fields for CSV/TSV/Parquet)."""
        if self.suffix == ".jsonl":
            assert self._handle is not None
            self._handle.writelines(json_line(record) for record in records)
        elif self.suffix == ".parquet":
            self._batch.extend(records)
            if len(self._batch) >= 8192:
                self._flush_parquet()
        else:
            for record in records:
                self._write_delimited(record)

    def _write_delimited(self, record: Record) -> None:
        if self._csv is None:
            assert self._handle is not None
            self._columns = list(record)
            self._csv = csv.writer(self._handle, delimiter="\t" if self.suffix == ".tsv" else ",")
            self._csv.writerow(self._columns)
        if list(record) != self._columns:
            raise InputError(
                f"cannot write {self.path}: a row has fields {list(record)}, the first had {self._columns}; "
                "write .jsonl to keep rows with different fields"
            )
        self._csv.writerow(["" if value is None else value for value in record.values()])

    def _flush_parquet(self) -> None:
        if not self._batch:
            return
        parquet = pyarrow_parquet()  # an error naming the extra when pyarrow is missing
        import pyarrow as pa

        if self._parquet is None:
            table = pa.Table.from_pylist(self._batch)
            self._parquet = parquet.ParquetWriter(self.path, table.schema)
        else:
            try:
                table = pa.Table.from_pylist(self._batch, schema=self._parquet.schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as error:
                raise InputError(
                    f"cannot write {self.path}: rows differ in fields or types ({error})"
                ) from None
        self._parquet.write_table(table)
        self._batch = []

    def __exit__(self, *exc: object) -> None:
        if self.suffix == ".parquet":
            if exc[0] is None:
                self._flush_parquet()
                if self._parquet is None:  # no rows at all: an empty file with no columns
                    import pyarrow as pa

                    pyarrow_parquet().write_table(pa.table({}), self.path)
            if self._parquet is not None:
                self._parquet.close()
        elif self._handle is not None:
            self._handle.close()
