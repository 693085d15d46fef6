"""Late chunking (arXiv 2409.04701): embed a document once with full context, pool each chunk's tokens.

The chunks of one document are tokenized piece by piece and joined into one sequence, so each chunk's
token span is exact. A sequence longer than the model window L runs as overlapping *macro windows*:
window k covers tokens [k(L-w), k(L-w)+L); every window after the first drops its first w outputs,
which the previous window already produced with more left context. Each token output is kept exactly
once. A chunk's vector is the mean of its token outputs, whatever the model's normal pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from taskembed.errors import InputError
from taskembed.models.loaded import LoadedModel


@dataclass(frozen=True)
class Window:
    """One macro window: tokens [start, end) run together; outputs from ``keep`` on are used."""

    start: int
    end: int
    keep: int


def default_overlap(window: int) -> int:
    """W = L / 8 tokens of left context for every window after the first."""
    return window // 8


def macro_windows(length: int, window: int, overlap: int) -> list[Window]:
    """Windows of at most ``window`` tokens, stride ``window - overlap``, that cover ``length`` tokens."""
    if not 0 <= overlap < window:
        raise InputError(
            f"window_overlap must be in [0, {window}) for a {window}-token window, got {overlap}"
        )
    windows = [Window(0, min(window, length), 0)]
    while windows[-1].end < length:
        start = windows[-1].start + window - overlap
        windows.append(Window(start, min(start + window, length), overlap))
    return windows


def token_states(
    model: LoadedModel, ids: np.ndarray, adapter: int, window: int, overlap: int
) -> torch.Tensor:
    """Last hidden state of every token of ``ids`` (length x H), window by window."""
    parts = []
    task_ids = torch.tensor([adapter]) if adapter >= 0 else None
    for w in macro_windows(len(ids), window, overlap):
        chunk = torch.from_numpy(ids[w.start : w.end]).unsqueeze(0)
        states = model.backbone(chunk, torch.ones_like(chunk), task_ids)
        parts.append(states[0, w.keep :])
    return torch.cat(parts)


def pool_spans(model: LoadedModel, states: torch.Tensor, spans: list[tuple[int, int]]) -> np.ndarray:
    """Mean of each span's token states, through the model's heads (Dense), as float32."""
    for index, (start, end) in enumerate(spans):
        if end <= start:
            raise InputError(f"input {index} has no tokens; late chunking needs text in every chunk")
    pooled = torch.stack([states[start:end].mean(dim=0) for start, end in spans])
    for head in model.heads:
        pooled = head(pooled)
    return pooled.float().numpy()
