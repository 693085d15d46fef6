"""Hard-negative mining: for (query, positive) rows, corpus texts a model ranks high that are not positives.

For each query the pool (an optional corpus plus every positive of the data) is ranked by cosine under
any loadable model (query and document tasks or prompts of its own). Candidates are skipped when they are
one of the query's positives, among the ``skip_top`` highest ranks, or within ``margin`` of the row's
positive score (``score >= positive_score - margin``: likely unlabelled positives, the false-negative
guard). The first ``negatives`` remaining ones are kept. Output: one JSON line per input row with
``query``, ``positive``, ``negatives``, ``positive_score`` and ``negative_scores``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from taskembed.encode.embedder import Embedder
from taskembed.errors import InputError
from taskembed.scoring import embed_unit
from taskembed.train.config import FieldRef, SourceConfig
from taskembed.train.sources import read_source

QUERY_BLOCK = 256


@dataclass(frozen=True)
class MiningOptions:
    """How many negatives to keep and which candidates to skip; which task or prompt each side uses."""

    negatives: int = 7
    skip_top: int = 0
    margin: float | None = None
    query_task: str | None = None
    query_prompt: str | None = None
    document_task: str | None = None
    document_prompt: str | None = None

    def __post_init__(self) -> None:
        if self.negatives < 1 or self.skip_top < 0:
            raise InputError("mining needs negatives >= 1 and skip_top >= 0")


def default_output(data: Path) -> Path:
    """``pairs.jsonl`` -> ``pairs.negatives.jsonl`` beside it."""
    return data.with_name(f"{data.stem}.negatives.jsonl")


def _pick(
    order: np.ndarray, scores: np.ndarray, own: set[int], positive_score: float, options: MiningOptions
) -> list[int]:
    """The first ``negatives`` candidates in rank order that pass the skip rules."""
    picked: list[int] = []
    for rank, candidate in enumerate(order.tolist()):
        if len(picked) == options.negatives:
            break
        if rank < options.skip_top or candidate in own:
            continue
        if options.margin is not None and scores[candidate] >= positive_score - options.margin:
            continue
        picked.append(candidate)
    return picked


def mine(
    model: Embedder,
    data: SourceConfig,
    options: MiningOptions,
    output: Path,
    corpus: SourceConfig | None = None,
) -> int:
    """Mine negatives for every (query, positive) row of ``data``; write ``output``; return the row count."""
    rows = read_source(data).rows
    if any(len(row) != 2 for row in rows):
        raise InputError(f"{data.path}: mining needs exactly two fields, the query and its positive")
    pool = list(dict.fromkeys([*(read_source(corpus).rows if corpus else []), *((row[1],) for row in rows)]))
    texts = [row[0] for row in pool]
    index = {text: i for i, text in enumerate(texts)}
    queries = list(dict.fromkeys(row[0] for row in rows))
    positives: dict[str, set[int]] = {}
    for query, positive in rows:
        positives.setdefault(query, set()).add(index[positive])
    reach = options.skip_top + options.negatives + max(len(p) for p in positives.values())
    if reach > len(texts):
        raise InputError(
            f"the pool has {len(texts)} texts, fewer than the {reach} candidates needed per query"
        )
    query_vectors = embed_unit(model, queries, options.query_task, options.query_prompt)
    pool_vectors = embed_unit(model, texts, options.document_task, options.document_prompt)
    ranked: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for start in range(0, len(queries), QUERY_BLOCK):
        scores = query_vectors[start : start + QUERY_BLOCK] @ pool_vectors.T
        for offset, row_scores in enumerate(scores):
            ranked[queries[start + offset]] = (np.argsort(-row_scores, kind="stable"), row_scores)
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for query, positive in rows:
            order, scores = ranked[query]
            positive_score = float(scores[index[positive]])
            picked = _pick(order, scores, positives[query], positive_score, options)
            record = {
                "query": query,
                "positive": positive,
                "negatives": [texts[i] for i in picked],
                "positive_score": round(positive_score, 6),
                "negative_scores": [round(float(scores[i]), 6) for i in picked],
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, output)
    return len(rows)


def source(path: Path, fields: list[FieldRef], *, header: bool = True) -> SourceConfig:
    """A data file with the given fields, in any format the trainer reads."""
    return SourceConfig(path=path, fields=fields, header=header)
