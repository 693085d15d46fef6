"""Global orthogonal regularizer (GOR, Zhang et al. 2017 as used by v5): spread embeddings apart.

    GOR = mean_{i != j} (q_i . q_j)^2 + mean_{i != j} (p_i . p_j)^2

over the L2-normalized queries q and positives p of a batch. Unrelated texts pushed towards
orthogonality use the whole space, which keeps binary (sign) quantization from merging them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import nn

from taskembed.train.losses.precision import full_precision


def mean_squared_off_diagonal(embeddings: torch.Tensor) -> torch.Tensor:
    """Mean over i != j of (e_i . e_j)^2 for normalized rows of ``embeddings``."""
    count = embeddings.shape[0]
    if count < 2:
        return embeddings.new_zeros(())
    e = F.normalize(embeddings.float(), dim=-1)
    gram = e @ e.T
    off_diagonal = gram.pow(2).sum() - gram.diagonal().pow(2).sum()
    return off_diagonal / (count * (count - 1))


class GORLoss(nn.Module):
    """``forward(queries [N, d], positives [N, d])`` -> the batch's GOR value (not summed over rows)."""

    @full_precision
    def forward(self, queries: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
        """GOR of the batch."""
        return mean_squared_off_diagonal(queries) + mean_squared_off_diagonal(positives)
