"""One forward over a batch that mixes the five v3 tasks vs single-task batches, on a random v3 model.

The model is jina-embeddings-v3-shaped (H 768, 12 layers, 12 heads, I 3072, 20k vocab: ~100M
parameters, rank-4 LoRA banks for 5 tasks) and written in the original layout, so it loads through
the real loader. Every case embeds the same --rows STS Benchmark sentences in the same passes
(planned under the token budget as the library plans them); tokens/s counts real tokens. Cases:

- base: no task (no LoRA work)            - pinned: one task merged into the weights
- single: every row with one task          - mixed: rows of 5 tasks interleaved in each pass
- split: each pass split into 5 single-task passes (what a server without per-row adapters does)

    .venv/bin/python bench/mixed_tasks.py [--rows 256] [--batch-tokens 2048] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factories.jina_v3 import TASKS, V3Weights

import taskembed
from corpus import load_corpus
from taskembed.encode.batching import DEFAULT_BATCH_TOKENS, plan_batches


def passes(
    embedder: taskembed.Embedder, texts: list[str], tasks: list[str | None], budget: int
) -> list[tuple]:
    """(rows, prompt lengths, adapters) per pass, planned as the library plans them (token budget).

    Text i runs with task ``tasks[i % len(tasks)]``; no instruction is prepended, so every case embeds
    the very same token rows and only the adapters differ.
    """
    prepared = [
        embedder.prepare([t], taskembed.EncodeOptions(task=tasks[i % len(tasks)], prompt=""))
        for i, t in enumerate(texts)
    ]
    lengths = np.array([len(p.tokenized.ids[0]) for p in prepared])
    result = []
    for indices in plan_batches(lengths, budget):
        chosen = [prepared[i] for i in indices]
        result.append(
            (
                [p.tokenized.ids[0] for p in chosen],
                np.array([p.prompt_length for p in chosen], dtype=np.int64),
                np.array([p.adapter for p in chosen], dtype=np.int64),
            )
        )
    return result


def split_by_task(plan: list[tuple]) -> list[tuple]:
    """Each pass as one pass per task."""
    result = []
    for rows, prompts, adapters in plan:
        for task in np.unique(adapters):
            keep = np.flatnonzero(adapters == task)
            result.append(([rows[i] for i in keep], prompts[keep], adapters[keep]))
    return result


def timed(embedder: taskembed.Embedder, plan: list[tuple], repeats: int) -> float:
    """Median tokens/s over ``repeats`` runs of every pass of ``plan`` (after one warm-up pass)."""
    tokens = sum(len(row) for rows, _, _ in plan for row in rows)
    embedder.forward(*plan[len(plan) // 2])
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for rows, prompts, adapters in plan:
            embedder.forward(rows, prompts, adapters)
        rates.append(tokens / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    """Build the random model, time every case, print and save the rates."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--batch-tokens", type=int, default=DEFAULT_BATCH_TOKENS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "mixed_tasks.json")
    args = parser.parse_args()
    texts = load_corpus(2 * args.rows)[: args.rows]  # STS Benchmark sentences
    with tempfile.TemporaryDirectory() as tmp:
        weights = V3Weights(
            hidden=768, layers=12, heads=12, intermediate=3072, vocab=20_000, max_positions=8194
        )
        folder = weights.write_original(Path(tmp) / "v3-random")
        embedder = taskembed.load(folder)
        parameters = sum(p.numel() for p in embedder.model.backbone.parameters())
        pinned = taskembed.load(folder, task="retrieval.passage")
    threads = torch.get_num_threads()
    print(f"random v3 model: {parameters / 1e6:.1f}M parameters (with LoRA banks), torch threads {threads}")
    mixed_plan = passes(embedder, texts, list(TASKS), args.batch_tokens)
    plans = {
        "base": (embedder, passes(embedder, texts, [None], args.batch_tokens)),
        "pinned": (pinned, passes(pinned, texts, [None], args.batch_tokens)),
        "single": (embedder, passes(embedder, texts, ["retrieval.passage"], args.batch_tokens)),
        "mixed": (embedder, mixed_plan),
        "split": (embedder, split_by_task(mixed_plan)),
    }
    tokens = sum(len(row) for rows, _, _ in mixed_plan for row in rows)
    print(f"{len(texts)} texts, {tokens} tokens, {len(mixed_plan)} passes of <= {args.batch_tokens} tokens")
    rates = {}
    for case, (model, plan) in plans.items():
        rates[case] = timed(model, plan, args.repeats)
        print(f"{case:>7}: {rates[case]:8.0f} tokens/s", flush=True)
    for case, rate in rates.items():
        print(f"{case:>7}: {rates['single'] / rate:.3f}x the time of single")
    print(f"mixed vs single-task batch of the same size: {rates['single'] / rates['mixed']:.3f}x time")
    print(f"mixed vs the same rows as 5 single-task batches: {rates['split'] / rates['mixed']:.3f}x speed")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"rows": args.rows, "batch_tokens": args.batch_tokens, "tokens_per_s": rates}, indent=2)
    )


if __name__ == "__main__":
    main()
