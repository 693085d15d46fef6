"""Loaders for the evaluation data layouts: STS pairs (TSV/CSV) and BEIR retrieval folders."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from taskembed.errors import InputError


@dataclass(frozen=True)
class STSPairs:
    """Sentence pairs with gold similarity scores."""

    first: list[str]
    second: list[str]
    gold: list[float]


def load_stsbenchmark(path: Path) -> STSPairs:
    """The original STS Benchmark TSV: genre, file, year, id, score, sentence1, sentence2 (no quoting)."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return STSPairs([r[5] for r in rows], [r[6] for r in rows], [float(r[4]) for r in rows])


def load_sts_csv(path: Path) -> STSPairs:
    """stsb-multi-mt's CSV: sentence1, sentence2, score (no header)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return STSPairs([r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows])


@dataclass(frozen=True)
class RetrievalData:
    """A BEIR split: corpus texts, query texts and graded relevance judgements."""

    corpus: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_beir(folder: Path, split: str = "test") -> RetrievalData:
    """Read corpus.jsonl, queries.jsonl and qrels/SPLIT.tsv; a document is (title + " " + text).strip()."""
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise InputError(f"{qrels_path} is missing: a BEIR folder needs qrels/{split}.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    corpus = {
        d["_id"]: (d.get("title", "") + " " + d.get("text", "")).strip()
        for d in _jsonl(folder / "corpus.jsonl")
    }
    queries = {q["_id"]: q["text"] for q in _jsonl(folder / "queries.jsonl") if q["_id"] in qrels}
    return RetrievalData(corpus=corpus, queries=queries, qrels=qrels)
