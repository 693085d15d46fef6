"""Consistency filter (jina-embeddings v1): the positive must rank high among sampled passages.

A (query, positive) row is kept when, under an auxiliary model, its positive ranks in the top ``top_k``
among a sample of the data's passages for its query.

``prepare`` draws ``sample`` row numbers uniformly without replacement (seeded; every row when the input
is smaller) and embeds those rows' positives block by block into ``sample/`` (resumable: finished blocks
are kept). The sample matrix (sample x dimension float32) is this step's memory bound. Each chunk then
embeds its queries and compares every query with the whole sample: its positive's rank is one plus the
number of sampled passages scoring strictly higher (the positive itself excluded, ties in its favour).
A positive that is in the sample reuses its sampled vector.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np

from taskembed.curation.config import ConsistencyStep
from taskembed.curation.records import Row
from taskembed.curation.steps.base import KEEP, Judged, Verdict, field_text
from taskembed.curation.steps.model import ScoringModel
from taskembed.errors import InputError

SAMPLE_BLOCK = 8192
SCORE_BYTES = 1 << 28  # the query x sample score block stays under 256 MiB


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.stem + ".tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


def _rank_bucket(rank: int) -> str:
    if rank <= 3:
        return f"positive rank {rank}"
    return "positive rank 4-10" if rank <= 10 else "positive rank > 10"


class Consistency:
    """The consistency filter (see the module docstring)."""

    def __init__(self, config: ConsistencyStep, fields: list[str], *, show_progress: bool = False) -> None:
        if len(fields) < 2:
            raise InputError(f"consistency needs a query and a positive field; got fields {fields}")
        self.config, self.query_field, self.positive_field = config, fields[0], fields[1]
        self.model = ScoringModel(config, show_progress=show_progress)
        self.sample_rows = np.zeros(0, dtype=np.int64)
        self.sample = np.zeros((0, 0), dtype=np.float32)

    def prepare(self, db: sqlite3.Connection, rows: Callable[[], Iterator[Row]], folder: Path) -> None:
        """Choose the sample rows and embed their positives (resumable block by block)."""
        folder = folder / "sample"
        folder.mkdir(exist_ok=True)
        chosen = folder / "rows.npy"
        if not chosen.is_file():
            total = sum(1 for _ in rows())
            if total < 2:
                raise InputError("consistency needs at least 2 rows to rank a positive among others")
            generator = np.random.default_rng(self.config.seed)
            picked = (
                generator.choice(total, self.config.sample, replace=False)
                if total > self.config.sample
                else None
            )
            _save(chosen, np.sort(picked) if picked is not None else np.arange(total, dtype=np.int64))
        self.sample_rows = np.load(chosen)
        self._embed_sample(rows(), folder)
        count = -(-len(self.sample_rows) // SAMPLE_BLOCK)
        self.sample = np.concatenate([np.load(folder / f"block-{n:06d}.npy") for n in range(count)])

    def _embed_sample(self, rows: Iterator[Row], folder: Path) -> None:
        """One pass over the input: gather each block's sampled positives; embed blocks not yet saved."""
        wanted = self.sample_rows.tolist()
        if all((folder / f"block-{n:06d}.npy").is_file() for n in range(-(-len(wanted) // SAMPLE_BLOCK))):
            return
        position, texts = 0, []
        for number, (origin, record) in enumerate(islice(rows, wanted[-1] + 1)):
            if number != wanted[position]:
                continue
            path = folder / f"block-{position // SAMPLE_BLOCK:06d}.npy"
            if not path.is_file():
                texts.append(field_text(record, self.positive_field, origin))
            position += 1
            if texts and (position % SAMPLE_BLOCK == 0 or position == len(wanted)):
                _save(path, self.model.documents(texts))
                texts = []

    def judge(self, rows: list[Row], db: sqlite3.Connection, start: int) -> Judged:
        """Rank each row's positive among the sample for its query."""
        queries = [field_text(record, self.query_field, origin) for origin, record in rows]
        positives = [field_text(record, self.positive_field, origin) for origin, record in rows]
        numbers = np.arange(start, start + len(rows))
        slots = np.searchsorted(self.sample_rows, numbers)
        in_sample = (slots < len(self.sample_rows)) & (
            self.sample_rows[np.minimum(slots, len(self.sample_rows) - 1)] == numbers
        )
        missing = [i for i in range(len(rows)) if not in_sample[i]]
        positive_vectors = np.empty((len(rows), self.sample.shape[1]), dtype=np.float32)
        positive_vectors[in_sample] = self.sample[slots[in_sample]]
        positive_vectors[missing] = self.model.documents([positives[i] for i in missing])
        query_vectors = self.model.queries(queries)
        verdicts: list[Verdict] = []
        stats: Counter[str] = Counter()
        block = max(1, SCORE_BYTES // (4 * len(self.sample)))
        for begin in range(0, len(rows), block):
            end = min(begin + block, len(rows))
            scores = query_vectors[begin:end] @ self.sample.T
            own = (query_vectors[begin:end] * positive_vectors[begin:end]).sum(axis=1)
            for offset in range(end - begin):
                i = begin + offset
                if in_sample[i]:
                    own[offset] = scores[offset, slots[i]]
                    scores[offset, slots[i]] = -np.inf
                rank = 1 + int((scores[offset] > own[offset]).sum())
                stats[_rank_bucket(rank)] += 1
                if rank <= self.config.top_k:
                    verdicts.append(KEEP)
                else:
                    best = float(scores[offset].max())
                    verdicts.append(
                        Verdict(
                            "inconsistent",
                            f"positive ranks {rank} of {len(self.sample)} sampled passages (top "
                            f"{self.config.top_k} kept); its score {own[offset]:.3f}, best other {best:.3f}",
                        )
                    )
        return Judged(verdicts, stats)
