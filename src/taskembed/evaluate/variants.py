"""Robustness variants: one raw encoding becomes every (dimensions x output type) version by pure numpy.

Similarity per type: ``float`` cosine; ``int8`` cosine of the int8 codes; ``binary`` the share of equal
bits (1 - Hamming / d); ``binary_rescore`` (retrieval) takes the Hamming top 100, then rescores them
with the float query against the documents' +-1 bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from taskembed.encode.postprocess import l2_normalize, to_int8, to_ubinary, truncate_normalize
from taskembed.errors import InputError
from taskembed.quantization_ranges import QuantizationRanges, calibrate

KINDS = ("float", "int8", "binary", "binary_rescore")
RESCORE_CANDIDATES = 100


@dataclass(frozen=True)
class Variant:
    """One cell of the robustness grid."""

    dimensions: int
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(
                f"unknown embedding type {self.kind!r} for a sweep; choose from {', '.join(KINDS)}"
            )


def encode(raw: np.ndarray, variant: Variant, ranges: QuantizationRanges | None) -> np.ndarray:
    """The vectors a user of this variant stores: floats, int8 codes or packed bits."""
    vectors = truncate_normalize(raw, variant.dimensions)
    if variant.kind == "int8":
        return to_int8(vectors, ranges or calibrate(vectors))
    if variant.kind in ("binary", "binary_rescore"):
        return to_ubinary(vectors)
    return vectors


def _as_float(codes: np.ndarray, kind: str) -> np.ndarray:
    return l2_normalize(codes.astype(np.float32)) if kind == "int8" else codes


def _bits(codes: np.ndarray, dimensions: int) -> np.ndarray:
    return np.unpackbits(codes, axis=-1)[:, :dimensions].astype(np.float32)


def as_features(codes: np.ndarray, variant: Variant) -> np.ndarray:
    """Float features of stored vectors for learners (classification, clustering); unit length."""
    if variant.kind in ("binary", "binary_rescore"):
        return l2_normalize(_bits(codes, variant.dimensions) * 2 - 1)
    return _as_float(codes, variant.kind)


def paired_similarity(first: np.ndarray, second: np.ndarray, variant: Variant) -> np.ndarray:
    """Similarity of row i of ``first`` with row i of ``second`` (both encoded by ``encode``)."""
    if variant.kind in ("binary", "binary_rescore"):
        return (_bits(first, variant.dimensions) == _bits(second, variant.dimensions)).mean(axis=1)
    a, b = _as_float(first, variant.kind), _as_float(second, variant.kind)
    return (a * b).sum(axis=1)


def similarity_matrix(queries: np.ndarray, documents: np.ndarray, variant: Variant) -> np.ndarray:
    """Similarity of every query with every document."""
    if variant.kind in ("binary", "binary_rescore"):
        q = _bits(queries, variant.dimensions) * 2 - 1
        d = _bits(documents, variant.dimensions) * 2 - 1
        return (q @ d.T + variant.dimensions) / (2 * variant.dimensions)  # share of equal bits
    return _as_float(queries, variant.kind) @ _as_float(documents, variant.kind).T


def rescore(
    query_floats: np.ndarray, documents: np.ndarray, coarse: np.ndarray, dimensions: int
) -> np.ndarray:
    """Scores where each query's Hamming top candidates are rescored with its float vector; others -inf."""
    candidates = np.argsort(-coarse, axis=1, kind="stable")[:, :RESCORE_CANDIDATES]
    signs = _bits(documents, dimensions) * 2 - 1
    scores = np.full(coarse.shape, -np.inf, dtype=np.float32)
    for row, docs in enumerate(candidates):
        scores[row, docs] = signs[docs] @ query_floats[row]
    return scores
