"""Classification as MTEB runs it: logistic regression on embeddings, 10 draws of 8 examples per label."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score

EXPERIMENTS = 10
SAMPLES_PER_LABEL = 8
MAX_ITER = 100
SEED = 42


def undersample(labels: list[str], order: np.ndarray, per_label: int) -> list[int]:
    """The first ``per_label`` indices of each label, walking ``order``."""
    taken: dict[str, int] = defaultdict(int)
    chosen = []
    for index in order:
        if taken[labels[index]] < per_label:
            chosen.append(int(index))
            taken[labels[index]] += 1
    return chosen


def classification_scores(
    train: np.ndarray,
    train_labels: list[str],
    test: np.ndarray,
    test_labels: list[str],
    *,
    experiments: int = EXPERIMENTS,
    samples_per_label: int = SAMPLES_PER_LABEL,
    seed: int = SEED,
) -> dict[str, float]:
    """Mean accuracy (primary), macro F1, weighted F1 (and AP for two labels) over the experiments."""
    rng = np.random.RandomState(seed)
    runs: dict[str, list[float]] = defaultdict(list)
    for _ in range(experiments):
        chosen = undersample(train_labels, rng.permutation(len(train_labels)), samples_per_label)
        model = LogisticRegression(random_state=seed, max_iter=MAX_ITER)
        model.fit(train[chosen], [train_labels[i] for i in chosen])
        predicted = model.predict(test)
        runs["accuracy"].append(accuracy_score(test_labels, predicted))
        runs["f1"].append(f1_score(test_labels, predicted, average="macro"))
        runs["f1_weighted"].append(f1_score(test_labels, predicted, average="weighted"))
        if len(model.classes_) == 2:
            positive = model.predict_proba(test)[:, 1]
            runs["ap"].append(
                average_precision_score([lab == model.classes_[1] for lab in test_labels], positive)
            )
    return {name: float(np.mean(values)) for name, values in runs.items()}
