"""CoSENT (Su 2022): rank the pairs of a batch by cosine in the order of their gold scores.

    loss = log(1 + sum over (i, j) with s_i > s_j of exp((cos_j - cos_i) / tau))

with cos_k the cosine of pair k's two texts, s_k its gold score and tau = 0.05 (v5; sentence-
transformers' scale 20). One value per batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import nn

from taskembed.train.losses.precision import full_precision


class CoSENTLoss(nn.Module):
    """``forward(first [N, d], second [N, d], scores [N])`` -> the batch's CoSENT value."""

    def __init__(self, temperature: float = 0.05) -> None:
        super().__init__()
        self.temperature = temperature

    @full_precision
    def forward(self, first: torch.Tensor, second: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """CoSENT of the batch's pairs (0 pairs ordered by score contribute nothing)."""
        cosine = F.cosine_similarity(first.float(), second.float(), dim=-1) / self.temperature
        differences = cosine[None, :] - cosine[:, None]  # [i, j] = cos_j - cos_i
        ordered = scores[:, None] > scores[None, :]  # s_i > s_j
        terms = differences[ordered]
        return torch.logsumexp(torch.cat([terms.new_zeros(1), terms]), dim=0)
