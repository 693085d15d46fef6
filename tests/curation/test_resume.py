"""Interrupted runs resume without losing or duplicating a row, wherever the interrupt lands."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.curation.synthetic import write_pairs

from taskembed.curation.config import parse_pipeline
from taskembed.curation.pipeline import run_pipeline
from taskembed.curation.state import StepState
from taskembed.curation.steps.dedup import Dedup
from taskembed.curation.steps.langid import Langid

STEPS = [{"kind": "dedup"}, {"kind": "langid", "languages": ["en"]}, {"kind": "overlap", "ratio": 0.5}]


def _config(tmp_path: Path, source: Path, name: str, **options):
    raw = {"input": [{"path": str(source)}], "output": str(tmp_path / f"{name}.jsonl"), "step": STEPS}
    return parse_pipeline({**raw, "chunk_rows": 100, "write_dropped": True, **options})


def _outputs(config) -> tuple[str, list[dict], list[tuple[int, int]]]:
    report = json.loads(config.report_base.with_name(config.report_base.name + ".json").read_text())
    dropped = config.output.with_name(config.output.stem + ".dropped.jsonl").read_text()
    return (
        config.output.read_text(),
        sorted(dropped.splitlines()),
        [(s["rows_in"], s["rows_out"], s["dropped"], s["stats"], s["samples"]) for s in report["steps"]],
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("resume")
    source = write_pairs(folder / "pairs.jsonl", 1000)
    reference = _config(folder, source, "reference")
    run_pipeline(reference, progress=False)
    return source, folder


class Boom(KeyboardInterrupt):
    pass


def _interrupt(monkeypatch, target, name: str, when) -> None:
    original = getattr(target, name)

    def wrapper(self, *args, **kwargs):
        if when(self, *args):
            raise Boom
        return original(self, *args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


@pytest.mark.parametrize(
    ("target", "name", "when"),
    [
        # in the middle of judging a chunk of the first step
        (Dedup, "judge", lambda self, rows, db, start: start == 300),
        # after the chunk's parts are written, before its transaction commits
        (StepState, "set", lambda self, key, value: key == "chunks" and value == 4),
        # in the second step, after two of its chunks are committed
        (Langid, "judge", lambda self, rows, db, start: start == 200),
        # after every chunk of a step, before the step is marked done
        (StepState, "set", lambda self, key, value: key == "done" and self.folder.name == "02-langid"),
    ],
)
def test_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch, data, target, name, when):
    source, folder = data
    config = _config(tmp_path, source, "run")
    with monkeypatch.context() as patch:
        _interrupt(patch, target, name, when)
        with pytest.raises(Boom):
            run_pipeline(config, progress=False)
    assert not config.output.exists()
    run_pipeline(config, progress=False)
    assert _outputs(config) == _outputs(_config(folder, source, "reference"))


def test_changed_settings_do_not_resume_silently(tmp_path, data):
    source, _ = data
    run_pipeline(_config(tmp_path, source, "run"), progress=False)
    changed = _config(tmp_path, source, "run", fields=["positive", "query"])
    with pytest.raises(Exception, match="other inputs or settings; use --overwrite"):
        run_pipeline(changed, progress=False)
    run_pipeline(changed, progress=False, overwrite=True)


def _committed(state: Path) -> int:
    if not state.is_file():
        return 0
    try:
        with sqlite3.connect(state) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'chunks'").fetchone()
    except sqlite3.OperationalError:  # created, tables not yet
        return 0
    return int(row[0]) if row else 0


def test_killed_process_resumes_to_the_same_output(tmp_path, data):
    """SIGKILL the CLI mid-run (no cleanup at all), then run the same command again."""
    _, folder = data
    big = write_pairs(tmp_path / "big.jsonl", 20_000, seed=1)
    pipeline = tmp_path / "pipeline.toml"
    pipeline.write_text(
        f'output = "out.jsonl"\nchunk_rows = 200\nwrite_dropped = true\n[[input]]\npath = "{big.name}"\n'
        '[[step]]\nkind = "dedup"\n[[step]]\nkind = "langid"\nlanguages = ["en"]\n'
    )
    command = [sys.executable, "-m", "taskembed.cli", "data", "run", str(pipeline), "--quiet"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = tmp_path / "out.jsonl.work" / "01-dedup" / "state.sqlite"
    deadline = time.monotonic() + 120
    while _committed(state) < 5 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    assert 5 <= _committed(state) < 100  # killed mid-step
    finished = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    reference = parse_pipeline(
        {
            "input": [{"path": str(big)}],
            "output": str(folder / "big-reference.jsonl"),
            "chunk_rows": 200,
            "write_dropped": True,
            "step": [{"kind": "dedup"}, {"kind": "langid", "languages": ["en"]}],
        }
    )
    run_pipeline(reference, progress=False)
    assert (tmp_path / "out.jsonl").read_text() == reference.output.read_text()
    kept = (tmp_path / "out.jsonl").read_text().splitlines()
    dropped = (tmp_path / "out.dropped.jsonl").read_text().splitlines()
    assert len(kept) + len(dropped) == 20_000  # every row once: kept or dropped


def test_a_step_whose_input_rows_were_deleted_is_refused(tmp_path, data):
    source, _ = data
    config = _config(tmp_path, source, "run")
    run_pipeline(config, progress=False)
    shutil.rmtree(config.work / "03-overlap")  # e.g. removed by hand to redo it
    with pytest.raises(Exception, match="the rows of 02-langid were deleted when it finished"):
        run_pipeline(config, progress=False)
    run_pipeline(config, progress=False, overwrite=True)
