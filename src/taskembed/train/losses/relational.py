"""Relational knowledge distillation (Park et al. 2019, distance-wise) against the base model.

With D_ij = ||e_i - e_j|| over pairs i < j of the adapter's embeddings and B_ij the same for the base
model's (frozen, no adapter), each divided by its mean over the pairs:

    RKD = mean over i < j of huber(D_ij / mean(D) - B_ij / mean(B))

(Huber with delta 1, as in the paper). The adapter may move the space, but not its shape.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import nn

from taskembed.train.losses.precision import full_precision


def normalized_distances(embeddings: torch.Tensor) -> torch.Tensor:
    """Pairwise Euclidean distances (i < j) divided by their mean."""
    count = embeddings.shape[0]
    rows, cols = torch.triu_indices(count, count, offset=1)
    e = embeddings.float()
    distances = (e[rows] - e[cols]).norm(dim=-1)
    return distances / distances.mean().clamp_min(1e-12)


class RelationalDistillationLoss(nn.Module):
    """``forward(adapted [N, d], base [N, d'])`` -> the batch's distance-wise RKD value."""

    @full_precision
    def forward(self, adapted: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        """RKD of the batch (0 for fewer than two rows)."""
        if adapted.shape[0] < 2:
            return adapted.new_zeros(())
        target = normalized_distances(base.detach())
        return F.smooth_l1_loss(normalized_distances(adapted), target, beta=1.0)
