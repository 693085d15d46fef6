"""Cosine similarity helpers shared by the evaluators."""

from __future__ import annotations

import numpy as np


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def cosine_matrix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``first`` with every row of ``second``."""
    return unit_rows(first) @ unit_rows(second).T


def paired_cosine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cosine similarity of row i of ``first`` with row i of ``second``."""
    return (unit_rows(first) * unit_rows(second)).sum(axis=1)
