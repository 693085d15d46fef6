"""Runs one step over its input, chunk by chunk, durably: parts + state committed together per chunk.

Chunk i is input rows [i * chunk_rows, (i + 1) * chunk_rows). A chunk's parts are written first, then
one SQLite transaction records its index updates, counts, samples and ``chunks = i + 1``. On resume the
parts of uncommitted chunks are discarded and the input is read again from the first uncommitted chunk, so
no row is lost or written twice whatever the moment of the interrupt.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from taskembed.curation.parts import DROPPED, KEPT, Parts
from taskembed.curation.records import Row, origin_input
from taskembed.curation.state import StepState
from taskembed.curation.steps.base import Filter, Judged


@dataclass(frozen=True)
class StepRun:
    """How to run a step: where, chunk size, how many dropped examples, whether to keep all dropped rows."""

    name: str
    kind: str
    folder: Path
    fingerprint: str
    chunk_rows: int
    samples: int
    write_dropped: bool
    settings: dict[str, Any]
    cache_mib: int = 64


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _record_chunk(
    state: StepState, parts: Parts, run: StepRun, index: int, rows: list[Row], judged: Judged
) -> None:
    """Write the chunk's parts and its counts and samples."""
    kept, dropped = [], []
    counts: Counter[str] = Counter({"rows in": len(rows)})
    for (origin, record), verdict in zip(rows, judged.verdicts, strict=True):
        counts[f"input {origin_input(origin)} in"] += 1
        if verdict.reason is None:
            counts[f"input {origin_input(origin)} out"] += 1
            kept.append(
                {"origin": origin, "record": verdict.record if verdict.record is not None else record}
            )
            continue
        counts[f"dropped {verdict.reason}"] += 1
        dropped.append(
            {"origin": origin, "reason": verdict.reason, "detail": verdict.detail, "record": record}
        )
        state.add_sample(verdict.reason, origin, verdict.detail, record, run.samples)
    counts["rows out"] = len(kept)
    counts.update({f"stat {name}": n for name, n in judged.stats.items()})
    parts.write(KEPT, index, kept)
    if run.write_dropped:
        parts.write(DROPPED, index, dropped)
    state.add_counts(counts)


def run_step(
    run: StepRun,
    make_filter: Callable[[], Filter],
    rows: Callable[[], Iterator[Row]],
    *,
    total: int | None,
    progress: bool,
) -> StepState:
    """Run (or resume, or skip when done) one step; return its state for the report."""
    state = StepState(run.folder, run.fingerprint, cache_mib=run.cache_mib)
    if state.done:
        return state
    parts = Parts(run.folder)
    committed = state.committed
    parts.discard_from(committed)
    started = time.perf_counter()
    step_filter = make_filter()
    step_filter.prepare(state.db, rows, run.folder)
    with state.transaction():
        state.set("seconds", state.seconds + time.perf_counter() - started)
    bar = tqdm(
        total=total, desc=run.name, unit="row", disable=not progress, initial=committed * run.chunk_rows
    )
    for index, chunk in enumerate(_chunks(rows(), run.chunk_rows)):
        if index < committed:
            continue
        started = time.perf_counter()
        with state.transaction():
            judged = step_filter.judge(chunk, state.db, index * run.chunk_rows)
            _record_chunk(state, parts, run, index, chunk, judged)
            state.set("chunks", index + 1)
            state.set("seconds", state.seconds + time.perf_counter() - started)
        bar.update(len(chunk))
    bar.close()
    with state.transaction():
        state.set("done", 1)
    return state
