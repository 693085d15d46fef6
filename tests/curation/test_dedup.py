"""Dedup: exact rows kept and dropped, with reasons, for each kind of duplicate."""

from __future__ import annotations

import numpy as np
import pytest

from taskembed.curation.normalize import normalize, stable_hash
from taskembed.curation.steps.minhash import Signer
from taskembed.errors import InputError

LONG = (
    "The committee approved the new budget for the public library after a long debate about opening hours, "
    "staff salaries and the renovation of the children's reading room on the second floor."
)
OTHER = (
    "Researchers measured the migration routes of arctic terns over three years and found that the birds "
    "travel further than any other species, following winds across the Atlantic twice a year."
)
ROWS = [
    {"query": "A man plays guitar.", "positive": "Someone is playing an instrument."},  # 0 kept
    {"query": "a  MAN plays guitar.", "positive": "Someone is playing an instrument. "},  # 1 exact dup of 0
    {"query": "\uff21 man plays guitar.", "positive": "Someone is playing an instrument."},  # 2 NFKC
    {"query": "", "positive": "Nothing asked."},  # 3 empty side
    {"query": "Same both sides.", "positive": "same   BOTH sides."},  # 4 identical sides
    {"query": "Tell me about the library.", "positive": LONG},  # 5 kept
    {"query": "Tell me about the library.", "positive": LONG.replace("long", "lengthy")},  # 6 near dup of 5
    {"query": "Tell me about terns.", "positive": OTHER},  # 7 kept
    {"query": "A man plays guitar.", "positive": "A different answer, about cooking pasta."},  # 8 kept
]


def test_each_kind_of_duplicate_is_dropped_with_its_reason(curate):
    kept, report = curate(ROWS, [{"kind": "dedup"}])
    assert kept == [ROWS[i] for i in (0, 5, 7, 8)]
    step = report["steps"][0]
    assert step["dropped"] == {"exact-duplicate": 2, "empty": 1, "identical-sides": 1, "near-duplicate": 1}
    samples = step["samples"]
    assert [s["origin"] for s in samples["exact-duplicate"]] == ["in:line 2", "in:line 3"]
    assert samples["exact-duplicate"][0]["detail"] == "same text as in:line 1"
    assert samples["near-duplicate"][0]["origin"] == "in:line 7"
    assert "with in:line 6" in samples["near-duplicate"][0]["detail"]
    assert samples["empty"][0]["detail"] == "field 'query' is empty"


def test_switches_turn_parts_off(curate):
    kept, _ = curate(ROWS, [{"kind": "dedup", "near": False, "degenerate": False}])
    assert kept == [ROWS[i] for i in (0, 3, 4, 5, 6, 7, 8)]
    kept, _ = curate(ROWS, [{"kind": "dedup", "exact": False, "near": False}])
    assert kept == [ROWS[i] for i in (0, 1, 2, 5, 6, 7, 8)]


def test_threshold_decides_near_duplicates(curate):
    signer = Signer(128, 1, 0.8, "chars", 5)
    first, second = (normalize(ROWS[i]["positive"]) for i in (5, 6))  # the queries are the same
    estimate = float(np.mean(signer.signature(first) == signer.signature(second)))
    assert 0.8 <= estimate < 0.95
    kept, _ = curate(ROWS, [{"kind": "dedup", "threshold": 0.95}])
    assert ROWS[6] in kept
    kept, _ = curate(ROWS, [{"kind": "dedup", "threshold": 0.7}])
    assert ROWS[6] not in kept


def test_every_field_must_be_near_a_shared_passage_is_not_enough(curate):
    rows = [
        {"query": "Who approved the library budget?", "positive": LONG},
        {"query": "Which room will be renovated?", "positive": LONG},  # same passage, other question
        {"query": "Which room will be renovated ?", "positive": LONG.replace("long", "lengthy")},
    ]
    kept, report = curate(rows, [{"kind": "dedup"}])
    assert kept == rows[:2]
    assert "with in:line 2" in report["steps"][0]["samples"]["near-duplicate"][0]["detail"]


def test_threshold_without_bands_is_a_clear_error(curate):
    with pytest.raises(InputError, match="lower the threshold or raise num_perm"):
        curate(ROWS, [{"kind": "dedup", "threshold": 0.99}])


def test_signature_estimates_the_shingle_jaccard():
    signer = Signer(256, 1, 0.8, "chars", 5)
    a, b = normalize(LONG), normalize(LONG.replace("long debate", "short talk"))
    shingles_a, shingles_b = set(signer.shingles(a).tolist()), set(signer.shingles(b).tolist())
    exact = len(shingles_a & shingles_b) / len(shingles_a | shingles_b)
    estimate = float(np.mean(signer.signature(a) == signer.signature(b)))
    assert abs(estimate - exact) < 0.08


@pytest.mark.parametrize("chunk_rows", [1, 2, 4])
def test_result_does_not_depend_on_chunking(curate, chunk_rows):
    whole, _ = curate(ROWS, [{"kind": "dedup"}])
    chunked, report = curate(ROWS, [{"kind": "dedup"}], chunk_rows=chunk_rows)
    assert chunked == whole
    assert report["steps"][0]["rows_in"] == len(ROWS)


def test_normalized_hash_is_stable():
    assert normalize("  \uff34he\u00a0CAT\n sat ") == "the cat sat"
    assert stable_hash("the cat") == stable_hash(normalize("The  CAT"))
    assert stable_hash("the cat") == 3042635075010022360  # fixed across processes and machines
