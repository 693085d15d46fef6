"""Negation (jina-embeddings v1): is a paraphrase kept closer than a negation."""

from __future__ import annotations

import numpy as np

from taskembed.evaluate.similarity import paired_cosine


def negation_scores(anchor: np.ndarray, entailment: np.ndarray, negation: np.ndarray) -> dict[str, float]:
    """Share of triples where cos(a, e) > cos(e, n) (``hard_negation``, primary) and cos(a, e) > cos(a, n)."""
    anchor_entailment = paired_cosine(anchor, entailment)
    return {
        "hard_negation": float(np.mean(anchor_entailment > paired_cosine(entailment, negation))),
        "easy_negation": float(np.mean(anchor_entailment > paired_cosine(anchor, negation))),
    }
