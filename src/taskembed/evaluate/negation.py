"""Negation (jina-embeddings v1): is a paraphrase kept closer than a negation."""

from __future__ import annotations

import numpy as np

from taskembed.evaluate.similarity import paired_cosine


def negation_scores(anchor: np.ndarray, entailment: np.ndarray, negation: np.ndarray) -> dict[str, float]:
    """Share of triples where cos(a, e) > cos(e, n) (``hard_negation``, primary) and cos(a, e) > cos(a, n)."""
    return negation_from_similarities(
        paired_cosine(anchor, entailment),
        paired_cosine(entailment, negation),
        paired_cosine(anchor, negation),
    )


def negation_from_similarities(
    anchor_entailment: np.ndarray, entailment_negation: np.ndarray, anchor_negation: np.ndarray
) -> dict[str, float]:
    """The two shares from the three similarities of each triple (any similarity function)."""
    return {
        "hard_negation": float(np.mean(anchor_entailment > entailment_negation)),
        "easy_negation": float(np.mean(anchor_entailment > anchor_negation)),
    }
