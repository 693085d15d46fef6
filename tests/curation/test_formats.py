"""Inputs and outputs in every format the trainer reads; several inputs in one run; BEIR folders."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from taskembed.curation.config import parse_pipeline
from taskembed.curation.pipeline import run_pipeline
from taskembed.errors import InputError

PAIRS = [
    ("A man plays guitar.", "Someone plays music."),
    ("a man plays GUITAR.", "someone plays music."),
    ("A chef cooks pasta.", "Dinner is being made."),
]


def _run(tmp_path, inputs, output, **options):
    raw = {"input": inputs, "output": str(tmp_path / output), "step": [{"kind": "dedup"}], **options}
    report = run_pipeline(parse_pipeline(raw), overwrite=True, progress=False)
    return tmp_path / output, report


def test_headerless_csv_with_named_columns_to_csv(tmp_path):
    source = tmp_path / "sts.csv"
    with source.open("w", newline="") as handle:
        csv.writer(handle).writerows([(a, b, "4.5") for a, b in PAIRS])
    inputs = [{"path": str(source), "header": False, "columns": ["sentence1", "sentence2", "score"]}]
    output, _ = _run(tmp_path, inputs, "out.csv", fields=["sentence1", "sentence2"])
    with output.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["sentence1", "sentence2", "score"], [*PAIRS[0], "4.5"], [*PAIRS[2], "4.5"]]


def test_tsv_with_header_renamed_and_tagged_to_parquet(tmp_path):
    source = tmp_path / "pairs.tsv"
    source.write_text("q\tp\n" + "".join(f"{a}\t{b}\n" for a, b in PAIRS), encoding="utf-8")
    inputs = [{"path": str(source), "rename": {"q": "query", "p": "positive"}, "source_field": "source"}]
    output, _ = _run(tmp_path, inputs, "out.parquet")
    assert pq.read_table(output).to_pylist() == [
        {"query": PAIRS[i][0], "positive": PAIRS[i][1], "source": "pairs"} for i in (0, 2)
    ]


def test_parquet_in_jsonl_out_and_two_inputs_dedup_across_them(tmp_path):
    first, second = tmp_path / "a.parquet", tmp_path / "b.jsonl"
    pq.write_table(
        pa.Table.from_pylist([{"query": a, "positive": b, "n": i} for i, (a, b) in enumerate(PAIRS)]), first
    )
    second.write_text(
        json.dumps({"query": "A CHEF cooks pasta.", "positive": "Dinner is being made."}) + "\n"
    )
    output, report = _run(tmp_path, [{"path": str(first)}, {"path": str(second)}], "out.jsonl")
    kept = [json.loads(line) for line in output.read_text().splitlines()]
    assert kept == [{"query": PAIRS[i][0], "positive": PAIRS[i][1], "n": i} for i in (0, 2)]
    assert report["steps"][0]["inputs"] == {"a": {"in": 3, "out": 2}, "b": {"in": 1, "out": 0}}
    assert report["steps"][0]["samples"]["exact-duplicate"][1]["detail"] == "same text as a:row 2"


def test_beir_folder_gives_query_and_abstract_pairs(tmp_path):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "Tea", "text": "Tea is a drink."}\n'
        '{"_id": "d2", "title": "", "text": "Coffee."}\n'
    )
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "What is tea?"}\n')
    (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n")
    output, _ = _run(tmp_path, [{"path": str(folder), "format": "beir"}], "out.jsonl")
    assert [json.loads(line) for line in output.read_text().splitlines()] == [
        {"query_id": "q1", "query": "What is tea?", "document_id": "d1", "positive": "Tea Tea is a drink."}
    ]


def test_missing_field_names_the_row_and_the_setting(tmp_path):
    source = tmp_path / "x.jsonl"
    source.write_text('{"question": "Q?", "answer": "A."}\n')
    with pytest.raises(
        InputError, match=r"x:line 1 has no field 'query' \(fields: question, answer\); set `fields`"
    ):
        _run(tmp_path, [{"path": str(source)}], "out.jsonl")


def test_csv_output_needs_the_same_fields_in_every_row(tmp_path):
    source = tmp_path / "x.jsonl"
    source.write_text(
        '{"query": "a b", "positive": "c d"}\n{"query": "e f", "positive": "g h", "extra": 1}\n'
    )
    with pytest.raises(InputError, match="write .jsonl to keep rows with different fields"):
        _run(tmp_path, [{"path": str(source)}], "out.csv")
