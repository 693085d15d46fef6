"""Dynamic batching: rows of concurrent requests share forward passes under a token budget.

Each pass is anchored on the request whose turn it is (round robin): its shortest waiting row goes in
first, then the waiting rows of all requests closest in length to it, while rows x longest row stays
within the budget. Every request makes progress at least once per round, a request with a 30k-token
document costs the others at most one pass, and rows of similar length share a pass, so padding stays
small. Requests with different tasks share a pass: prompts are text, and task adapters are chosen per
row inside the forward.

The server runs a three-stage pipeline per model: *pre* (checks, prompts, tokenizing) in the request's
worker thread, *core* (the forward passes) on this batcher's one thread, *post* (Matryoshka,
normalization, output types, JSON) back in worker threads. While a pass runs, other requests tokenize
and finish, so the backbone does not wait on the tokenizer.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from taskembed.encode.embedder import Embedder, PreparedInput

Observer = Callable[[int, int, float], None]  # rows, real tokens, seconds of one forward pass
T = TypeVar("T")


@dataclass(eq=False)
class _Job:
    prepared: PreparedInput
    future: asyncio.Future[np.ndarray]
    pooled: np.ndarray
    waiting_rows: list[int]  # row indices not yet in a pass, shortest first
    done: int = 0

    @property
    def waiting(self) -> bool:
        return bool(self.waiting_rows)

    def length(self, row: int) -> int:
        return len(self.prepared.tokenized.ids[row])


def _window(job: _Job, target: int, reach: int) -> list[int]:
    """The job's waiting rows nearest to ``target`` tokens: ``reach`` on each side (rows are sorted)."""
    lengths = [job.length(row) for row in job.waiting_rows]
    middle = bisect.bisect_left(lengths, target)
    return job.waiting_rows[max(0, middle - reach) : middle + reach]


class QueueFullError(Exception):
    """More requests are waiting than the server accepts."""


@dataclass
class Batcher:
    """Runs one model's forward passes in one worker thread; the event loop only schedules."""

    embedder: Embedder
    max_batch_tokens: int
    max_wait_s: float = 0.002
    max_queue: int = 256
    observe_batch: Observer | None = None
    _jobs: list[_Job] = field(default_factory=list)
    _turn: int = 0
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="forward")
    )

    @property
    def depth(self) -> int:
        """Requests waiting or running."""
        return len(self._jobs)

    def start(self) -> None:
        """Start the scheduling loop on the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="batcher")

    async def stop(self) -> None:
        """Finish every accepted request, then stop."""
        while self._jobs:
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=True)

    async def pooled(self, prepared: PreparedInput) -> np.ndarray:
        """Pooled vectors of one request's rows, in its own order."""
        rows = len(prepared.tokenized.ids)
        if rows == 0:
            return np.zeros((0, self.embedder.info.dimension), dtype=np.float32)
        if len(self._jobs) >= self.max_queue:
            raise QueueFullError
        job = _Job(
            prepared=prepared,
            future=asyncio.get_running_loop().create_future(),
            pooled=np.zeros((rows, self.embedder.info.dimension), dtype=np.float32),
            waiting_rows=np.argsort(prepared.tokenized.lengths, kind="stable").tolist(),
        )
        self._jobs.append(job)
        self._wakeup.set()
        return await job.future

    async def exclusive(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` (a whole-document forward, e.g. late chunking) on the forward thread.

        It waits its turn with the batched passes, so one forward runs at a time.
        """
        if len(self._jobs) >= self.max_queue:
            raise QueueFullError
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: function(*args))

    def _select(self) -> list[tuple[_Job, int]]:
        """Rows for the next pass: the anchor request's shortest row, then the closest lengths overall."""
        self._jobs = [job for job in self._jobs if not job.future.cancelled()]  # clients that went away
        waiting = [job for job in self._jobs if job.waiting]
        if not waiting:
            return []
        anchor = waiting[self._turn % len(waiting)]
        self._turn += 1
        target = anchor.length(anchor.waiting_rows[0])
        reach = self.max_batch_tokens // max(target, 1) + 1  # a pass never holds more rows than this
        candidates = sorted(
            (
                (abs(job.length(row) - target), rank, job, row)
                for rank, job in enumerate(waiting)
                for row in _window(job, target, reach)
            ),
            key=lambda c: (c[0], c[2] is not anchor, c[1]),
        )
        picked: list[tuple[_Job, int]] = []
        longest = 0
        for _, _, job, row in candidates:
            length = job.length(row)
            if picked and (len(picked) + 1) * max(longest, length) > self.max_batch_tokens:
                continue  # a shorter row further down may still fit
            picked.append((job, row))
            longest = max(longest, length)
        chosen = {(id(job), row) for job, row in picked}
        for job in {id(job): job for job, _ in picked}.values():
            job.waiting_rows = [row for row in job.waiting_rows if (id(job), row) not in chosen]
        return picked

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            if self.max_wait_s > 0:
                await asyncio.sleep(self.max_wait_s)  # let concurrent requests join this pass
            picked = self._select()
            if not picked:
                self._wakeup.clear()
                continue
            rows = [job.prepared.tokenized.ids[row] for job, row in picked]
            prompts = np.array([job.prepared.prompt_length for job, _ in picked], dtype=np.int64)
            adapters = np.array([job.prepared.adapter for job, _ in picked], dtype=np.int64)
            started = time.perf_counter()
            try:
                pooled = await loop.run_in_executor(
                    self._executor, self.embedder.forward, rows, prompts, adapters
                )
            except Exception as error:  # the failure belongs to the requests in this pass
                self._fail({job for job, _ in picked}, error)
            else:
                self._deliver(picked, pooled)
                if self.observe_batch is not None:
                    self.observe_batch(len(rows), sum(len(r) for r in rows), time.perf_counter() - started)
            if not any(job.waiting for job in self._jobs):
                self._wakeup.clear()

    def _deliver(self, picked: list[tuple[_Job, int]], pooled: np.ndarray) -> None:
        for (job, row), vector in zip(picked, pooled, strict=True):
            job.pooled[row] = vector
            job.done += 1
            if job.done == len(job.prepared.tokenized.ids):
                if not job.future.done():
                    job.future.set_result(job.pooled)
                self._jobs.remove(job)

    def _fail(self, jobs: set[_Job], error: Exception) -> None:
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(error)
            if job in self._jobs:
                self._jobs.remove(job)
