"""Reranking: order each query's candidates by cosine; MAP (primary) and MRR@10 over queries."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

from taskembed.evaluate.similarity import cosine_matrix


def reranking_scores(
    queries: np.ndarray, candidates: list[np.ndarray], relevant: list[list[bool]]
) -> dict[str, float]:
    """``map``: mean average precision of each query's candidates by cosine; ``mrr_at_10``."""
    average_precisions, reciprocal_ranks = [], []
    for query, docs, is_relevant in zip(queries, candidates, relevant, strict=True):
        if not any(is_relevant) or all(is_relevant):
            continue  # MTEB skips queries without both positives and negatives
        scores = cosine_matrix(query[None, :], docs)[0]
        average_precisions.append(average_precision_score(is_relevant, scores))
        ranked = np.argsort(-scores, kind="stable")[:10]
        hits = [rank for rank, i in enumerate(ranked, 1) if is_relevant[i]]
        reciprocal_ranks.append(1.0 / hits[0] if hits else 0.0)
    return {"map": float(np.mean(average_precisions)), "mrr_at_10": float(np.mean(reciprocal_ranks))}
