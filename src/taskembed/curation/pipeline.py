"""Runs a curation pipeline: inputs -> each step in order -> output file, plus the summary reports.

Every step keeps its parts and state under ``work_dir/<step name>/``; re-running the same command resumes
where it stopped (finished steps are skipped, the step in flight continues from its last committed chunk).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from taskembed.curation.config import InputConfig, PipelineConfig, fingerprint, step_fields, step_name
from taskembed.curation.parts import DROPPED, KEPT, Parts
from taskembed.curation.records import RecordWriter, Row, json_line, read_inputs
from taskembed.curation.report import step_report, write_reports
from taskembed.curation.runner import StepRun, run_step
from taskembed.curation.state import step_done
from taskembed.curation.steps import build_filter
from taskembed.errors import InputError


def _input_identity(config: InputConfig) -> dict[str, Any]:
    """Settings plus size and modification time: an edited input file means a new run."""
    identity = config.model_dump(mode="json")
    if config.path.is_file():
        stat = config.path.stat()
        identity["stat"] = [stat.st_size, stat.st_mtime_ns]
    return identity


def _assemble(source: Parts, output: Path) -> None:
    """Write the kept records of ``source`` to ``output`` (its format from its suffix), atomically."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f"{output.stem}.tmp{output.suffix}")
    with RecordWriter(tmp) as writer:
        writer.write(record for _, record in source.rows())
    os.replace(tmp, output)


def _write_dropped(steps: list[tuple[str, Parts]], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for name, parts in steps:
            for line in parts.lines(DROPPED):
                handle.write(json_line({"step": name, **line}))
    os.replace(tmp, path)


def _shown(path: Path) -> str:
    """A path as reports show it: relative to the working directory (no machine-specific prefix)."""
    return os.path.relpath(path)


def dropped_path(config: PipelineConfig) -> Path:
    """Where ``write_dropped`` puts every dropped row: ``OUTPUT-STEM.dropped.jsonl``."""
    return config.output.with_name(config.output.stem + ".dropped.jsonl")


def run_pipeline(
    config: PipelineConfig, *, origin: str = "pipeline", overwrite: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Run or resume every step, write the output and the reports; return the report."""
    if overwrite:
        shutil.rmtree(config.work, ignore_errors=True)
    config.work.mkdir(parents=True, exist_ok=True)
    previous = fingerprint(
        {"inputs": [_input_identity(i) for i in config.input], "chunk_rows": config.chunk_rows}
    )
    rows: Callable[[], Iterator[Row]] = lambda: read_inputs(config.input)  # noqa: E731
    reports: list[dict[str, Any]] = []
    finished: list[tuple[str, Parts]] = []
    total: int | None = None
    for index, step in enumerate(config.step):
        name, fields = step_name(step, index), step_fields(step, config)
        settings = step.model_dump(mode="json", exclude={"kind", "name", "fields"}, exclude_none=True)
        previous = fingerprint([previous, step.kind, fields, settings, config.samples, config.write_dropped])
        run = StepRun(
            name,
            step.kind,
            config.work / name,
            previous,
            config.chunk_rows,
            config.samples,
            config.write_dropped,
            settings,
            config.cache_mib,
        )
        if finished and total and not finished[-1][1].files(KEPT) and not step_done(run.folder):
            raise InputError(
                f"step {name} must run again, but the rows of {finished[-1][0]} were deleted when it "
                "finished (keep_intermediate = false); use --overwrite to run the pipeline again"
            )
        state = run_step(
            run,
            partial(build_filter, step, fields, show_progress=progress),
            rows,
            total=total,
            progress=progress,
        )
        reports.append(step_report(name, step.kind, fields, settings, state))
        state.close()
        parts = Parts(run.folder)
        finished.append((name, parts))
        if not config.keep_intermediate and index > 0:
            finished[-2][1].remove_kept()
        rows = parts.rows
        total = reports[-1]["rows_out"]
    last = finished[-1][1]
    if last.files(KEPT) or reports[-1]["rows_out"] == 0:
        _assemble(last, config.output)
    elif not config.output.is_file():
        raise InputError(f"{config.output} was removed after the run; use --overwrite to run again")
    if config.write_dropped:
        _write_dropped(finished, dropped_path(config))
    if not config.keep_intermediate:
        last.remove_kept()
    report = {
        "pipeline": origin,
        "inputs": [{"name": i.label, "path": _shown(i.path), "format": i.format} for i in config.input],
        "output": _shown(config.output),
        "rows_in": reports[0]["rows_in"],
        "rows_out": reports[-1]["rows_out"],
        "seconds": round(sum(r["seconds"] for r in reports), 3),
        "steps": reports,
    }
    write_reports(report, config.report_base)
    return report
