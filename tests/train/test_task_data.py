"""Shaping sources for the stage-2 recipes, and the recipes' defaults and overrides."""

from __future__ import annotations

import pytest

from taskembed.errors import InputError
from taskembed.train.config import AdapterConfig
from taskembed.train.recipes import TOPIC_INSTRUCTION, recipe_for
from taskembed.train.sources import Source
from taskembed.train.task_data import classification_rows, shape_sources


def test_classification_rows_pair_each_anchor_with_its_label_and_others() -> None:
    texts = ["a1", "a2", "b1", "b2", "c1"]
    source = Source("s", [(t,) for t in texts], 1.0, labels=["a", "a", "b", "b", "c"])
    shaped = classification_rows(source, negatives=3, seed=0)
    assert [row[0] for row in shaped.rows] == ["a1", "a2", "b1", "b2"]  # c1's label has no second text
    for row, label in zip(shaped.rows, shaped.labels or [], strict=True):
        assert row[1][0] == label and row[1] != row[0]  # the positive: another text of the same label
        assert len(row) == 5 and all(text[0] != label for text in row[2:])
    assert shaped.distinct == 1
    assert classification_rows(source, negatives=3, seed=0) == shaped  # drawn with the seed


def test_retrieval_keeps_the_first_negatives_and_only_checks_query_and_positive() -> None:
    source = Source("s", [("q", "p", "n1", "n2", "n3")], 1.0)
    (shaped,) = shape_sources(
        [source],
        recipe_for(AdapterConfig(task="retrieval", negatives=1)),
        AdapterConfig(task="retrieval", negatives=1),
        0,
    )
    assert shaped.rows == [("q", "p", "n1")] and shaped.distinct == 2
    with pytest.raises(InputError, match="fewer than two texts"):
        shape_sources(
            [Source("s", [("q",)], 1.0)],
            recipe_for(AdapterConfig(task="retrieval")),
            AdapterConfig(task="retrieval"),
            0,
        )


def test_text_matching_needs_pairs_and_a_loss_for_them() -> None:
    config = AdapterConfig(task="text-matching")
    scored = Source("s", [("a", "a")], 1.0, scores=[5.0])
    (shaped,) = shape_sources([scored], recipe_for(config), config, 0)
    assert shaped.distinct == 0  # identical texts in a scored pair are fine
    with pytest.raises(InputError, match="exactly two"):
        shape_sources([Source("s", [("a",)], 1.0)], recipe_for(config), config, 0)
    off = AdapterConfig(task="text-matching", weights={"cosent": 0})
    with pytest.raises(InputError, match="cosent is 0"):
        shape_sources([scored], recipe_for(off), off, 0)


def test_recipes_follow_v5_and_take_overrides() -> None:
    retrieval = recipe_for(AdapterConfig(task="retrieval"))
    assert retrieval.weights == {"infonce": 1.0, "distill": 2.0, "gor": 1.0}
    assert retrieval.api_tasks == {
        "retrieval.query": "Query: ",
        "retrieval.passage": "Document: ",
        "retrieval": "Document: ",
    }
    assert recipe_for(AdapterConfig(task="clustering")).teacher_prompt == TOPIC_INSTRUCTION
    classification = recipe_for(AdapterConfig(task="classification"))
    assert classification.bidirectional and classification.weights == {"infonce": 1.0, "rkd": 20.0}
    changed = recipe_for(
        AdapterConfig(task="retrieval", weights={"gor": 0, "distill": 1}, query_prompt="q: ")
    )
    assert (
        changed.weights == {"infonce": 1.0, "distill": 1.0} and changed.api_tasks["retrieval.query"] == "q: "
    )
