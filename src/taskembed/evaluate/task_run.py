"""TaskRun: which texts a task embeds (per side) and how one variant of those vectors is scored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from taskembed.evaluate.variants import Variant

Encoded = dict[str, np.ndarray]
Scorer = Callable[[Encoded, Encoded, Variant], dict[str, float]]


@dataclass(frozen=True)
class TaskRun:
    """Texts per side, the primary metric, and a scorer of (encoded sides, raw sides, variant)."""

    sides: dict[str, list[str]]
    main_score: str
    score: Scorer
    query_side: str | None = None  # retrieval/reranking: the side that gets the query task/prompt
