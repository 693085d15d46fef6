"""Evaluation tables: JSONL, CSV/TSV (with a header row) or Parquet files -> records and named columns."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from taskembed.errors import InputError

Record = dict[str, Any]
TABLE_SUFFIXES = (".jsonl", ".csv", ".tsv", ".parquet")


def read_records(path: Path) -> list[Record]:
    """Every record of a table file; the file type comes from its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as error:
                        raise InputError(f"{path} line {number} is not valid JSON: {error}") from None
        return records
    if suffix in (".csv", ".tsv"):
        csv.field_size_limit(sys.maxsize)
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ","))
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as parquet
        except ImportError:
            raise InputError("Parquet files need pyarrow: pip install 'taskembed[parquet]'") from None
        return list(parquet.read_table(path).to_pylist())
    raise InputError(f"cannot read table {path}: use one of {', '.join(TABLE_SUFFIXES)}")


def column(records: list[Record], name: str, path: Path) -> list[Any]:
    """The values of field ``name`` in every record; a missing field names the row and the fields."""
    for number, record in enumerate(records, start=1):
        if name not in record or record[name] is None:
            fields = ", ".join(map(str, record)) or "none"
            raise InputError(
                f"{path} record {number} has no field {name!r} (fields: {fields}); "
                "map the spec's field names under [fields]"
            )
    return [record[name] for record in records]


def text_column(records: list[Record], name: str, path: Path) -> list[str]:
    """A column of texts (numbers and other scalars become their string form)."""
    return [str(value) for value in column(records, name, path)]
