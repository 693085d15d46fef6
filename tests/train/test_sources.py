from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from taskembed.errors import InputError
from taskembed.train.config import SourceConfig
from taskembed.train.sources import read_source


def test_every_format_gives_the_same_rows(tmp_path: Path) -> None:
    records = [
        {"q": "first question", "title": "Doc", "body": "one"},
        {"q": "second", "title": "", "body": "two"},
    ]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "d.csv").write_text('q,title,body\n"first question",Doc,one\nsecond,,two\n')
    (tmp_path / "d.tsv").write_text("q\ttitle\tbody\nfirst question\tDoc\tone\nsecond\t\ttwo\n")
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "d.parquet")
    expected = [("first question", "Doc one"), ("second", "two")]
    for suffix in ("jsonl", "csv", "tsv", "parquet"):
        source = read_source(SourceConfig(path=tmp_path / f"d.{suffix}", fields=["q", ["title", "body"]]))
        assert source.rows == expected, suffix
        assert source.name == f"d.{suffix}" and source.targets is None


def test_headerless_columns_targets_and_empty_rows(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text('Hallo Welt,hello world\n,empty\n"Guten Tag",good day\n')
    config = SourceConfig(path=tmp_path / "x.csv", fields=[0], targets=[1], header=False, name="de")
    source = read_source(config)
    assert source.rows == [("Hallo Welt",), ("Guten Tag",)]  # the row with an empty text is skipped
    assert source.targets == [("hello world",), ("good day",)]
    assert source.all_target_texts() == ["hello world", "good day"]


def test_errors_name_the_row_and_field(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "fine"}\n{"other": 1}\n')
    with pytest.raises(InputError, match=r"a\.jsonl line 2 has no field 'text'"):
        read_source(SourceConfig(path=tmp_path / "a.jsonl", fields=["text"]))
    (tmp_path / "b.jsonl").write_text('{"text": 3}\n')
    with pytest.raises(InputError, match="is int, not text"):
        read_source(SourceConfig(path=tmp_path / "b.jsonl", fields=["text"]))
    (tmp_path / "c.txt").write_text("x\n")
    with pytest.raises(InputError, match="use .jsonl, .csv, .tsv or .parquet"):
        read_source(SourceConfig(path=tmp_path / "c.txt", fields=["text"]))
