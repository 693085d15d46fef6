"""Each metric against an independent implementation on fixed inputs, with ties and graded relevance."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("pytrec_eval")

from taskembed.evaluate.retrieval import mrr_at_k, top_k_by_cosine, trec_scores
from taskembed.evaluate.similarity import paired_cosine
from taskembed.evaluate.sts import sts_scores


def _average_ranks(values: list[float]) -> np.ndarray:
    """Ranks 1..n with ties sharing their average rank (Spearman's convention), by hand."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = np.zeros(len(values))
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def test_sts_scores_match_hand_computed_correlations_with_ties():
    gold = [5.0, 3.2, 3.2, 0.0, 4.4, 1.0, 3.2, 2.5]
    similarity = np.array([0.91, 0.40, 0.55, 0.10, 0.91, 0.20, 0.30, 0.45])
    scores = sts_scores(gold, similarity)
    spearman = np.corrcoef(_average_ranks(gold), _average_ranks(similarity.tolist()))[0, 1]
    pearson = np.corrcoef(gold, similarity)[0, 1]
    assert scores["cosine_spearman"] == pytest.approx(spearman, abs=1e-12)
    assert scores["cosine_pearson"] == pytest.approx(pearson, abs=1e-12)


def test_paired_cosine():
    a = np.array([[1.0, 0.0], [3.0, 4.0]])
    b = np.array([[0.0, 2.0], [6.0, 8.0]])
    np.testing.assert_allclose(paired_cosine(a, b), [0.0, 1.0])


def _ndcg_at_10(relevance: dict[str, int], ranking: list[str]) -> float:
    """trec_eval's nDCG: gain = relevance grade, discount log2(rank + 1), ideal from all judged docs."""
    dcg = sum(relevance.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:10], 1))
    ideal = sorted(relevance.values(), reverse=True)[:10]
    idcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal, 1))
    return dcg / idcg


def _ap_at_10(relevance: dict[str, int], ranking: list[str]) -> float:
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranking[:10], 1):
        if relevance.get(doc, 0) > 0:
            hits += 1
            total += hits / rank
    return total / sum(1 for g in relevance.values() if g > 0)


QRELS = {"q1": {"d1": 2, "d4": 1, "d9": 1}, "q2": {"d3": 1}, "q3": {"d7": 3, "d2": 1}}
RUN = {
    # distinct scores, graded relevance, a relevant document below rank 10
    "q1": {f"d{i}": 1.0 - i / 20 for i in range(12)} | {"d9": 0.01},
    # ties among non-relevant documents ahead of the relevant one
    "q2": {"d1": 0.5, "d2": 0.5, "d5": 0.5, "d3": 0.4, "d4": 0.1},
    # no relevant document retrieved at all
    "q3": {"d1": 0.9, "d5": 0.8},
}


def _ranking(scores: dict[str, float]) -> list[str]:
    return [doc for doc, _ in sorted(scores.items(), key=lambda item: -item[1])]


def test_trec_scores_match_hand_computed_values():
    scores = trec_scores(QRELS, RUN)
    ndcg = np.mean([_ndcg_at_10(QRELS[q], _ranking(RUN[q])) for q in QRELS])
    ap = np.mean([_ap_at_10(QRELS[q], _ranking(RUN[q])) for q in QRELS])
    assert scores["ndcg_at_10"] == pytest.approx(ndcg, abs=1e-4)
    assert scores["map_at_10"] == pytest.approx(ap, abs=1e-4)
    recall = np.mean([1.0, 1.0, 0.0])
    assert scores["recall_at_100"] == pytest.approx(recall, abs=1e-4)
    assert scores["mrr_at_10"] == pytest.approx(np.mean([1 / 2, 1 / 4, 0.0]))


def test_mrr_counts_only_the_top_k():
    assert mrr_at_k({"x": 1}, {f"d{i}": -i for i in range(20)} | {"x": -15.5}, 10) == 0.0
    assert mrr_at_k({"x": 1}, {"a": 3.0, "x": 2.0}, 10) == 0.5


def test_top_k_by_cosine_equals_a_full_sort():
    rng = np.random.default_rng(3)
    queries, documents = rng.normal(size=(37, 8)), rng.normal(size=(500, 8))
    indices, scores = top_k_by_cosine(queries, documents, k=25, block=10)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    d = documents / np.linalg.norm(documents, axis=1, keepdims=True)
    full = q @ d.T
    np.testing.assert_array_equal(indices, np.argsort(-full, axis=1)[:, :25])
    np.testing.assert_allclose(scores, np.sort(full, axis=1)[:, ::-1][:, :25], rtol=1e-5)
