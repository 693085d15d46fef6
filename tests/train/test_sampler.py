from __future__ import annotations

import numpy as np
import pytest

from taskembed.errors import InputError
from taskembed.train.sampler import BatchSampler
from taskembed.train.sources import Source


def _sources() -> list[Source]:
    pairs = [(f"q{i}", f"p{i % 30}") for i in range(100)]  # positives repeat: p0 serves q0, q30, q60, q90
    singles = [(f"s{i}",) for i in range(40)]
    return [Source("pairs", pairs, 3.0), Source("singles", singles, 1.0)]


def test_batches_come_from_one_source_without_repeated_texts() -> None:
    sampler = BatchSampler(_sources(), batch_size=16, seed=1)
    counts = {"pairs": 0, "singles": 0}
    for _ in range(400):
        batch = sampler.next_batch()
        counts[batch.source] += 1
        texts = [text for row in batch.rows for text in row]
        assert len(texts) == len(set(texts)) and len(batch.rows) == 16
        assert {text[0] for text in texts} <= ({"q", "p"} if batch.source == "pairs" else {"s"})
    assert abs(counts["pairs"] / 400 - 0.75) < 0.06  # drawn in proportion to weight


def test_every_row_is_seen_once_per_epoch() -> None:
    sampler = BatchSampler([Source("singles", [(f"s{i}",) for i in range(40)], 1.0)], batch_size=8, seed=2)
    seen = [row for _ in range(5) for row in sampler.next_batch().rows]
    assert sorted(seen) == sorted((f"s{i}",) for i in range(40))


def test_same_seed_same_batches_and_restore_continues_exactly() -> None:
    first, second = BatchSampler(_sources(), 16, seed=5), BatchSampler(_sources(), 16, seed=5)
    head = [first.next_batch() for _ in range(7)]
    assert head == [second.next_batch() for _ in range(7)]
    state = first.state()
    rest = [first.next_batch() for _ in range(20)]
    resumed = BatchSampler(_sources(), 16, seed=5)
    resumed.restore(state)
    assert [resumed.next_batch() for _ in range(20)] == rest
    other = BatchSampler(_sources(), 16, seed=6)
    assert [other.next_batch() for _ in range(7)] != head


def test_sources_too_small_for_a_batch_are_refused() -> None:
    with pytest.raises(InputError, match="fewer than the batch size 16"):
        BatchSampler([Source("tiny", [(f"s{i}",) for i in range(10)], 1.0)], 16, seed=0)
    repeated = [(f"q{i}", "same") for i in range(40)]  # every pair shares its positive
    with pytest.raises(InputError, match="without repeating a text"):
        BatchSampler([Source("dup", repeated, 1.0)], 16, seed=0).next_batch()


def test_restore_refuses_other_sources() -> None:
    sampler = BatchSampler(_sources(), 16, seed=0)
    with pytest.raises(InputError, match="resume with the same data"):
        BatchSampler(_sources()[:1], 16, seed=0).restore(sampler.state())
    assert np.isclose(sampler.probabilities.sum(), 1.0)
