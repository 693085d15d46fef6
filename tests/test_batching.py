"""Token-budget batches: every input once, sorted by length, padded size within the budget."""

from __future__ import annotations

import numpy as np
import pytest

from taskembed.encode.batching import pad_batch, plan_batches


@pytest.mark.parametrize("budget", [1, 16, 100, 1000])
def test_batches_cover_every_input_once_within_the_budget(budget):
    lengths = np.random.default_rng(budget).integers(1, 120, size=257)
    batches = plan_batches(lengths, budget)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(lengths.size))
    for batch in batches:
        assert len(batch) == 1 or len(batch) * lengths[batch].max() <= budget
    assert [lengths[b].max() for b in batches] == sorted((lengths[b].max() for b in batches), reverse=True)


def test_an_input_longer_than_the_budget_gets_its_own_batch():
    assert [b.tolist() for b in plan_batches(np.array([5, 50, 5]), 20)] == [[1], [0, 2]]


def test_no_inputs_no_batches():
    assert plan_batches(np.zeros(0, dtype=np.int64), 100) == []


def test_pad_batch_right_pads_with_the_pad_id():
    batch = pad_batch([np.array([101, 7, 102]), np.array([101, 102])], pad_id=0)
    assert batch.input_ids.tolist() == [[101, 7, 102], [101, 102, 0]]
    assert batch.attention_mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch.real_tokens == 5
