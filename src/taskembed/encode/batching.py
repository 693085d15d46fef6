"""Length-sorted batches under a token budget, and padding them into tensors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

# Best of 512..8192 on a 2-core AVX2 CPU (bench/throughput.py): activations stay in cache.
DEFAULT_BATCH_TOKENS = 2048


def plan_batches(lengths: np.ndarray, budget: int) -> list[np.ndarray]:
    """Group input indices into batches whose padded size (rows x longest) stays within ``budget``.

    Inputs are sorted by token count (longest first), so a batch pads almost nothing. An input longer
    than the budget gets a batch of its own.
    """
    order = np.argsort(-lengths, kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < order.size:
        longest = int(lengths[order[start]])
        rows = max(1, budget // max(longest, 1))
        batches.append(order[start : start + rows])
        start += rows
    return batches


@dataclass(frozen=True)
class TokenBatch:
    """Padded model inputs for one batch (right padding)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor

    @property
    def real_tokens(self) -> int:
        """Number of non-padding tokens."""
        return int(self.attention_mask.sum())


def pad_batch(rows: list[np.ndarray], pad_id: int) -> TokenBatch:
    """Right-pad token id rows to the longest one."""
    longest = max(len(row) for row in rows)
    input_ids = np.full((len(rows), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), longest), dtype=np.int64)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return TokenBatch(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask))
