"""Semantic textual similarity: Spearman and Pearson correlation of cosine similarity with gold scores."""

from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr, spearmanr

from taskembed.encode.embedder import Embedder
from taskembed.evaluate.data import STSPairs
from taskembed.evaluate.embed import embed_floats
from taskembed.evaluate.result import TaskResult
from taskembed.evaluate.similarity import paired_cosine
from taskembed.options import EncodeOptions


def sts_scores(gold: list[float], similarity: np.ndarray) -> dict[str, float]:
    """MTEB's STS metrics: ``cosine_spearman`` (primary) and ``cosine_pearson``, on a 0-1 scale."""
    return {
        "cosine_spearman": float(spearmanr(gold, similarity).statistic),
        "cosine_pearson": float(pearsonr(gold, similarity).statistic),
    }


def evaluate_sts(
    embedder: Embedder,
    pairs: STSPairs,
    *,
    task: str = "STS",
    split: str = "test",
    options: EncodeOptions | None = None,
) -> TaskResult:
    """Embed both sides with ``options`` and correlate their cosine with the gold scores."""
    first = embed_floats(embedder, pairs.first, options)
    second = embed_floats(embedder, pairs.second, options)
    return TaskResult(task, split, "cosine_spearman", sts_scores(pairs.gold, paired_cosine(first, second)))
