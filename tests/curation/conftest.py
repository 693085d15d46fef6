"""Helpers: write records to a file, run a pipeline on it, read back what it kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from taskembed.curation.config import parse_pipeline
from taskembed.curation.pipeline import run_pipeline


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Curate:
    """Run one or more steps over records in ``tmp_path``; returns (kept records, report)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def __call__(
        self, records: list[dict[str, Any]], steps: list[dict[str, Any]], **options: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        source = write_jsonl(self.tmp_path / "in.jsonl", records)
        raw = {"input": [{"path": str(source), "name": "in"}], "output": str(self.tmp_path / "out.jsonl")}
        raw.update({"step": steps, **options})
        config = parse_pipeline(raw)
        report = run_pipeline(config, overwrite=True, progress=False)
        return read_jsonl(config.output), report


@pytest.fixture
def curate(tmp_path: Path) -> Curate:
    return Curate(tmp_path)
