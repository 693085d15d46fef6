"""Clustering as MTEB scores it: V-measure of mini-batch k-means with as many clusters as labels."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics import v_measure_score

BATCH_SIZE = 500
SEED = 42


def clustering_scores(embeddings: np.ndarray, labels: list[str], *, seed: int = SEED) -> dict[str, float]:
    """``v_measure`` (primary) of MiniBatchKMeans(n_clusters = number of labels, batch size 500)."""
    model = MiniBatchKMeans(
        n_clusters=len(set(labels)), batch_size=BATCH_SIZE, n_init="auto", random_state=seed
    )
    predicted = model.fit_predict(embeddings)
    return {"v_measure": float(v_measure_score(labels, predicted))}
