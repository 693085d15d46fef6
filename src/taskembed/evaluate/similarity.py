"""Cosine similarity helpers shared by the evaluators."""

from __future__ import annotations

import numpy as np

from taskembed.encode.postprocess import l2_normalize


def cosine_matrix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``first`` with every row of ``second``."""
    return l2_normalize(first) @ l2_normalize(second).T


def paired_cosine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cosine similarity of row i of ``first`` with row i of ``second``."""
    return (l2_normalize(first) * l2_normalize(second)).sum(axis=1)
