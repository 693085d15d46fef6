"""Bitext mining: each source sentence's nearest target by cosine should be its translation."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from taskembed.evaluate.similarity import cosine_matrix


def bitext_from_similarity(similarity: np.ndarray) -> dict[str, float]:
    """Metrics when row i's translation is column i: MTEB's weighted precision/recall/F1 and accuracy."""
    gold = np.arange(similarity.shape[0])
    predicted = similarity.argmax(axis=1)
    return {
        "f1": float(f1_score(gold, predicted, average="weighted", zero_division=0)),
        "precision": float(precision_score(gold, predicted, average="weighted", zero_division=0)),
        "recall": float(recall_score(gold, predicted, average="weighted", zero_division=0)),
        "accuracy": float(accuracy_score(gold, predicted)),
    }


def bitext_scores(source: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Nearest neighbours by cosine; ``f1`` is the primary metric."""
    return bitext_from_similarity(cosine_matrix(source, target))
