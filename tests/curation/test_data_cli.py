"""`taskembed data`: pipeline files (TOML and YAML), single-filter subcommands, errors."""

from __future__ import annotations

import json

from taskembed.cli import main

PIPELINE = """
output = "curated.jsonl"
fields = ["sentence1", "sentence2"]

[[input]]
path = "sts.csv"
header = false
columns = ["sentence1", "sentence2", "score"]

[[step]]
kind = "dedup"

[[step]]
kind = "langid"
languages = ["en"]

[[step]]
kind = "overlap"
"""
ROWS = [
    ("A man is playing a guitar.", "A person plays an instrument on stage.", "3.2"),
    ("A MAN is playing a guitar.", "A person plays an instrument on stage.", "3.2"),
    ("Ein Mann spielt Gitarre auf der Bühne.", "Eine Person spielt ein Instrument.", "3.0"),
    ("A woman is slicing an onion.", "A woman is slicing an onion in the kitchen.", "4.8"),
    ("The children are playing football.", "Kids play soccer in the park.", "4.1"),
]


def _write(tmp_path):
    (tmp_path / "sts.csv").write_text("".join(f'"{a}","{b}",{s}\n' for a, b, s in ROWS), encoding="utf-8")


def test_run_a_toml_pipeline(tmp_path, capsys):
    _write(tmp_path)
    (tmp_path / "curate.toml").write_text(PIPELINE)
    assert main(["data", "run", str(tmp_path / "curate.toml"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "01-dedup: 5 in, 4 kept (exact-duplicate 1)" in out
    assert "02-langid: 4 in, 3 kept (language 1)" in out
    assert "03-overlap: 3 in, 2 kept (overlap 1)" in out
    kept = [json.loads(line) for line in (tmp_path / "curated.jsonl").read_text().splitlines()]
    assert kept == [dict(zip(["sentence1", "sentence2", "score"], ROWS[i], strict=True)) for i in (0, 4)]
    report = json.loads((tmp_path / "curated.report.json").read_text())
    assert [s["rows_out"] for s in report["steps"]] == [4, 3, 2]
    markdown = (tmp_path / "curated.report.md").read_text()
    assert "| 02-langid | langid | 4 | 3 | 1 | 25.0 % |" in markdown
    assert "| sts | 5 | 4 | 3 | 2 |" in markdown
    # a second run finds every step done and rewrites nothing but the reports
    assert main(["data", "run", str(tmp_path / "curate.toml"), "--quiet"]) == 0
    assert "wrote 2 of 5 rows" in capsys.readouterr().out


def test_run_a_yaml_pipeline(tmp_path):
    _write(tmp_path)
    (tmp_path / "curate.yaml").write_text(
        "output: out.tsv\nfields: [sentence1, sentence2]\n"
        "input: [{path: sts.csv, header: false, columns: [sentence1, sentence2, score]}]\n"
        "step: [{kind: dedup, near: false}]\n"
    )
    assert main(["data", "run", str(tmp_path / "curate.yaml"), "--quiet"]) == 0
    assert (tmp_path / "out.tsv").read_text().splitlines()[0] == "sentence1\tsentence2\tscore"


def test_single_filter_subcommand(tmp_path, capsys):
    _write(tmp_path)
    args = ["data", "langid", str(tmp_path / "sts.csv"), str(tmp_path / "en.jsonl"), "--no-header"]
    assert main([*args, "--columns", "a,b,score", "--fields", "a,b", "--languages", "en", "--quiet"]) == 0
    assert "01-langid: 5 in, 4 kept (language 1)" in capsys.readouterr().out
    assert len((tmp_path / "en.jsonl").read_text().splitlines()) == 4


def test_errors_are_one_line_with_exit_2(tmp_path, capsys):
    _write(tmp_path)
    (tmp_path / "bad.toml").write_text(PIPELINE.replace('kind = "overlap"', 'kind = "overlapp"'))
    assert main(["data", "run", str(tmp_path / "bad.toml")]) == 2
    assert "bad.toml is not a valid curation pipeline" in capsys.readouterr().err
    (tmp_path / "curate.toml").write_text(PIPELINE)
    assert main(["data", "run", str(tmp_path / "curate.toml"), "--quiet"]) == 0
    (tmp_path / "curate.toml").write_text(PIPELINE.replace('languages = ["en"]', 'languages = ["en", "de"]'))
    assert main(["data", "run", str(tmp_path / "curate.toml"), "--quiet"]) == 2
    assert "use --overwrite to start over" in capsys.readouterr().err
    assert main(["data", "run", str(tmp_path / "curate.toml"), "--quiet", "--overwrite"]) == 0
    assert main(["data", "dedup", str(tmp_path / "missing.jsonl"), str(tmp_path / "o.jsonl")]) == 2
    assert "missing.jsonl does not exist" in capsys.readouterr().err
