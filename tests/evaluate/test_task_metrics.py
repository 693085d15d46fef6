"""Bitext, classification, clustering, reranking, pair classification and negation on fixed inputs,
each checked against a computation done another way."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("sklearn")

from taskembed.evaluate.bitext import bitext_scores
from taskembed.evaluate.classification import classification_scores, undersample
from taskembed.evaluate.clustering import clustering_scores
from taskembed.evaluate.negation import negation_scores
from taskembed.evaluate.pair_classification import pair_classification_scores
from taskembed.evaluate.reranking import reranking_scores


def test_bitext_f1_by_hand():
    target = np.eye(4)
    source = np.eye(4)
    source[2] = [1.0, 0.0, 0.1, 0.0]  # closer to target 0 than to its own translation, target 2
    scores = bitext_scores(source, target)
    # predictions 0, 1, 0, 3 for gold 0, 1, 2, 3. Per class (support 1 each): class 0 P=1/2 R=1 F1=2/3,
    # class 1 F1=1, class 2 F1=0, class 3 F1=1; weighted by support: their mean
    assert scores["f1"] == pytest.approx((2 / 3 + 1 + 0 + 1) / 4)
    assert scores["accuracy"] == pytest.approx(3 / 4)


def test_undersampling_takes_the_first_examples_of_each_label():
    labels = ["a", "b", "a", "a", "b", "c"]
    assert undersample(labels, np.array([5, 4, 3, 2, 1, 0]), 2) == [5, 4, 3, 2, 1]


def test_classification_on_separable_data_is_perfect_and_deterministic():
    rng = np.random.default_rng(0)
    centers = {"x": np.array([5.0, 0.0]), "y": np.array([0.0, 5.0]), "z": np.array([-5.0, -5.0])}
    train_labels = [lab for lab in centers for _ in range(30)]
    test_labels = [lab for lab in centers for _ in range(10)]
    train = np.stack([centers[lab] + rng.normal(size=2) for lab in train_labels])
    test = np.stack([centers[lab] + rng.normal(size=2) for lab in test_labels])
    first = classification_scores(train, train_labels, test, test_labels)
    assert first == classification_scores(train, train_labels, test, test_labels)
    assert first["accuracy"] == 1.0
    assert first["f1"] == 1.0


def test_binary_classification_reports_average_precision():
    rng = np.random.default_rng(1)
    labels = ["neg", "pos"] * 40
    vectors = np.stack([rng.normal(size=3) + (2.0 if lab == "pos" else -2.0) for lab in labels])
    scores = classification_scores(vectors[:40], labels[:40], vectors[40:], labels[40:])
    assert scores["ap"] > 0.95


def _entropy(counts: list[int]) -> float:
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts if c)


def _v_measure(labels: list[str], clusters: list[int]) -> float:
    """Homogeneity and completeness from conditional entropies, by hand."""
    joint = Counter(zip(labels, clusters, strict=True))
    n = len(labels)
    h_class = _entropy(list(Counter(labels).values()))
    h_cluster = _entropy(list(Counter(clusters).values()))
    h_class_given_cluster = -sum(c / n * math.log(c / Counter(clusters)[k]) for (_, k), c in joint.items())
    h_cluster_given_class = -sum(c / n * math.log(c / Counter(labels)[lab]) for (lab, _), c in joint.items())
    homogeneity = 1 - h_class_given_cluster / h_class
    completeness = 1 - h_cluster_given_class / h_cluster
    return 2 * homogeneity * completeness / (homogeneity + completeness)


def test_clustering_v_measure_matches_the_entropy_formula():
    rng = np.random.default_rng(2)
    labels = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
    vectors = np.concatenate([rng.normal(loc, 0.1, size=(20, 4)) for loc in (0.0, 3.0, 6.0)])
    vectors[0] = 6.0  # one "a" sits inside cluster "c"
    scores = clustering_scores(vectors, labels)
    from sklearn.cluster import MiniBatchKMeans

    clusters = MiniBatchKMeans(n_clusters=3, batch_size=500, n_init="auto", random_state=42).fit_predict(
        vectors
    )
    assert scores["v_measure"] == pytest.approx(_v_measure(labels, clusters.tolist()))
    assert 0.8 < scores["v_measure"] < 1.0


def test_reranking_map_and_mrr_by_hand():
    query = np.array([[1.0, 0.0]])
    docs = np.array([[0.9, 0.1], [1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])  # cosine order: 1, 0, 3, 2
    relevant = [[True, False, True, False]]
    scores = reranking_scores(query, [docs], relevant)
    # relevant at ranks 2 and 4: AP = (1/2 + 2/4) / 2
    assert scores["map"] == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert scores["mrr_at_10"] == pytest.approx(1 / 2)


def test_pair_classification_by_brute_force_thresholds():
    similarity = np.array([0.9, 0.8, 0.8, 0.7, 0.4, 0.3, 0.2])
    labels = [1, 1, 0, 1, 0, 1, 0]
    scores = pair_classification_scores(similarity, labels)
    gold = np.array(labels)
    accuracies, f1s = [], []
    for threshold in similarity:
        predicted = similarity >= threshold
        accuracies.append((predicted == gold).mean())
        tp = (predicted & (gold == 1)).sum()
        f1s.append(2 * tp / (predicted.sum() + gold.sum()))
    assert scores["cosine_accuracy"] == pytest.approx(max(accuracies))
    assert scores["cosine_f1"] == pytest.approx(max(f1s))
    # average precision by hand, tied scores forming one threshold: sum of recall steps x precision
    ap, previous_recall = 0.0, 0.0
    for threshold in sorted(set(similarity.tolist()), reverse=True):
        predicted = similarity >= threshold
        recall = (predicted & (gold == 1)).sum() / gold.sum()
        ap += (recall - previous_recall) * (predicted & (gold == 1)).sum() / predicted.sum()
        previous_recall = recall
    assert scores["cosine_ap"] == pytest.approx(ap)


def test_negation_shares_by_hand():
    anchor = np.array([[1.0, 0.0], [1.0, 0.0]])
    entailment = np.array([[0.9, 0.1], [0.0, 1.0]])
    negation = np.array([[0.0, 1.0], [0.8, 0.2]])
    scores = negation_scores(anchor, entailment, negation)
    # triple 0: cos(a,e) high > cos(a,n)=0 and > cos(e,n) small -> both true
    # triple 1: cos(a,e)=0 < cos(a,n) and cos(e,n)>0 -> both false
    assert scores == {"hard_negation": 0.5, "easy_negation": 0.5}
