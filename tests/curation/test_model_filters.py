"""Consistency and margin filters under the bundled model, against a brute-force reference computed with
sentence-transformers on the same weights."""

from __future__ import annotations

import numpy as np
import pytest

PAIRS = [
    ("How do cats purr?", "Cats purr by vibrating the muscles of their larynx."),
    ("What is the capital of France?", "Paris is the capital and largest city of France."),
    ("Why is the sky blue?", "Sunlight scatters off air molecules, and blue light scatters most."),
    ("How do vaccines work?", "Vaccines train the immune system to recognise a pathogen."),
    ("When did the Roman empire fall?", "Bananas are rich in potassium and easy to digest."),  # mismatched
    ("What do pandas eat?", "Giant pandas eat almost nothing but bamboo."),
    ("How does a refrigerator keep food cold?", "The stock market fell sharply on Monday."),  # mismatched
    ("What is photosynthesis?", "Plants turn light, water and carbon dioxide into sugar and oxygen."),
]
ROWS = [{"query": q, "positive": p} for q, p in PAIRS]


def _reference_ranks(st_bundled, sample: list[int]) -> list[int]:
    queries = st_bundled.encode([q for q, _ in PAIRS], normalize_embeddings=True)
    passages = st_bundled.encode([p for _, p in PAIRS], normalize_embeddings=True)
    ranks = []
    for i in range(len(PAIRS)):
        own = float(queries[i] @ passages[i])
        others = [float(queries[i] @ passages[j]) for j in sample if j != i]
        ranks.append(1 + sum(score > own + 1e-6 for score in others))
    return ranks


def test_consistency_keeps_pairs_whose_positive_ranks_top_k(curate, st_bundled):
    kept, report = curate(ROWS, [{"kind": "consistency", "top_k": 1}], chunk_rows=3)
    ranks = _reference_ranks(st_bundled, list(range(len(PAIRS))))
    assert kept == [row for row, rank in zip(ROWS, ranks, strict=True) if rank <= 1]
    assert ROWS[4] not in kept and ROWS[6] not in kept and len(kept) == 6
    step = report["steps"][0]
    assert step["dropped"] == {"inconsistent": 2}
    assert step["samples"]["inconsistent"][0]["detail"].startswith(f"positive ranks {ranks[4]} of 8 sampled")


def test_consistency_ranks_among_a_seeded_sample(curate, st_bundled):
    sample = sorted(np.random.default_rng(7).choice(len(PAIRS), 4, replace=False).tolist())
    ranks = _reference_ranks(st_bundled, sample)
    for top_k in (1, 2):
        kept, report = curate(ROWS, [{"kind": "consistency", "sample": 4, "seed": 7, "top_k": top_k}])
        assert kept == [row for row, rank in zip(ROWS, ranks, strict=True) if rank <= top_k]
    assert report["steps"][0]["samples"]["inconsistent"][0]["detail"].split(" sampled")[0].endswith("of 4")


TRIPLETS = [
    {
        "query": "What is the capital of France?",
        "positive": "Paris is the capital of France.",
        "negative": "Berlin is the capital of Germany.",
    },
    {
        "query": "What is the capital of France?",
        "positive": "Paris is the capital of France.",
        "negative": "Paris is the capital city of France.",
    },  # a paraphrase of the positive: false negative
    {
        "query": "How do cats purr?",
        "positive": "Cats purr by vibrating their larynx.",
        "negative": [
            "Dogs bark loudly.",
            "Cats purr by vibrating the muscles of their larynx.",
            "Tea is hot.",
        ],
    },
]


def test_margin_drops_false_negatives_and_prunes_lists(curate, st_bundled):
    kept, report = curate(TRIPLETS, [{"kind": "margin", "fields": ["query", "positive", "negative"]}])

    def cos(a, b):
        va, vb = st_bundled.encode([a, b], normalize_embeddings=True)
        return float(va @ vb)

    margins = [cos(t["query"], t["positive"]) - cos(t["query"], t["negative"]) for t in TRIPLETS[:2]]
    assert margins[0] > 0.05 >= margins[1]
    pruned = [
        n
        for n in TRIPLETS[2]["negative"]
        if cos(TRIPLETS[2]["query"], TRIPLETS[2]["positive"]) - cos(TRIPLETS[2]["query"], n) > 0.05
    ]
    assert pruned == ["Dogs bark loudly.", "Tea is hot."]
    assert kept == [TRIPLETS[0], {**TRIPLETS[2], "negative": pruned}]
    step = report["steps"][0]
    assert step["dropped"] == {"margin": 1}
    assert step["stats"] == {"negatives checked": 5, "negatives removed": 2, "texts cut at 256 tokens": 0}


def test_margin_needs_three_fields(curate):
    with pytest.raises(Exception, match="three fields"):
        curate(TRIPLETS, [{"kind": "margin"}])


def test_consistency_ranks_within_each_input_unless_told_otherwise(tmp_path):
    from tests.curation.conftest import read_jsonl, write_jsonl

    from taskembed.curation.config import parse_pipeline
    from taskembed.curation.pipeline import run_pipeline

    weak = {"query": "How do cats purr?", "positive": "Felines sometimes make a soft noise."}
    write_jsonl(tmp_path / "a.jsonl", [weak, ROWS[1], ROWS[2]])
    write_jsonl(tmp_path / "b.jsonl", [{"query": "Larynx?", "positive": PAIRS[0][1]}, ROWS[3]])
    for within, expected in ((True, [weak]), (False, [])):
        raw = {
            "input": [{"path": str(tmp_path / "a.jsonl")}, {"path": str(tmp_path / "b.jsonl")}],
            "output": str(tmp_path / "out.jsonl"),
            "step": [{"kind": "consistency", "top_k": 1, "within_input": within}],
        }
        run_pipeline(parse_pipeline(raw), overwrite=True, progress=False)
        assert [
            row for row in read_jsonl(tmp_path / "out.jsonl") if row["query"] == weak["query"]
        ] == expected


def test_a_sampled_copy_of_the_query_is_no_competitor(curate):
    echo = {"query": PAIRS[5][1], "positive": "Bamboo is nearly the whole diet of a giant panda."}
    kept, report = curate([*ROWS, echo], [{"kind": "consistency", "top_k": 1}])
    assert echo in kept  # the passage equal to its query would otherwise rank first
    assert report["steps"][0]["stats"]["positive rank 1"] == 7


def test_cut_texts_are_counted_in_the_report(curate):
    long_rows = [{"query": "What is said here?", "positive": "word " * 400}, *ROWS[:3]]
    _, report = curate(long_rows, [{"kind": "consistency"}], chunk_rows=2)
    stats = report["steps"][0]["stats"]
    assert stats["sampled texts cut at 256 tokens"] == 1  # the long positive, once
    assert stats["texts cut at 256 tokens"] == 0  # sampled positives are not embedded again
