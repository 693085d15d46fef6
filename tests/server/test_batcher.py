"""The batcher alone, with a fake model whose forward pass records what it was given."""

from __future__ import annotations

import asyncio

import numpy as np

from taskembed.encode.embedder import PreparedInput
from taskembed.encode.tokenize import Tokenized
from taskembed.options import EncodeOptions
from taskembed.server.batcher import Batcher, QueueFullError


class RecordingModel:
    """Returns each row's length and first token as its 'embedding'; logs every forward pass."""

    class info:  # noqa: N801 - mimics Embedder.info
        dimension = 2

    def __init__(self) -> None:
        self.passes: list[list[int]] = []

    def forward(self, rows, prompt_lengths, adapters=None):
        self.passes.append([int(r[0]) for r in rows])
        return np.array([[len(r), r[0]] for r in rows], dtype=np.float32)


def _prepared(tag: int, lengths: list[int]) -> PreparedInput:
    ids = [np.full(n, tag * 1000 + i, dtype=np.int64) for i, n in enumerate(lengths)]
    tokenized = Tokenized(ids=ids, original_counts=np.array(lengths), truncated=())
    return PreparedInput(options=EncodeOptions(), tokenized=tokenized, prompt_length=0)


def test_each_request_gets_its_rows_back_in_its_order():
    async def run():
        model = RecordingModel()
        batcher = Batcher(model, max_batch_tokens=64, max_wait_s=0.001)
        batcher.start()
        lengths = [[5, 1, 9], [3], [7, 7, 2, 40]]
        results = await asyncio.gather(*(batcher.pooled(_prepared(t, ls)) for t, ls in enumerate(lengths)))
        await batcher.stop()
        return lengths, results, model

    lengths, results, model = asyncio.run(run())
    for tag, (ls, result) in enumerate(zip(lengths, results, strict=True)):
        assert result[:, 0].tolist() == ls
        assert result[:, 1].tolist() == [tag * 1000 + i for i in range(len(ls))]
    for batch in model.passes:
        assert len(batch) >= 1


def test_a_huge_request_does_not_starve_small_ones():
    async def run():
        model = RecordingModel()
        batcher = Batcher(model, max_batch_tokens=1000, max_wait_s=0.0)
        batcher.start()
        huge = asyncio.ensure_future(batcher.pooled(_prepared(1, [900] * 30)))
        await asyncio.sleep(0)
        small = [asyncio.ensure_future(batcher.pooled(_prepared(2 + i, [10]))) for i in range(5)]
        await asyncio.gather(*small)
        await huge
        await batcher.stop()
        return model.passes

    passes = asyncio.run(run())
    holding_small = [i for i, batch in enumerate(passes) if any(tag >= 2000 for tag in batch)]
    # the huge request's first row was already running; the five small requests share the next pass
    assert holding_small == [1]
    assert sum(len(batch) for batch in passes) == 35


def test_the_queue_limit():
    async def run():
        batcher = Batcher(RecordingModel(), max_batch_tokens=64, max_queue=1, max_wait_s=0.05)
        batcher.start()
        first = asyncio.ensure_future(batcher.pooled(_prepared(1, [3])))
        await asyncio.sleep(0)
        try:
            await batcher.pooled(_prepared(2, [3]))
        except QueueFullError:
            refused = True
        else:
            refused = False
        await first
        await batcher.stop()
        return refused

    assert asyncio.run(run())
