"""``taskembed encode --engine ray``: the chunks of a bulk job embedded by a Ray Data actor pool.

The driver checks the job exactly as a single-process run does, stages the input rows of every
unfinished chunk as a small Parquet file, and hands the chunk numbers to ``Dataset.map_batches`` with an
actor pool: each actor loads the model once, then reads, embeds and writes whole chunks into the same
sink a single-process run uses. Writes are atomic and keyed by chunk number, so a chunk retried after a
worker died is stored once, and a re-run skips finished chunks. Input, work folder and output must be on
storage every node of the cluster sees (one machine, NFS, a mounted bucket).

Ray is imported only here, and only when ``--engine ray`` is asked for (extra ``ray``).
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from taskembed.bulk import BulkJob, BulkSummary, Sink, encode_chunk, finish, prepare, write_chunk
from taskembed.encode.embedder import Embedder
from taskembed.errors import InputError, TaskembedError
from taskembed.extras import require_extra
from taskembed.io.readers import iter_chunks, read_rows
from taskembed.io.shards import StagedInput


@dataclass(frozen=True)
class WorkerModel:
    """How every worker loads the model (the reference must resolve on every node)."""

    ref: str = "default"
    backend: str = "torch"
    dtype: str = "fp32"
    onnx_cache: Path | None = None

    def load(self, threads: int | None = None) -> Embedder:
        """Load the model on ``threads`` intra-op threads (default: every core)."""
        import taskembed

        return taskembed.load(
            self.ref, backend=self.backend, dtype=self.dtype, threads=threads, onnx_cache=self.onnx_cache
        )


@dataclass(frozen=True)
class RayCluster:
    """Which cluster runs the job and how many model copies it holds.

    ``address=None`` joins the cluster named by ``RAY_ADDRESS`` or starts a local one on this machine.
    ``num_workers`` defaults to one per node with CPUs; ``cpus_per_worker`` (also each worker's
    threads) to the cluster's CPUs shared evenly among the workers.
    """

    address: str | None = None
    num_workers: int | None = None
    cpus_per_worker: int | None = None


class ChunkEncoder:
    """A Ray Data actor: loads the model once, then embeds and stores whole chunks.

    Ray Data restarts a worker that dies and retries its chunks on a live one; the chunk files are
    written atomically under their number, so a retried chunk is stored once.
    """

    def __init__(self, model: WorkerModel, job: BulkJob, threads: int) -> None:
        self.embedder = model.load(threads)
        self.job = job
        self.sink = job.sink()
        self.staged = StagedInput(job.staging_dir)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Embed and store the chunks numbered in ``batch``; return how many texts each cut.

        A user error (an over-long text with truncation off) comes back as the chunk's ``error`` for the
        driver to report; raising it would make Ray Data retry and wrap it.
        """
        truncated, errors = [], []
        for index in batch["chunk"].tolist():
            try:
                chunk = encode_chunk(self.embedder, self.job, self.staged.read(index))
            except TaskembedError as error:
                truncated.append(0)
                errors.append(str(error))
                continue
            write_chunk(self.sink, index, chunk)
            truncated.append(chunk.truncated)
            errors.append("")
        return {
            "chunk": batch["chunk"],
            "truncated": np.array(truncated),
            "error": np.array(errors, dtype=object),
        }


def stage(job: BulkJob, sink: Sink) -> tuple[dict[int, int], int]:
    """Stage the input rows of every unfinished chunk; return ({chunk number: its rows} to do, all rows)."""
    staged = StagedInput(job.staging_dir)
    pending: dict[int, int] = {}
    total = 0
    for index, rows in enumerate(iter_chunks(read_rows(job.source), job.chunk_rows)):
        total += len(rows)
        if sink.has(index):
            continue
        if not staged.has(index):
            staged.write(index, rows)
        pending[index] = len(rows)
    if total == 0 and not sink.has(0):  # an empty input still gives an output of the right width and type
        staged.write(0, [])
        pending[0] = 0
    return pending, total


def _check_reachable(address: str | None, seconds: float = 10.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (Ray itself retries for minutes)."""
    if not address or address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except (OSError, ValueError) as error:
        raise InputError(
            f"cannot reach the Ray cluster at {address} ({error}); start it with `ray start --head` "
            "there, or leave out --address for a local cluster"
        ) from None


@contextmanager
def _connected(cluster: RayCluster) -> Iterator[Any]:
    """The ``ray`` module, joined to the cluster (left as found when the caller already joined one).

    A local cluster started here listens on loopback only (Ray's own switch for that, read on import).
    """
    if cluster.address is None and not os.environ.get("RAY_ADDRESS") and "ray" not in sys.modules:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    if ray.is_initialized():
        yield ray
        return
    _check_reachable(cluster.address or os.environ.get("RAY_ADDRESS"))
    try:
        ray.init(
            address=cluster.address,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    except ConnectionError as error:
        raise InputError(f"cannot join the Ray cluster at {cluster.address}: {error}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _pool(ray: Any, cluster: RayCluster) -> tuple[int, int]:
    """(workers, CPUs per worker) for this cluster."""
    cpus = int(ray.cluster_resources().get("CPU", 0))
    if cpus < 1:
        raise InputError("the Ray cluster has no CPUs to run workers on")
    nodes = sum(1 for node in ray.nodes() if node["Alive"] and node["Resources"].get("CPU", 0) >= 1)
    workers = cluster.num_workers or max(1, nodes)
    per_worker = cluster.cpus_per_worker or max(1, cpus // workers)
    if workers * per_worker > cpus:
        raise InputError(
            f"{workers} workers x {per_worker} CPUs need {workers * per_worker} CPUs; "
            f"the cluster has {cpus}. Lower --num-workers or --cpus-per-worker"
        )
    return workers, per_worker


def _quiet_ray_data(ray: Any) -> None:
    """Our progress bar replaces Ray Data's console chatter (its log file in the Ray session keeps it all)."""
    context = ray.data.DataContext.get_current()  # the first use configures Ray Data's logging
    for handler in logging.getLogger("ray.data").handlers:
        if isinstance(handler, logging.StreamHandler):  # the console, not the session's log file
            handler.setLevel(logging.ERROR)
    context.enable_progress_bars = False
    context.print_on_execution_start = False


def _embed_pending(
    ray: Any,
    job: BulkJob,
    model: WorkerModel,
    pending: dict[int, int],
    pool: tuple[int, int],
    on_rows: Callable[[int], object],
) -> int:
    """Embed the ``pending`` chunks on an actor pool of (workers, CPUs each); return the cut texts."""
    if not pending:
        return 0
    workers, per_worker = pool
    dataset = ray.data.from_items(
        [{"chunk": index} for index in pending], override_num_blocks=len(pending)
    ).map_batches(
        ChunkEncoder,
        fn_constructor_kwargs={"model": model, "job": job, "threads": per_worker},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=min(workers, len(pending))),
        num_cpus=per_worker,
    )
    truncated = 0
    for done in dataset.iter_rows():
        if done["error"]:
            raise InputError(done["error"])
        on_rows(pending[int(done["chunk"])])
        truncated += int(done["truncated"])
    return truncated


def run_bulk_ray(
    job: BulkJob,
    model: WorkerModel,
    cluster: RayCluster | None = None,
    *,
    embedder: Embedder | None = None,
    progress: bool = True,
) -> BulkSummary:
    """Run (or resume) ``job`` on a Ray cluster; same chunks, same output as ``run_bulk``.

    The driver checks the model and the options exactly as a single-process run does, with ``embedder``
    when the caller already loaded ``model``, or with a copy it loads and releases.
    """
    require_extra("ray", ("ray",), "--engine ray", InputError)
    cluster = cluster or RayCluster()
    started = time.perf_counter()
    sink = prepare(job, embedder or model.load())
    gc.collect()
    resumed = sink.count()
    with _connected(cluster) as ray:
        _quiet_ray_data(ray)
        workers, per_worker = _pool(ray, cluster)  # a pool the cluster cannot hold fails before staging
        pending, total = stage(job, sink)
        with tqdm(total=total, unit="text", disable=not progress, desc="encode (ray)") as bar:
            bar.update(total - sum(pending.values()))
            truncated = _embed_pending(ray, job, model, pending, (workers, per_worker), bar.update)
    chunks = sink.count()
    finish(job, sink)
    return BulkSummary(total, chunks, resumed, truncated, time.perf_counter() - started)
