"""Batches for training: one source per batch, sources drawn by weight, no text twice in a batch.

(A source may limit the no-repeat rule to the leading texts of its rows, e.g. a retrieval row's query
and positive, so that mined hard negatives shared by several queries do not hold rows back.)

Everything is a function of the seed and a small JSON-ready position, so a resumed run draws exactly
the batches the uninterrupted run would have drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from taskembed.errors import InputError
from taskembed.train.sources import Source


@dataclass
class SourcePosition:
    """Where a source's shuffled order stands; ``carry`` holds rows deferred from a full batch."""

    epoch: int = 0
    cursor: int = 0
    carry: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Batch:
    """The rows of one global batch, all from one source (with their scores or labels, if any)."""

    source: str
    rows: list[tuple[str, ...]]
    targets: list[tuple[str, ...]]
    scores: list[float] | None = None
    labels: list[str] | None = None


class BatchSampler:
    """Draws global batches of ``batch_size`` rows; ``state()``/``restore()`` capture its position."""

    def __init__(self, sources: list[Source], batch_size: int, seed: int) -> None:
        for source in sources:
            distinct = len({text for row in source.rows for text in row})
            if len(source.rows) < batch_size or distinct < batch_size:
                raise InputError(
                    f"training source {source.name!r} has {len(source.rows)} rows ({distinct} distinct "
                    f"texts), fewer than the batch size {batch_size}; lower train.batch_size or add data"
                )
        self.sources = sources
        self.batch_size = batch_size
        self.seed = seed
        weights = np.asarray([source.weight for source in sources], dtype=np.float64)
        self.probabilities = weights / weights.sum()
        self.step = 0
        self.positions = {source.name: SourcePosition() for source in sources}
        self._orders: dict[int, tuple[int, np.ndarray]] = {}  # source index -> (epoch, its shuffle)

    def _order(self, index: int, epoch: int) -> np.ndarray:
        cached = self._orders.get(index)
        if cached is None or cached[0] != epoch:
            rng = np.random.default_rng([self.seed, index, epoch])
            cached = (epoch, rng.permutation(len(self.sources[index].rows)))
            self._orders[index] = cached
        return cached[1]

    def _next_index(self, index: int, position: SourcePosition) -> int:
        if position.carry:
            return position.carry.pop(0)
        order = self._order(index, position.epoch)
        row = int(order[position.cursor])
        position.cursor += 1
        if position.cursor == order.size:
            position.epoch, position.cursor = position.epoch + 1, 0
        return row

    def next_batch(self) -> Batch:
        """The next global batch; rows sharing a text with the batch wait for the source's next batch."""
        rng = np.random.default_rng([self.seed, 1_000_003, self.step])
        index = int(rng.choice(len(self.sources), p=self.probabilities))
        source = self.sources[index]
        position = self.positions[source.name]
        taken: list[int] = []
        deferred: list[int] = []
        seen: set[str] = set()
        budget = len(source.rows) + len(position.carry)
        while len(taken) < self.batch_size:
            if len(taken) + len(deferred) > budget:
                raise InputError(
                    f"training source {source.name!r} cannot fill a batch of {self.batch_size} rows "
                    "without repeating a text; lower train.batch_size or deduplicate the data"
                )
            row = self._next_index(index, position)
            texts = source.rows[row][: source.distinct]
            if len(set(texts)) < len(texts):
                continue  # a row whose own texts repeat can never join a batch: skipped for good
            if seen.intersection(texts):
                deferred.append(row)
                continue
            seen.update(texts)
            taken.append(row)
        position.carry = deferred + position.carry
        self.step += 1
        return Batch(
            source.name,
            [source.rows[row] for row in taken],
            [source.target_texts(row) for row in taken],
            [source.scores[row] for row in taken] if source.scores is not None else None,
            [source.labels[row] for row in taken] if source.labels is not None else None,
        )

    def state(self) -> dict[str, Any]:
        """The position as JSON-ready data."""
        return {
            "step": self.step,
            "sources": {
                name: {"epoch": p.epoch, "cursor": p.cursor, "carry": list(p.carry)}
                for name, p in self.positions.items()
            },
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from a saved position (the same sources, batch size and seed)."""
        if set(state["sources"]) != set(self.positions):
            raise InputError(
                f"the checkpoint was made with sources {sorted(state['sources'])}, "
                f"the config now has {sorted(self.positions)}; resume with the same data"
            )
        self.step = int(state["step"])
        for name, saved in state["sources"].items():
            self.positions[name] = SourcePosition(
                int(saved["epoch"]), int(saved["cursor"]), list(saved["carry"])
            )
