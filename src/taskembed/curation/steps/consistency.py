"""Consistency filter (jina-embeddings v1): the positive must rank high among sampled passages.

A (query, positive) row is kept when, under an auxiliary model, its positive ranks in the top ``top_k``
among a sample of the data's passages for its query.

``prepare`` draws ``sample`` row numbers uniformly without replacement (seeded; every row when the input
is smaller) and embeds those rows' positives block by block into ``sample/`` (resumable: finished blocks
are kept). The sample matrix (sample x dimension float32) is this step's memory bound. Each chunk then
embeds its queries and compares every query with the whole sample: its positive's rank is one plus the
number of sampled passages scoring strictly higher (the positive itself excluded, ties in its favour).
A positive that is in the sample reuses its sampled vector. With ``within_input`` (the default, as v1
ranks within each data set) a row is compared only with sampled passages of its own input. A sampled
passage that is the query itself (the same text after normalization, common in symmetric data such as
STS) is no competitor and is left out too.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np

from taskembed.curation.config import ConsistencyStep
from taskembed.curation.normalize import normalize, stable_hash
from taskembed.curation.records import Row, origin_input
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
        self.model, self.show_progress = ScoringModel(config), show_progress
        self.sample_rows = np.zeros(0, dtype=np.int64)
        self.sample = np.zeros((0, 0), dtype=np.float32)
        self.labels: dict[str, int] = {}
        self.groups = np.zeros(0, dtype=np.int32)
        self.hashes = np.zeros(0, dtype=np.int64)
        self.sample_cut = 0
        self.group_sizes = np.zeros(1, dtype=np.int64)

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
        blocks = [folder / f"block-{n:06d}.npy" for n in range(-(-len(self.sample_rows) // SAMPLE_BLOCK))]
        labels = folder / "inputs.json"
        if not labels.is_file() or not all(block.is_file() for block in blocks):
            self._embed_sample(rows(), folder, labels)
        saved = json.loads(labels.read_text(encoding="utf-8"))
        self.labels = {label: code for code, label in enumerate(saved["labels"])}
        self.groups = np.load(folder / "groups.npy")
        self.hashes = np.load(folder / "hashes.npy")
        if not self.config.within_input:
            self.groups = np.zeros_like(self.groups)
        self.group_sizes = np.bincount(self.groups, minlength=max(len(self.labels), 1))
        self.sample = np.concatenate([np.load(block) for block in blocks])
        self.sample_cut = sum(int(block.with_suffix(".cut").read_text()) for block in blocks)

    def _embed_sample(self, rows: Iterator[Row], folder: Path, labels: Path) -> None:
        """One pass over the input: note each sampled row's input; embed the blocks not yet saved."""
        wanted = self.sample_rows.tolist()
        position, texts, codes, hashes = 0, [], [], []
        names: dict[str, int] = {}
        for number, (origin, record) in enumerate(islice(rows, wanted[-1] + 1)):
            if number != wanted[position]:
                continue
            codes.append(names.setdefault(origin_input(origin), len(names)))
            text = field_text(record, self.positive_field, origin)
            hashes.append(stable_hash(normalize(text)))
            path = folder / f"block-{position // SAMPLE_BLOCK:06d}.npy"
            if not path.is_file():
                texts.append(text)
            position += 1
            if texts and (position % SAMPLE_BLOCK == 0 or position == len(wanted)):
                vectors = self.model.documents(texts, show_progress=self.show_progress)
                path.with_suffix(".cut").write_text(
                    str(self.model.take_cut())
                )  # before the block: kept together
                _save(path, vectors)
                texts = []
        _save(folder / "groups.npy", np.asarray(codes, dtype=np.int32))
        _save(folder / "hashes.npy", np.asarray(hashes, dtype=np.int64))
        tmp = labels.with_name(labels.name + ".tmp")  # written last: it marks the sample complete
        tmp.write_text(json.dumps({"labels": list(names)}), encoding="utf-8")
        os.replace(tmp, labels)

    def _row_groups(self, rows: list[Row]) -> np.ndarray:
        if not self.config.within_input:
            return np.zeros(len(rows), dtype=np.int32)
        return np.array([self.labels.get(origin_input(origin), -1) for origin, _ in rows], dtype=np.int32)

    def judge(self, rows: list[Row], db: sqlite3.Connection, start: int) -> Judged:
        """Rank each row's positive among the sample (of its input) for its query."""
        queries = [field_text(record, self.query_field, origin) for origin, record in rows]
        positives = [field_text(record, self.positive_field, origin) for origin, record in rows]
        numbers = np.arange(start, start + len(rows))
        slots = np.searchsorted(self.sample_rows, numbers)
        in_sample = (slots < len(self.sample_rows)) & (
            self.sample_rows[np.minimum(slots, len(self.sample_rows) - 1)] == numbers
        )
        positive_vectors = np.empty((len(rows), self.sample.shape[1]), dtype=np.float32)
        positive_vectors[in_sample] = self.sample[slots[in_sample]]
        missing = np.flatnonzero(~in_sample)
        positive_vectors[missing] = self.model.documents([positives[i] for i in missing])
        query_vectors = self.model.queries(queries)
        groups = self._row_groups(rows)
        query_hashes = np.array([stable_hash(normalize(text)) for text in queries], dtype=np.int64)
        verdicts: list[Verdict] = []
        stats: Counter[str] = Counter({self.model.cut_stat: self.model.take_cut()})
        if start == 0:  # counted once, with the first chunk
            stats[f"sampled {self.model.cut_stat}"] += self.sample_cut
        block = max(1, SCORE_BYTES // (5 * len(self.sample)))
        for begin in range(0, len(rows), block):
            end = min(begin + block, len(rows))
            scores = query_vectors[begin:end] @ self.sample.T
            own = (query_vectors[begin:end] * positive_vectors[begin:end]).sum(axis=1)
            local = np.flatnonzero(in_sample[begin:end])
            own[local] = scores[local, slots[begin:end][local]]  # the same product as every other passage
            scores[local, slots[begin:end][local]] = -np.inf  # a positive does not outrank itself
            scores[self.groups[None, :] != groups[begin:end, None]] = -np.inf  # other inputs: not compared
            scores[self.hashes[None, :] == query_hashes[begin:end, None]] = -np.inf  # copies of the query
            ranks = 1 + (scores > own[:, None]).sum(axis=1)
            for offset, rank in enumerate(ranks.tolist()):
                stats[_rank_bucket(rank)] += 1
                if rank <= self.config.top_k:
                    verdicts.append(KEEP)
                    continue
                group = int(groups[begin + offset])
                verdicts.append(
                    Verdict(
                        "inconsistent",
                        f"positive ranks {rank} of {self.group_sizes[group]} sampled passages (top "
                        f"{self.config.top_k} kept); its score {own[offset]:.3f}, "
                        f"best other {scores[offset].max():.3f}",
                    )
                )
        return Judged(verdicts, stats)
