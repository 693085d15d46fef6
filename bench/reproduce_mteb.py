"""Reproduce the published MTEB scores of the bundled all-MiniLM-L6-v2 from ../shared/data.

    .venv/bin/python bench/reproduce_mteb.py

Published (MTEB results repository, x100): STSBenchmark 82.03; STSBenchmarkMultilingualSTS
de/es/fr/zh 62.40/61.62/64.93/39.74; SciFact nDCG@10 64.51.
"""

from __future__ import annotations

import time
import warnings

import taskembed
from corpus import DATA
from taskembed.evaluate.data import load_beir, load_sts_csv, load_stsbenchmark
from taskembed.evaluate.retrieval import evaluate_retrieval
from taskembed.evaluate.sts import evaluate_sts

PUBLISHED = {
    "STSBenchmark": 82.03,
    "STSB-de": 62.40,
    "STSB-es": 61.62,
    "STSB-fr": 64.93,
    "STSB-zh": 39.74,
    "SciFact": 64.51,
}


def main() -> None:
    """Print ours next to the published score for each task."""
    warnings.simplefilter("ignore", taskembed.InputTruncatedWarning)
    model = taskembed.load("default")
    results = {"STSBenchmark": evaluate_sts(model, load_stsbenchmark(DATA / "stsbenchmark" / "sts-test.csv"))}
    for lang in ("de", "es", "fr", "zh"):
        pairs = load_sts_csv(DATA / "stsb-multi-mt" / f"stsb-{lang}-test.csv")
        results[f"STSB-{lang}"] = evaluate_sts(model, pairs)
    start = time.perf_counter()
    results["SciFact"] = evaluate_retrieval(model, load_beir(DATA / "scifact"), show_progress=True)
    print(f"SciFact took {time.perf_counter() - start:.0f}s; its scores: {results['SciFact'].scores}")
    print(f"{'task':<14}{'ours':>8}{'published':>11}{'diff':>8}")
    for name, result in results.items():
        ours = result.main * 100
        print(f"{name:<14}{ours:>8.2f}{PUBLISHED[name]:>11.2f}{ours - PUBLISHED[name]:>+8.2f}")


if __name__ == "__main__":
    main()
