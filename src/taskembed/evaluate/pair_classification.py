"""Pair classification: is a pair a paraphrase/duplicate? Scored over cosine similarity thresholds."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score


def best_accuracy(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Best accuracy over thresholds (predict 1 when score >= threshold) and that threshold."""
    order = np.argsort(-scores, kind="stable")
    positives_above = np.cumsum(labels[order])
    negatives_below = (1 - labels).sum() - np.cumsum(1 - labels[order])
    accuracy = (positives_above + negatives_below) / labels.size
    best = int(accuracy.argmax())
    return float(max(accuracy[best], (1 - labels).mean())), float(scores[order][best])


def best_f1(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Best F1 of the positive class over thresholds and that threshold."""
    order = np.argsort(-scores, kind="stable")
    true_positives = np.cumsum(labels[order])
    predicted_positive = np.arange(1, labels.size + 1)
    f1 = 2 * true_positives / (predicted_positive + labels.sum())
    best = int(f1.argmax())
    return float(f1[best]), float(scores[order][best])


def pair_classification_scores(similarity: np.ndarray, labels: list[int]) -> dict[str, float]:
    """``cosine_ap`` (primary), best accuracy and best F1 with their thresholds."""
    gold = np.asarray(labels, dtype=np.int64)
    accuracy, accuracy_threshold = best_accuracy(similarity, gold)
    f1, f1_threshold = best_f1(similarity, gold)
    return {
        "cosine_ap": float(average_precision_score(gold, similarity)),
        "cosine_accuracy": accuracy,
        "cosine_accuracy_threshold": accuracy_threshold,
        "cosine_f1": f1,
        "cosine_f1_threshold": f1_threshold,
    }
