"""Task runners: which texts a task embeds (per side) and how a variant of those vectors is scored."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from taskembed.encode.postprocess import truncate_normalize
from taskembed.evaluate import table_tasks
from taskembed.evaluate.data import load_beir, load_sts_csv, load_stsbenchmark
from taskembed.evaluate.retrieval import top_k_rows, trec_scores
from taskembed.evaluate.specs import TaskSpec
from taskembed.evaluate.sts import sts_scores
from taskembed.evaluate.task_run import Encoded, TaskRun
from taskembed.evaluate.variants import Variant, paired_similarity, rescore, similarity_matrix


def _sts(spec: TaskSpec) -> TaskRun:
    if spec.format == "table":
        return table_tasks.sts_table(spec)
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


RUNNERS: dict[str, Callable[[TaskSpec], TaskRun]] = {
    "sts": _sts,
    "retrieval": _retrieval,
    "negation": table_tasks.negation,
    "bitext": table_tasks.bitext,
    "classification": table_tasks.classification,
    "clustering": table_tasks.clustering,
    "reranking": table_tasks.reranking,
    "pair_classification": table_tasks.pair_classification,
}


def task_run(spec: TaskSpec) -> TaskRun:
    """Load a task's data and return how to embed and score it."""
    return RUNNERS[spec.type](spec)
