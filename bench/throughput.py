"""Throughput of taskembed vs sentence-transformers on the same corpus, same machine, same run.

Each method runs in its own child process (so peak RSS is its own): one warm-up pass, then the median
of --repeats timed passes. Tokens/s counts real (non-padding) tokens after truncation at 256.

    .venv/bin/python bench/throughput.py [--repeats 3] [--size 4096]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from corpus import load_corpus


def _run_taskembed(texts: list[str], repeats: int) -> tuple[list[float], np.ndarray]:
    import taskembed

    model = taskembed.load("default")
    model.encode(texts[:256])
    timings, vectors = [], np.zeros(0)
    for _ in range(repeats):
        start = time.perf_counter()
        vectors = model.encode(texts)
        timings.append(time.perf_counter() - start)
    return timings, vectors


def _run_sentence_transformers(texts: list[str], repeats: int) -> tuple[list[float], np.ndarray]:
    from sentence_transformers import SentenceTransformer

    from taskembed.models.resolve import bundled_model_dir

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    model.encode(texts[:256])
    timings, vectors = [], np.zeros(0)
    for _ in range(repeats):
        start = time.perf_counter()
        vectors = model.encode(texts, batch_size=32, convert_to_numpy=True)
        timings.append(time.perf_counter() - start)
    return timings, vectors


METHODS = {"taskembed": _run_taskembed, "sentence-transformers": _run_sentence_transformers}


def _child(name: str, texts: list[str], repeats: int, queue: multiprocessing.Queue) -> None:
    timings, vectors = METHODS[name](texts, repeats)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((name, timings, vectors, peak_mib))


def _measure(name: str, texts: list[str], repeats: int) -> tuple[list[float], np.ndarray, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(name, texts, repeats, queue))
    process.start()
    _, timings, vectors, peak = queue.get()
    process.join()
    return timings, vectors, peak


def main() -> None:
    """Run both methods and print a table with ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=4096)
    args = parser.parse_args()

    texts = load_corpus(args.size)
    from taskembed.models.load import load_model

    tokens = int(load_model("default").tokenizer.tokenize(texts, limit=256, truncate=True).lengths.sum())
    results = {name: _measure(name, texts, args.repeats) for name in METHODS}
    base = statistics.median(results["sentence-transformers"][0])
    a, b = results["taskembed"][1], results["sentence-transformers"][1]
    min_cos = float((a * b).sum(1).min())
    print(f"corpus: {len(texts)} texts, {tokens} tokens (median of {args.repeats} runs after a warm-up)")
    print(f"{'method':<24}{'seconds':>9}{'tokens/s':>11}{'texts/s':>10}{'peak RSS MiB':>14}{'vs ST':>8}")
    report = {}
    for name, (timings, _, peak) in results.items():
        seconds = statistics.median(timings)
        report[name] = {
            "seconds": seconds,
            "tokens_per_s": tokens / seconds,
            "texts_per_s": len(texts) / seconds,
            "peak_rss_mib": peak,
            "speedup_vs_st": base / seconds,
        }
        print(
            f"{name:<24}{seconds:>9.2f}{tokens / seconds:>11,.0f}{len(texts) / seconds:>10,.0f}"
            f"{peak:>14,.0f}{base / seconds:>7.2f}x"
        )
    print(f"min cosine taskembed vs sentence-transformers: {min_cos:.6f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "throughput.json").write_text(
        json.dumps(
            {"texts": len(texts), "tokens": tokens, "min_cosine": min_cos, "methods": report}, indent=2
        )
    )


if __name__ == "__main__":
    main()
