"""Bulk embedding on this machine: one process vs Ray Data with 2 workers, and the cost per million passages.

Embeds the first N SciFact abstracts (title + text, real passages of ~250 tokens) from ../shared/data
with the bundled model, each way as the user would run it, in a fresh process:

- sentence-transformers: ``SentenceTransformer.encode`` (the alternative), then saved;
- ``taskembed encode`` in one process (every core);
- ``taskembed encode --engine ray --num-workers 2`` (a local Ray cluster started by the command).

Each is also run on 20 rows to measure its fixed start-up cost; steady rows/s is the difference. The cost
per million passages is machine-hours x ``--dollars-per-hour`` of a machine like this one (2 cores).

    .venv/bin/python bench/bulk.py [--rows 2000] [--dollars-per-hour 0.10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from corpus import DATA

SMALL = 20
ST_SCRIPT = """
import json, sys, numpy as np
from sentence_transformers import SentenceTransformer
from taskembed.models.resolve import bundled_model_dir
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
vectors = model.encode([row["text"] for row in rows], batch_size=32, normalize_embeddings=True)
np.save(sys.argv[2], vectors)
"""


def _passages(path: Path, rows: int) -> None:
    with (DATA / "scifact" / "corpus.jsonl").open(encoding="utf-8") as source:
        records = [json.loads(line) for _, line in zip(range(rows), source, strict=False)]
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            text = f"{record['title']}. {record['text']}"
            out.write(json.dumps({"id": record["_id"], "text": text}, ensure_ascii=False) + "\n")


def _commands(source: Path, output: Path) -> dict[str, list[str]]:
    encode = [sys.executable, "-m", "taskembed.cli", "encode", str(source), "--id-field", "id", "--quiet"]
    return {
        "sentence-transformers": [sys.executable, "-c", ST_SCRIPT, str(source), str(output) + ".npy"],
        "taskembed, 1 process": [*encode, "-o", str(output) + ".parquet"],
        "taskembed, ray x 2 workers": [
            *encode,
            "-o",
            str(output) + "-ray.parquet",
            "--engine",
            "ray",
            "--num-workers",
            "2",
            "--chunk-rows",
            "100",
        ],
    }


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _agreement(output: Path) -> float:
    """The lowest cosine between the single-process and the Ray vectors of the same passage."""
    local = np.array(pq.read_table(str(output) + ".parquet").column("embedding").to_pylist())
    ray = np.array(pq.read_table(str(output) + "-ray.parquet").column("embedding").to_pylist())
    return float(np.min(np.sum(local * ray, axis=1)))


def main() -> None:
    """Time each way on N and on 20 rows; print the table and write bench/results/bulk.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--dollars-per-hour", type=float, default=0.10)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="taskembed-bulk-") as folder:
        work = Path(folder)
        sizes = {"small": SMALL, "full": args.rows}
        for size, rows in sizes.items():
            _passages(work / f"{size}.jsonl", rows)
        for name in _commands(work / "small.jsonl", work / "x"):
            seconds = {size: _timed(_commands(work / f"{size}.jsonl", work / size)[name]) for size in sizes}
            steady = (args.rows - SMALL) / max(seconds["full"] - seconds["small"], 1e-9)
            results.append(
                {
                    "engine": name,
                    "rows": args.rows,
                    "seconds": seconds["full"],
                    "startup_seconds": seconds["small"],
                    "rows_per_s": args.rows / seconds["full"],
                    "steady_rows_per_s": steady,
                    "machine_hours_per_million": 1e6 / steady / 3600,
                }
            )
            print(f"{name}: {seconds['full']:.1f} s for {args.rows} rows", file=sys.stderr, flush=True)
        lowest_cosine = _agreement(work / "full")
    base = results[0]["steady_rows_per_s"]
    print(f"{args.rows} SciFact passages, bundled all-MiniLM-L6-v2, this machine (2 cores)")
    print(
        f"{'engine':<28}{'wall s':>8}{'start s':>9}{'rows/s':>9}{'steady':>9}{'vs ST':>7}"
        f"{'h / 1M':>8}{'$ / 1M':>8}"
    )
    for row in results:
        hours = row["machine_hours_per_million"]
        print(
            f"{row['engine']:<28}{row['seconds']:>8.1f}{row['startup_seconds']:>9.1f}{row['rows_per_s']:>9.1f}"
            f"{row['steady_rows_per_s']:>9.1f}{row['steady_rows_per_s'] / base:>6.2f}x"
            f"{hours:>8.2f}{hours * args.dollars_per_hour:>8.2f}"
        )
    print(f"cost at ${args.dollars_per_hour:.2f} per machine-hour")
    print(f"lowest cosine, 1 process vs ray, same passage: {lowest_cosine:.6f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    summary = {"results": results, "dollars_per_hour": args.dollars_per_hour, "lowest_cosine": lowest_cosine}
    (out / "bulk.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
