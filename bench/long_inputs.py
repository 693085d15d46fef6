"""Peak memory and time of one long input on a random small v5 (Qwen3) model: linear in length.

Each run is a child process (so peak RSS is its own): load a random Qwen3-shaped v5 checkpoint
(H 256, 4 layers, 4 heads, 32k positions) written in the published layout, then embed one row of N
random token ids through ``Embedder.forward`` with the retrieval adapter. ``sdpa`` is taskembed's path
(no mask for an unpadded row, so PyTorch's memory-efficient kernel runs); ``eager`` is transformers'
eager attention for contrast, which materializes an N x N score matrix per head (run only where it fits).

    .venv/bin/python bench/long_inputs.py [--lengths 4096,8192,16384,32768]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EAGER_LIMIT = 8192


def _run(folder: str, length: int, attention: str, queue: multiprocessing.Queue) -> None:
    import numpy as np

    import taskembed

    embedder = taskembed.load(folder)
    if attention == "eager":
        embedder.model.backbone.model.config._attn_implementation = "eager"
    rng = np.random.default_rng(0)
    row = rng.integers(10, 390, size=length)  # ids inside the tiny test vocabulary
    adapter = embedder.model.adapter_of("retrieval.query")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    vector = embedder.forward([row], np.zeros(1, dtype=np.int64), np.array([adapter]))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put(
        {
            "seconds": seconds,
            "peak_mb": peak / 1024,
            "added_mb": (peak - before) / 1024,
            "ok": bool(np.isfinite(vector).all()),
        }
    )


def measure(folder: Path, length: int, attention: str) -> dict:
    """One run in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(str(folder), length, attention, queue))
    process.start()
    process.join()
    return queue.get() if process.exitcode == 0 else {"error": f"exit code {process.exitcode}"}


def main() -> None:
    """Write the model, measure every length, print the table and save it."""
    from tests.factories.jina_v5 import write_v5

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lengths", default="4096,8192,16384,32768")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "long_inputs.json")
    args = parser.parse_args()
    lengths = [int(n) for n in args.lengths.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder, _ = write_v5(Path(tmp) / "v5-long", "qwen3", hidden=256, layers=4, max_positions=max(lengths))
        print("| tokens | attention | seconds | peak RSS MB | added by the forward MB |")
        print("|---|---|---|---|---|")
        for length in lengths:
            for attention in ("sdpa", "eager") if length <= EAGER_LIMIT else ("sdpa",):
                result = {"tokens": length, "attention": attention, **measure(folder, length, attention)}
                rows.append(result)
                numbers = [result.get(k, 0) for k in ("seconds", "peak_mb", "added_mb")]
                print(
                    f"| {length} | {attention} | {numbers[0]:.2f} | {numbers[1]:.0f} | {numbers[2]:.0f} |",
                    flush=True,
                )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
