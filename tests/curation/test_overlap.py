"""Overlap: drop a pair when >= 80 % of the shorter text's words (at least 4) are in the longer one."""

from __future__ import annotations

import pytest

from taskembed.curation.steps.overlap import overlap
from taskembed.errors import InputError

ROWS = [
    {"a": "the cat sat down", "b": "The cat sat down on the warm mat."},  # 0: 4/4 -> drop
    {"a": "the cat sat", "b": "The cat sat down on the warm mat."},  # 1: 3 words < 4 -> keep
    {"a": "the dog sat down", "b": "The cat sat down on the warm mat."},  # 2: 3/4 = 75 % -> keep
    {"a": "a big red car drove off", "b": "A big red car drove away quickly."},  # 3: 5/6 'off'? see below
    {"a": "Where is the nearest station?", "b": "Take the second left to reach it."},  # 4: keep
]


def test_counts_words_of_the_shorter_text_found_in_the_longer():
    assert overlap(ROWS[0]["a"], ROWS[0]["b"]) == (4, 4)
    assert overlap(ROWS[2]["a"], ROWS[2]["b"]) == (3, 4)
    # 'a' occurs inside 'away', 'off' nowhere: substrings, not whole words, as the v3 filter defines it
    assert overlap(ROWS[3]["a"], ROWS[3]["b"]) == (5, 6)


def test_exact_rows(curate):
    kept, report = curate(ROWS, [{"kind": "overlap", "fields": ["a", "b"]}])
    assert kept == [ROWS[i] for i in (1, 2, 4)]
    assert report["steps"][0]["samples"]["overlap"][1]["detail"] == (
        "5 of 6 words of the shorter text are in the longer one"
    )


def test_ratio_and_minimum_are_settings(curate):
    kept, _ = curate(ROWS, [{"kind": "overlap", "fields": ["a", "b"], "ratio": 0.75, "min_words": 3}])
    assert kept == [ROWS[4]]


def test_needs_two_fields(curate):
    with pytest.raises(InputError, match="two fields"):
        curate(ROWS, [{"kind": "overlap", "fields": ["a"]}])
