"""The benchmark corpus: 4,096 real mixed-length texts from ../shared/data (STS Benchmark and SciFact)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_corpus(size: int = 4096) -> list[str]:
    """Half STS-B test sentences, a quarter SciFact claims, a quarter leading sentences of abstracts (1-6)."""
    if not DATA.is_dir():
        sys.exit(f"benchmark data not found at {DATA}: run from a checkout with ../shared/data beside it")
    with (DATA / "stsbenchmark" / "sts-test.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    sentences = list(dict.fromkeys(text for row in rows for text in (row[5], row[6])))
    with (DATA / "scifact" / "queries.jsonl").open(encoding="utf-8") as handle:
        claims = [json.loads(line)["text"] for line in handle]
    with (DATA / "scifact" / "corpus.jsonl").open(encoding="utf-8") as handle:
        abstracts = [json.loads(line)["text"] for line in handle]
    passages = [". ".join(text.split(". ")[: 1 + i % 6]) for i, text in enumerate(abstracts)]
    half, quarter = size // 2, size // 4
    return sentences[:half] + claims[:quarter] + passages[: size - half - quarter]
