"""`taskembed encode --engine ray` on a local 2-CPU Ray cluster (loopback only) started by the test.

Each run must give the very file a single-process run gives (workers and reference both on one thread,
so the arithmetic is the same), survive a killed worker, and resume a killed job with every id once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import taskembed
from taskembed.bulk import BulkJob, run_bulk
from taskembed.cli import main
from taskembed.io.readers import InputSpec
from taskembed.options import EncodeOptions

ROWS = 600
CHUNK_ROWS = 20
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "mu", "nu"]


@pytest.fixture(scope="module")
def ray_address():
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # Ray's switch: listen on loopback only
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'taskembed[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    address = ray.get_runtime_context().gcs_address
    assert address.startswith("127.0.0.1:"), f"the test cluster must listen on loopback, got {address}"
    yield address
    ray.shutdown()


@pytest.fixture(scope="module")
def one_thread() -> taskembed.Embedder:
    """The single-process reference, on one thread like each of the two workers."""
    return taskembed.load("default", threads=1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "docs.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(ROWS):
            words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(3 + i % 11))
            handle.write(json.dumps({"doc": f"d{i:05d}", "body": f"{words} number {i}."}) + "\n")
    return path


@pytest.fixture(scope="module")
def reference(one_thread, corpus, tmp_path_factory):
    """The single-process output of the corpus, by file name (made once)."""
    folder = tmp_path_factory.mktemp("reference")

    def output(name: str) -> Path:
        if not (folder / name).exists():
            run_bulk(one_thread, _job(corpus, folder / name), progress=False)
        return folder / name

    return output


def _job(source: Path, output: Path, **kwargs) -> BulkJob:
    options = EncodeOptions.create(**kwargs.pop("options", {}))
    return BulkJob(InputSpec(source, "body", "doc"), output, options, CHUNK_ROWS, **kwargs)


def _ray(job: BulkJob, **cluster) -> None:
    from taskembed.bulk_ray import RayCluster, WorkerModel, run_bulk_ray

    run_bulk_ray(job, WorkerModel("default"), RayCluster(num_workers=2, **cluster), progress=False)


def _shard_table(folder: Path):
    return pq.ParquetDataset(folder).read()  # pyarrow skips our "_" files, as Spark and DuckDB do


@pytest.mark.parametrize(
    ("name", "options", "chunker"),
    [
        ("binary-128.npy", {"embedding_type": "ubinary", "dimensions": 128}, None),
        ("late.parquet", {"late_chunking": True}, "sentences:1"),
    ],
)
def test_ray_output_is_the_single_process_file(
    ray_address, one_thread, corpus, tmp_path, name, options, chunker
):
    source = corpus
    if chunker is not None:  # a few multi-sentence documents
        source = tmp_path / "docs.jsonl"
        lines = corpus.read_text(encoding="utf-8").splitlines()[:200]
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    local, distributed = tmp_path / f"local-{name}", tmp_path / f"ray-{name}"
    run_bulk(one_thread, _job(source, local, options=options, chunker=chunker), progress=False)
    _ray(_job(source, distributed, options=options, chunker=chunker))
    if name.endswith(".parquet"):
        assert pq.read_table(distributed).equals(pq.read_table(local))
    else:
        assert distributed.read_bytes() == local.read_bytes()
    assert not (tmp_path / f"ray-{name}.partial").exists()


def test_ray_sharded_output_equals_single_process_rows(ray_address, reference, corpus, tmp_path):
    _ray(_job(corpus, tmp_path / "shards"))
    shards = sorted(p.name for p in (tmp_path / "shards").iterdir())
    parts = [f"part-{i:06d}.parquet" for i in range(ROWS // CHUNK_ROWS)]
    assert shards == ["_SUCCESS", "_taskembed_job.json", *parts]
    assert _shard_table(tmp_path / "shards").equals(pq.read_table(reference("local.parquet")))


def _map_workers() -> list:
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline"]):
        if "MapWorker(MapBatches(ChunkEncoder))" in " ".join(process.info["cmdline"] or ()):
            found.append(process)
    return found


def _wait_for(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_killed_worker_is_retried_and_no_row_is_lost_or_doubled(ray_address, reference, corpus, tmp_path):
    output = tmp_path / "ray.jsonl"
    chunks = (tmp_path / "ray.jsonl.partial").glob
    failure: list[BaseException] = []

    def run() -> None:
        try:
            _ray(_job(corpus, output))
        except BaseException as error:  # re-raised in the test thread
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    _wait_for(lambda: any(chunks("chunk-*.npz")), "the first chunk")
    victim = _map_workers()[0]
    victim.send_signal(signal.SIGKILL)
    done_at_kill = len(list(chunks("chunk-*.npz")))
    thread.join(timeout=300)
    assert not failure, failure
    assert done_at_kill < ROWS // CHUNK_ROWS, "the job finished before a worker could be killed"
    assert not victim.is_running()
    ids = [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()]
    assert ids == [f"d{i:05d}" for i in range(ROWS)]
    assert output.read_bytes() == reference("local.jsonl").read_bytes()


def test_a_killed_job_resumes_with_every_id_exactly_once(ray_address, reference, corpus, tmp_path):
    output = tmp_path / "shards"
    args = ["encode", str(corpus), "-o", str(output), "--text-field", "body", "--id-field", "doc"]
    args += ["--chunk-rows", str(CHUNK_ROWS), "--quiet", "--engine", "ray", "--num-workers", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "taskembed.cli", *args, "--address", ray_address], stderr=subprocess.PIPE
    )
    _wait_for(lambda: len(list(output.glob("part-*.parquet"))) >= 2 or process.poll() is not None, "2 shards")
    process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    done = len(list(output.glob("part-*.parquet")))
    assert process.returncode == -signal.SIGKILL, err.decode()
    assert 2 <= done < ROWS // CHUNK_ROWS and not (output / "_SUCCESS").exists(), "the job was not cut short"

    assert main(args) == 0  # the same command again, on the same (still running) cluster
    table = _shard_table(output)
    ids = table.column("id").to_pylist()
    assert sorted(ids) == ids and len(set(ids)) == len(ids) == ROWS
    assert table.equals(pq.read_table(reference("local.parquet")))
    assert not (output / "_staging").exists()


def test_worker_errors_are_one_line_user_errors(ray_address, tmp_path, capsys):
    source = tmp_path / "long.txt"
    source.write_text("short\n" + "word " * 2000 + "\n", encoding="utf-8")
    code = main(["encode", str(source), "-o", str(tmp_path / "out.npy"), "--no-truncate", "--engine", "ray"])
    assert code == 2
    assert "row 1" in capsys.readouterr().err


def test_pool_larger_than_the_cluster_is_refused(ray_address, corpus, tmp_path, capsys):
    args = ["encode", str(corpus), "-o", str(tmp_path / "o.npy"), "--text-field", "body"]
    assert main([*args, "--engine", "ray", "--num-workers", "3"]) == 2
    assert "3 workers x 1 CPUs need 3 CPUs; the cluster has 2" in capsys.readouterr().err


def test_the_local_engine_never_imports_ray(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n", encoding="utf-8")
    script = (
        "import sys; from taskembed.cli import main; "
        f"code = main(['encode', {str(source)!r}, '-o', {str(tmp_path / 'o.npy')!r}, '--quiet']); "
        "assert code == 0; assert not [m for m in sys.modules if m == 'ray' or m.startswith('ray.')], 'ray'"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    assert np.load(tmp_path / "o.npy").shape == (2, 384)


def test_an_unreachable_cluster_is_a_clear_error_not_minutes_of_retries():
    from taskembed.bulk_ray import _check_reachable
    from taskembed.errors import InputError

    with pytest.raises(InputError, match=r"cannot reach the Ray cluster at 127\.0\.0\.1:1 .*ray start"):
        _check_reachable("127.0.0.1:1")
    _check_reachable("auto")  # Ray's own lookups
    _check_reachable(None)
