"""Task runners for tables (JSONL/CSV/TSV/Parquet), with column names from the spec.

STS, negation, bitext, classification, clustering, reranking and pair classification.
"""

from __future__ import annotations

import itertools

import numpy as np

from taskembed.errors import InputError
from taskembed.evaluate.bitext import bitext_from_similarity
from taskembed.evaluate.classification import classification_scores
from taskembed.evaluate.clustering import clustering_scores
from taskembed.evaluate.negation import negation_from_similarities
from taskembed.evaluate.pair_classification import pair_classification_scores
from taskembed.evaluate.reranking import reranking_from_scores
from taskembed.evaluate.specs import TaskSpec
from taskembed.evaluate.sts import sts_scores
from taskembed.evaluate.tables import Record, column, read_records, text_column
from taskembed.evaluate.task_run import Encoded, TaskRun
from taskembed.evaluate.variants import Variant, as_features, paired_similarity, similarity_matrix


def _texts(spec: TaskSpec, records: list[Record], *names: str) -> list[list[str]]:
    return [text_column(records, spec.column(name), spec.path) for name in names]


def _numbers(spec: TaskSpec, records: list[Record], name: str, kind: type) -> list:
    try:
        return [kind(float(value)) for value in column(records, spec.column(name), spec.path)]
    except ValueError as error:
        raise InputError(f"{spec.path}: field {spec.column(name)!r} must be numeric ({error})") from None


def sts_table(spec: TaskSpec) -> TaskRun:
    """Pairs with a gold score; Spearman of similarity (primary), Pearson."""
    records = read_records(spec.path)
    first, second = _texts(spec, records, "sentence1", "sentence2")
    gold = _numbers(spec, records, "score", float)

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        return sts_scores(gold, paired_similarity(encoded["first"], encoded["second"], variant))

    return TaskRun({"first": first, "second": second}, "cosine_spearman", score)


def negation(spec: TaskSpec) -> TaskRun:
    """(anchor, entailment, negative) triples; HardNegation is primary."""
    records = read_records(spec.path)
    anchor, entailment, negative = _texts(spec, records, "anchor", "entailment", "negative")

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        a, e, n = encoded["anchor"], encoded["entailment"], encoded["negative"]
        return negation_from_similarities(
            paired_similarity(a, e, variant),
            paired_similarity(e, n, variant),
            paired_similarity(a, n, variant),
        )

    return TaskRun({"anchor": anchor, "entailment": entailment, "negative": negative}, "hard_negation", score)


def bitext(spec: TaskSpec) -> TaskRun:
    """Translation pairs (row i of each side); weighted F1 of nearest neighbours is primary."""
    source, target = _texts(spec, read_records(spec.path), "sentence1", "sentence2")

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        return bitext_from_similarity(similarity_matrix(encoded["source"], encoded["target"], variant))

    return TaskRun({"source": source, "target": target}, "f1", score)


def classification(spec: TaskSpec) -> TaskRun:
    """Logistic regression fitted on the train table, accuracy on the test table is primary."""
    assert spec.train_path is not None  # parse_spec requires it
    train_records, test_records = read_records(spec.train_path), read_records(spec.path)
    (train,) = [text_column(train_records, spec.column("text"), spec.train_path)]
    train_labels = text_column(train_records, spec.column("label"), spec.train_path)
    test, test_labels = _texts(spec, test_records, "text", "label")

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        return classification_scores(
            as_features(encoded["train"], variant),
            train_labels,
            as_features(encoded["test"], variant),
            test_labels,
        )

    return TaskRun({"train": train, "test": test}, "accuracy", score)


def clustering(spec: TaskSpec) -> TaskRun:
    """Texts with labels; V-measure of k-means with one cluster per label is primary."""
    texts, labels = _texts(spec, read_records(spec.path), "text", "label")

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        return clustering_scores(as_features(encoded["texts"], variant), labels)

    return TaskRun({"texts": texts}, "v_measure", score)


def _text_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list):
        raise InputError(f"{where} must be a list of texts (use JSONL or Parquet for reranking tables)")
    return [str(item) for item in value]


def reranking(spec: TaskSpec) -> TaskRun:
    """A query with its positive and negative candidates; MAP of the candidates' order is primary."""
    records = read_records(spec.path)
    queries = text_column(records, spec.column("query"), spec.path)
    positives = column(records, spec.column("positive"), spec.path)
    negatives = column(records, spec.column("negative"), spec.path)
    candidates, relevant, bounds = [], [], [0]
    for number, (pos, neg) in enumerate(zip(positives, negatives, strict=True), start=1):
        where = f"{spec.path} record {number}"
        pos, neg = _text_list(pos, f"{where} {spec.column('positive')}"), _text_list(neg, f"{where} negative")
        candidates += pos + neg
        relevant.append([True] * len(pos) + [False] * len(neg))
        bounds.append(len(candidates))

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        scores = [
            similarity_matrix(encoded["queries"][i : i + 1], encoded["candidates"][start:end], variant)[0]
            for i, (start, end) in enumerate(itertools.pairwise(bounds))
        ]
        return reranking_from_scores(scores, relevant)

    return TaskRun({"queries": queries, "candidates": candidates}, "map", score, query_side="queries")


def pair_classification(spec: TaskSpec) -> TaskRun:
    """Pairs labelled 1 (same meaning) or 0; average precision over similarity is primary."""
    records = read_records(spec.path)
    first, second = _texts(spec, records, "sentence1", "sentence2")
    labels = _numbers(spec, records, "label", int)
    if set(labels) - {0, 1}:
        raise InputError(f"{spec.path}: pair classification labels must be 0 or 1")

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        similarity = paired_similarity(encoded["first"], encoded["second"], variant).astype(np.float64)
        return pair_classification_scores(similarity, labels)

    return TaskRun({"first": first, "second": second}, "cosine_ap", score)
