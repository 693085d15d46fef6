"""SciFact retrieval with sentence chunks: naive chunking vs late chunking vs whole-document vectors.

Every abstract (title + text, as BEIR joins them) is split into sentences (``sentences:1``). A document
scores by its best chunk's cosine with the query. Three runs of the bundled model on ../shared/data:

- whole: one vector per document (cut at the model's 256 tokens, as MTEB does);
- naive: each sentence embedded alone;
- late: the sentences embedded together with the whole abstract as context (macro windows beyond
  256 tokens, so nothing is cut).

nDCG@10 by trec_eval (pytrec-eval-terrier) on the test queries.

    .venv/bin/python bench/late_chunking.py [--docs N]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from tqdm import tqdm

import taskembed
from taskembed.encode.chunkers import sentence_spans
from taskembed.evaluate.data import load_beir
from taskembed.evaluate.retrieval import trec_scores

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"


def run_of(query_ids: list[str], doc_ids: list[str], scores: np.ndarray, k: int = 1000) -> dict:
    """Trec run: each query's top-k documents by score."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return {q: {doc_ids[j]: float(scores[i, j]) for j in top[i]} for i, q in enumerate(query_ids)}


def best_chunk_scores(
    queries: np.ndarray, chunks: np.ndarray, owner: np.ndarray, documents: int
) -> np.ndarray:
    """Each document's best chunk similarity, per query."""
    similarity = queries @ chunks.T
    scores = np.full((queries.shape[0], documents), -np.inf, dtype=np.float32)
    for column, doc in enumerate(owner):
        np.maximum(scores[:, doc], similarity[:, column], out=scores[:, doc])
    return scores


def main() -> None:
    """Embed three ways, score, print and save the three nDCG@10."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=None, help="only the first N documents (default: all)")
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).parent / "results" / "late_chunking.json"
    )
    args = parser.parse_args()
    data = load_beir(DATA)
    doc_ids = list(data.corpus)[: args.docs]
    query_ids = list(data.queries)
    model = taskembed.load("default")
    texts = [data.corpus[d] for d in doc_ids]
    spans = [sentence_spans(text, 1) for text in texts]
    chunks = [[text[a:b] for a, b in doc_spans] for text, doc_spans in zip(texts, spans, strict=True)]
    owner = np.array([i for i, doc in enumerate(chunks) for _ in doc])
    flat = [c for doc in chunks for c in doc]
    print(f"{len(texts)} documents, {len(flat)} sentence chunks, {len(query_ids)} queries")
    queries = model.encode([data.queries[q] for q in query_ids])
    seconds, scores = {}, {}

    start = time.perf_counter()
    with warnings.catch_warnings():  # the cut at 256 tokens is the point of this baseline
        warnings.simplefilter("ignore", taskembed.InputTruncatedWarning)
        whole = model.encode(texts, show_progress=True)
    seconds["whole"] = time.perf_counter() - start
    scores["whole"] = queries @ whole.T

    start = time.perf_counter()
    naive = model.encode(flat, show_progress=True)
    seconds["naive"] = time.perf_counter() - start
    scores["naive"] = best_chunk_scores(queries, naive, owner, len(texts))

    start = time.perf_counter()
    late = np.concatenate([model.encode(doc, late_chunking=True) for doc in tqdm(chunks, desc="late")])
    seconds["late"] = time.perf_counter() - start
    scores["late"] = best_chunk_scores(queries, late, owner, len(texts))

    results = {}
    for name, matrix in scores.items():
        metrics = trec_scores(data.qrels, run_of(query_ids, doc_ids, matrix))
        results[name] = {"ndcg_at_10": metrics["ndcg_at_10"], "seconds": seconds[name]}
        print(f"{name:>6}: nDCG@10 {metrics['ndcg_at_10'] * 100:.2f}  ({seconds[name]:.0f} s)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"documents": len(texts), "chunks": len(flat), **results}, indent=2))


if __name__ == "__main__":
    main()
