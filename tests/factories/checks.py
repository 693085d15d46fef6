"""Checks shared by the task-adapter model tests (v3, v5)."""

from __future__ import annotations

import numpy as np

import taskembed


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest row-wise cosine between two sets of vectors."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


def assert_mixed_batch_equals_single_tasks(
    embedder: taskembed.Embedder, texts: list[str], tasks: list[str | None], seed: int
) -> None:
    """One forward over every (task, text) row, interleaved, equals each text's single-task run."""
    prepared = [embedder.prepare(texts, taskembed.EncodeOptions(task=task)) for task in tasks]
    rows, prompts, adapters, owners = [], [], [], []
    for index, item in enumerate(prepared):
        for row, ids in enumerate(item.tokenized.ids):
            rows.append(ids)
            prompts.append(item.prompt_length)
            adapters.append(item.adapter)
            owners.append((index, row))
    order = np.random.default_rng(seed).permutation(len(rows))  # interleave tasks inside the batch
    pooled = embedder.forward(
        [rows[i] for i in order], np.array(prompts)[order], np.array(adapters, dtype=np.int64)[order]
    )
    for position, source in enumerate(order):
        index, row = owners[source]
        single = embedder.encode([texts[row]], task=tasks[index], normalized=False)[0]
        np.testing.assert_allclose(pooled[position], single, rtol=1e-4, atol=1e-5)
