"""Retrieval as MTEB scores it: rank the top 1000 documents per query by cosine, score with trec_eval."""

from __future__ import annotations

import numpy as np

from taskembed.encode.embedder import Embedder
from taskembed.encode.postprocess import l2_normalize
from taskembed.evaluate.data import RetrievalData
from taskembed.evaluate.embed import embed_floats
from taskembed.evaluate.result import TaskResult
from taskembed.options import EncodeOptions

TOP_K = 1000


def top_k_by_cosine(
    queries: np.ndarray, documents: np.ndarray, k: int = TOP_K, block: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores of each query's ``k`` best documents, best first (blocked matmul)."""
    q, d = l2_normalize(queries), l2_normalize(documents)
    k = min(k, d.shape[0])
    indices = np.zeros((q.shape[0], k), dtype=np.int64)
    scores = np.zeros((q.shape[0], k), dtype=np.float32)
    for start in range(0, q.shape[0], block):
        rows = slice(start, start + block)
        indices[rows], scores[rows] = top_k_rows(q[rows] @ d.T, k)
    return indices, scores


def top_k_rows(scores: np.ndarray, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of each row's ``k`` highest scores, best first."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


def run_of(
    query_ids: list[str], doc_ids: list[str], indices: np.ndarray, scores: np.ndarray
) -> dict[str, dict[str, float]]:
    """A trec run (query id -> document id -> score) from top-k rows, leaving out -inf (unranked) scores."""
    return {
        qid: {doc_ids[j]: float(s) for j, s in zip(indices[row], scores[row], strict=True) if np.isfinite(s)}
        for row, qid in enumerate(query_ids)
    }


def trec_scores(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    """nDCG@10, MAP@10 and recall@100 from pytrec_eval (trec_eval), MRR@10, averaged over queries."""
    import pytrec_eval

    measures = {"ndcg_cut.10", "map_cut.10", "recall.100"}
    per_query = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    names = {"ndcg_cut_10": "ndcg_at_10", "map_cut_10": "map_at_10", "recall_100": "recall_at_100"}
    scores = {ours: float(np.mean([q[theirs] for q in per_query.values()])) for theirs, ours in names.items()}
    scores["mrr_at_10"] = float(np.mean([mrr_at_k(qrels[qid], run.get(qid, {}), 10) for qid in qrels]))
    return scores


def mrr_at_k(relevant: dict[str, int], ranked: dict[str, float], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top ``k`` (0 if none)."""
    top = sorted(ranked.items(), key=lambda item: item[1], reverse=True)[:k]
    return next((1.0 / rank for rank, (doc, _) in enumerate(top, 1) if relevant.get(doc, 0) > 0), 0.0)


def evaluate_retrieval(
    embedder: Embedder,
    data: RetrievalData,
    *,
    task: str = "Retrieval",
    split: str = "test",
    query_options: EncodeOptions | None = None,
    document_options: EncodeOptions | None = None,
    show_progress: bool = False,
) -> TaskResult:
    """Embed queries and documents (each side with its own task/prompt options), rank, and score."""
    doc_ids = list(data.corpus)
    query_ids = list(data.queries)
    documents = embed_floats(embedder, [data.corpus[i] for i in doc_ids], document_options, show_progress)
    queries = embed_floats(embedder, [data.queries[i] for i in query_ids], query_options)
    indices, scores = top_k_by_cosine(queries, documents)
    return TaskResult(
        task, split, "ndcg_at_10", trec_scores(data.qrels, run_of(query_ids, doc_ids, indices, scores))
    )
