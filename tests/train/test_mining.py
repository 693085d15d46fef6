"""`taskembed mine`: hard negatives ranked by the bundled model, with the false-negative guards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import taskembed
from taskembed.cli import main
from taskembed.errors import InputError
from taskembed.mining import MiningOptions, default_output, mine, source

PAIRS = [
    ("How do cats purr?", "Cats purr by vibrating the muscles of their larynx."),
    ("What is the capital of France?", "Paris is the capital and largest city of France."),
    ("What is the capital of France?", "The French government sits in Paris."),
]
CORPUS = [
    "Cats often purr when they are content.",
    "Dogs bark to communicate with each other.",
    "Lyon is a large city in France.",
    "The stock market fell sharply today.",
    "Bananas are rich in potassium.",
    "Cats purr by vibrating the muscles of their larynx.",
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    pairs, corpus = tmp_path / "pairs.jsonl", tmp_path / "corpus.jsonl"
    pairs.write_text("".join(json.dumps({"query": q, "positive": p}) + "\n" for q, p in PAIRS))
    corpus.write_text("".join(json.dumps({"text": t}) + "\n" for t in CORPUS))
    return pairs, corpus


def _mine(bundled: taskembed.Embedder, files: tuple[Path, Path], **options) -> list[dict]:
    pairs, corpus = files
    output = default_output(pairs)
    count = mine(
        bundled,
        source(pairs, ["query", "positive"]),
        MiningOptions(**options),
        output,
        source(corpus, ["text"]),
    )
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert count == len(rows) == len(PAIRS)
    return rows


def test_negatives_are_the_highest_ranked_non_positives(bundled, files) -> None:
    rows = _mine(bundled, files, negatives=3)
    positives = {q: {p for q2, p in PAIRS if q2 == q} for q, _ in PAIRS}
    pool = list(dict.fromkeys(CORPUS + [p for _, p in PAIRS]))
    for row in rows:
        assert not set(row["negatives"]) & positives[row["query"]]  # every positive of the query is excluded
        assert row["negative_scores"] == sorted(row["negative_scores"], reverse=True)
        # the same ranking computed directly
        vectors = bundled.encode([row["query"], *pool])
        ranked = [pool[i] for i in np.argsort(-(vectors[1:] @ vectors[0]), kind="stable")]
        assert row["negatives"] == [t for t in ranked if t not in positives[row["query"]]][:3]
    assert rows[0]["negatives"][0] == "Cats often purr when they are content."
    assert rows[1]["negatives"][0] == "Lyon is a large city in France."


def test_skip_top_and_margin_guard_against_false_negatives(bundled, files) -> None:
    plain = _mine(bundled, files, negatives=3)
    skipped = _mine(bundled, files, negatives=2, skip_top=1)
    assert skipped[0]["negatives"] == plain[0]["negatives"][1:]  # rank 0 is a negative for query 0
    guarded = _mine(bundled, files, negatives=3, margin=0.2)
    for row in guarded:
        assert all(score < row["positive_score"] - 0.2 for score in row["negative_scores"])
    assert "Cats often purr when they are content." not in guarded[0]["negatives"]


def test_cli_writes_beside_the_data(files, capsys) -> None:
    pairs, corpus = files
    assert main(["mine", str(pairs), "--corpus", str(corpus), "--negatives", "2"]) == 0
    assert "wrote 3 rows" in capsys.readouterr().out
    rows = [json.loads(line) for line in (pairs.parent / "pairs.negatives.jsonl").read_text().splitlines()]
    assert [len(row["negatives"]) for row in rows] == [2, 2, 2]


def test_a_pool_too_small_is_an_error(bundled, files) -> None:
    pairs, _ = files
    with pytest.raises(InputError, match="fewer than"):
        mine(
            bundled,
            source(pairs, ["query", "positive"]),
            MiningOptions(negatives=5),
            pairs.with_suffix(".out"),
        )
    assert main(["mine", str(pairs), "--query-field", "nope"]) == 2
