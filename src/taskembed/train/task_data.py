"""Shape each source's rows for a task recipe (stage 2), checking that the data fits the recipe.

- retrieval: (query, positive, hard negatives...); at most ``adapter.negatives`` negatives are kept;
  only the query and positive must be unique within a batch.
- text-matching: (text, text) pairs, with a gold ``score`` for CoSENT (repeats allowed) or without.
- clustering: texts (every text of a row is distilled).
- classification: (text) with a ``label``; every text becomes (anchor, a same-label positive,
  ``adapter.class_negatives`` other-label negatives), drawn with the seed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from taskembed.errors import InputError
from taskembed.train.config import AdapterConfig
from taskembed.train.recipes import Recipe
from taskembed.train.sources import Source


def _retrieval(source: Source, config: AdapterConfig) -> Source:
    short = sum(1 for row in source.rows if len(row) < 2)
    if short:
        raise InputError(
            f"retrieval source {source.name!r} has {short} row(s) with fewer than two texts; "
            "give fields = [query, positive, (negatives)]"
        )
    keep = None if config.negatives is None else 2 + config.negatives
    rows = [row[:keep] for row in source.rows]
    return replace(source, rows=rows, targets=None, distinct=2)


def _text_matching(source: Source, recipe: Recipe) -> Source:
    if any(len(row) != 2 for row in source.rows):
        raise InputError(f"text-matching source {source.name!r} needs exactly two text fields per row")
    if source.scores is not None:
        if recipe.weight("cosent") == 0:
            raise InputError(f"source {source.name!r} has scores but adapter.weights.cosent is 0")
        return replace(source, targets=None, distinct=0)
    if recipe.weight("infonce") == 0 and recipe.weight("distill") == 0:
        raise InputError(f"source {source.name!r} has no scores and both infonce and distill weights are 0")
    return replace(source, targets=None, distinct=None)


def classification_rows(source: Source, negatives: int, seed: int) -> Source:
    """(anchor, same-label positive, other-label negatives) for every text whose label has another text."""
    if source.labels is None:
        raise InputError(f"classification source {source.name!r} needs a `label` field")
    texts = [row[0] for row in source.rows]
    labels = np.asarray(source.labels)
    by_label = {label: np.flatnonzero(labels == label) for label in sorted(set(source.labels))}
    if len(by_label) < 2:
        raise InputError(f"classification source {source.name!r} has only one label")
    rng = np.random.default_rng([seed, 17])
    rows, kept_labels = [], []
    for index, label in enumerate(source.labels):
        same = by_label[label][by_label[label] != index]
        others = np.flatnonzero(labels != label)
        if same.size == 0:
            continue
        positive = int(rng.choice(same))
        picked = rng.choice(others, size=negatives, replace=others.size < negatives)
        rows.append((texts[index], texts[positive], *(texts[i] for i in picked)))
        kept_labels.append(label)
    if not rows:
        raise InputError(f"classification source {source.name!r}: no label has two texts")
    return Source(source.name, rows, source.weight, labels=kept_labels, distinct=1)


def shape_sources(sources: list[Source], recipe: Recipe, config: AdapterConfig, seed: int) -> list[Source]:
    """Every source in the form the task's loss reads."""
    shaped = []
    for source in sources:
        if recipe.task == "retrieval":
            shaped.append(_retrieval(source, config))
        elif recipe.task == "text-matching":
            shaped.append(_text_matching(source, recipe))
        elif recipe.task == "classification":
            shaped.append(classification_rows(source, config.class_negatives, seed))
        else:
            shaped.append(replace(source, targets=None))
    return shaped
