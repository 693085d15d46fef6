"""Training sources: a data file -> rows of texts (one text, a pair, or more), read once into memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from taskembed.errors import InputError
from taskembed.io.readers import delimited_records, jsonl_records, parquet_records
from taskembed.train.config import FieldRef, SourceConfig

Record = dict[str, Any] | list[str]


@dataclass(frozen=True)
class Source:
    """The rows of one data file and how often batches are drawn from it.

    ``targets[i]`` holds the texts the teacher embeds for ``rows[i]`` (e.g. the English source of a
    translation); without targets the teacher embeds the student's own texts. ``scores`` (a gold
    similarity per row) and ``labels`` (a class per row) feed the task recipes of stage 2. ``distinct``
    is how many leading texts of a row must not repeat within a batch (None: all of them).
    """

    name: str
    rows: list[tuple[str, ...]]
    weight: float
    targets: list[tuple[str, ...]] | None = None
    scores: list[float] | None = None
    labels: list[str] | None = None
    distinct: int | None = None

    def target_texts(self, index: int) -> tuple[str, ...]:
        """The teacher-side texts of row ``index``."""
        return self.targets[index] if self.targets is not None else self.rows[index]

    def all_target_texts(self) -> list[str]:
        """Every teacher-side text (with repeats)."""
        return [text for row in (self.targets or self.rows) for text in row]


def _jsonl(config: SourceConfig) -> Iterator[tuple[str, Record]]:
    yield from jsonl_records(config.path)


def _delimited(config: SourceConfig) -> Iterator[tuple[str, Record]]:
    rows = delimited_records(
        config.path, header=config.header, delimiter=config.delimiter, quoting=config.quoting
    )
    for number, record in rows:
        yield f"{config.path} row {number}", record


def _parquet(config: SourceConfig) -> Iterator[tuple[str, Record]]:
    for number, record in parquet_records(config.path):
        yield f"{config.path} row {number}", record


READERS = {".jsonl": _jsonl, ".csv": _delimited, ".tsv": _delimited, ".parquet": _parquet}


def _raw(record: Record, ref: str | int, where: str) -> Any:
    try:
        value = record[ref] if isinstance(record, dict) else record[int(ref)]  # type: ignore[index]
    except (KeyError, IndexError, ValueError):
        have = ", ".join(map(str, record)) if isinstance(record, dict) else f"{len(record)} columns"
        raise InputError(
            f"{where} has no field {ref!r} ({have}); fix `fields` of this source "
            "(names, or column numbers with header = false)"
        ) from None
    return value


def _value(record: Record, ref: str | int, where: str) -> str:
    value = _raw(record, ref, where)
    if not isinstance(value, str):
        raise InputError(f"{where}: field {ref!r} is {type(value).__name__}, not text")
    return value


def _text(record: Record, ref: FieldRef, where: str) -> str:
    """A field's text; a list of fields is joined with spaces (e.g. title and text)."""
    if isinstance(ref, list):
        return " ".join(_value(record, part, where) for part in ref).strip()
    return _value(record, ref, where)


def _texts(record: Record, ref: FieldRef, where: str) -> list[str]:
    """A field's text, or every text of a field holding a list of texts (e.g. mined negatives)."""
    if not isinstance(ref, list):
        value = _raw(record, ref, where)
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise InputError(f"{where}: field {ref!r} is a list, but not of texts")
            return [item for item in value if item.strip()]
    return [_text(record, ref, where)]


def _score(record: Record, ref: str | int, where: str) -> float:
    value = _raw(record, ref, where)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: score field {ref!r} is {value!r}, not a number") from None


def read_source(config: SourceConfig) -> Source:
    """Read every row of a source; rows with an empty text are skipped (they teach nothing)."""
    suffix = config.path.suffix.lower()
    if suffix not in READERS:
        raise InputError(f"cannot read training data {config.path}: use .jsonl, .csv, .tsv or .parquet")
    rows: list[tuple[str, ...]] = []
    targets: list[tuple[str, ...]] = []
    scores: list[float] = []
    labels: list[str] = []
    for where, record in READERS[suffix](config):
        texts = tuple(text for ref in config.fields for text in _texts(record, ref, where))
        target = tuple(_text(record, ref, where) for ref in config.targets or ())
        if all(text.strip() for text in texts + target):
            rows.append(texts)
            targets.append(target)
            if config.score is not None:
                scores.append(_score(record, config.score, where))
            if config.label is not None:
                labels.append(str(_raw(record, config.label, where)))
        if config.limit is not None and len(rows) >= config.limit:
            break
    if not rows:
        raise InputError(f"training data {config.path} has no rows with text in {config.fields}")
    return Source(
        config.label_name,
        rows,
        config.weight,
        targets if config.targets is not None else None,
        scores=scores if config.score is not None else None,
        labels=labels if config.label is not None else None,
    )


def read_sources(configs: list[SourceConfig]) -> list[Source]:
    """Read every source; names must be unique (they key the sampler's saved position)."""
    sources = [read_source(config) for config in configs]
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise InputError(f"training sources need distinct names (got {names}); set `name` on each source")
    return sources
