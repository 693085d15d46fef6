"""Reranking: order each query's candidates by cosine; MAP (primary) and MRR@10 over queries."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score

from taskembed.evaluate.similarity import cosine_matrix


def reranking_from_scores(
    scores: Sequence[np.ndarray], relevant: Sequence[Sequence[bool]]
) -> dict[str, float]:
    """``map`` and ``mrr_at_10`` of each query's candidate scores (higher = more similar)."""
    average_precisions, reciprocal_ranks = [], []
    for candidate_scores, is_relevant in zip(scores, relevant, strict=True):
        if not any(is_relevant) or all(is_relevant):
            continue  # MTEB skips queries without both positives and negatives
        average_precisions.append(average_precision_score(is_relevant, candidate_scores))
        ranked = np.argsort(-candidate_scores, kind="stable")[:10]
        hits = [rank for rank, i in enumerate(ranked, 1) if is_relevant[i]]
        reciprocal_ranks.append(1.0 / hits[0] if hits else 0.0)
    if not average_precisions:
        return {"map": float("nan"), "mrr_at_10": float("nan")}
    return {"map": float(np.mean(average_precisions)), "mrr_at_10": float(np.mean(reciprocal_ranks))}


def reranking_scores(
    queries: np.ndarray, candidates: list[np.ndarray], relevant: list[list[bool]]
) -> dict[str, float]:
    """Candidates of each query ranked by cosine with it."""
    scores = [cosine_matrix(query[None, :], docs)[0] for query, docs in zip(queries, candidates, strict=True)]
    return reranking_from_scores(scores, relevant)
