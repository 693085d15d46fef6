"""Task runners: which texts a task embeds (per side) and how a variant of those vectors is scored."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from taskembed.encode.postprocess import truncate_normalize
from taskembed.evaluate.data import load_beir, load_sts_csv, load_stsbenchmark
from taskembed.evaluate.negation import negation_from_similarities
from taskembed.evaluate.retrieval import top_k_rows, trec_scores
from taskembed.evaluate.specs import TaskSpec
from taskembed.evaluate.sts import sts_scores
from taskembed.evaluate.variants import Variant, paired_similarity, rescore, similarity_matrix

Encoded = dict[str, np.ndarray]
Scorer = Callable[[Encoded, Encoded, Variant], dict[str, float]]


@dataclass(frozen=True)
class TaskRun:
    """Texts per side, the primary metric, and a scorer of (encoded sides, raw sides, variant)."""

    sides: dict[str, list[str]]
    main_score: str
    score: Scorer
    query_side: str | None = None  # retrieval: the side that gets the query task/prompt


def _sts(spec: TaskSpec) -> TaskRun:
    pairs = load_stsbenchmark(spec.path) if spec.format == "stsbenchmark" else load_sts_csv(spec.path)

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        return sts_scores(pairs.gold, paired_similarity(encoded["first"], encoded["second"], variant))

    return TaskRun({"first": pairs.first, "second": pairs.second}, "cosine_spearman", score)


def _retrieval(spec: TaskSpec) -> TaskRun:
    data = load_beir(spec.path, spec.split)
    doc_ids, query_ids = list(data.corpus), list(data.queries)

    def score(encoded: Encoded, raw: Encoded, variant: Variant) -> dict[str, float]:
        scores = similarity_matrix(encoded["queries"], encoded["documents"], variant)
        if variant.kind == "binary_rescore":
            query_floats = truncate_normalize(raw["queries"], variant.dimensions)
            scores = rescore(query_floats, encoded["documents"], scores, variant.dimensions)
        indices, values = top_k_rows(scores)
        run = {
            qid: {
                doc_ids[j]: float(s) for j, s in zip(indices[row], values[row], strict=True) if np.isfinite(s)
            }
            for row, qid in enumerate(query_ids)
        }
        return trec_scores(data.qrels, run)

    sides = {"queries": [data.queries[q] for q in query_ids], "documents": [data.corpus[d] for d in doc_ids]}
    return TaskRun(sides, "ndcg_at_10", score, query_side="queries")


def _negation(spec: TaskSpec) -> TaskRun:
    with spec.path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    names = {side: spec.fields.get(side, side) for side in ("anchor", "entailment", "negative")}
    sides = {side: [str(r[field]) for r in rows] for side, field in names.items()}

    def score(encoded: Encoded, _: Encoded, variant: Variant) -> dict[str, float]:
        a, e, n = encoded["anchor"], encoded["entailment"], encoded["negative"]
        return negation_from_similarities(
            paired_similarity(a, e, variant),
            paired_similarity(e, n, variant),
            paired_similarity(a, n, variant),
        )

    return TaskRun(sides, "hard_negation", score)


RUNNERS: dict[str, Callable[[TaskSpec], TaskRun]] = {
    "sts": _sts,
    "retrieval": _retrieval,
    "negation": _negation,
}


def task_run(spec: TaskSpec) -> TaskRun:
    """Load a task's data and return how to embed and score it."""
    return RUNNERS[spec.type](spec)
