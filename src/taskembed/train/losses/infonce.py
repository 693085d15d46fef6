"""InfoNCE (v5 stage 2): a query against its positive and every other candidate document.

For query i with positive document ``pos(i)`` among candidates D (in-batch documents plus mined hard
negatives), with cosine similarity and temperature tau:

    loss_i = -log( exp(cos(q_i, d_pos(i)) / tau) / sum_j exp(cos(q_i, d_j) / tau) )

summed over the queries. Bidirectional adds the document -> query direction: for the positive
document of query i, ``-log softmax_k(cos(d_pos(i), q_k) / tau)[i]`` over the queries k. ``exclude``
masks candidates out of a query's denominator (e.g. another row's document with the same label);
``exclude_reverse`` does the same for the reverse direction. The temperature is learned as log(tau),
starting at 0.02 (v5), and kept within [0.001, 1].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import nn

from taskembed.train.losses.precision import full_precision

MIN_TEMPERATURE, MAX_TEMPERATURE = 1e-3, 1.0


class InfoNCELoss(nn.Module):
    """``forward(queries [N, d], documents [M, d], positives [N])`` -> the summed InfoNCE of the N queries."""

    def __init__(
        self, temperature: float = 0.02, *, learnable: bool = True, bidirectional: bool = False
    ) -> None:
        super().__init__()
        log_tau = torch.tensor(math.log(temperature))
        self.log_temperature = nn.Parameter(log_tau, requires_grad=learnable)
        self.bidirectional = bidirectional

    @property
    def temperature(self) -> torch.Tensor:
        """The current temperature tau."""
        return self.log_temperature.exp().clamp(MIN_TEMPERATURE, MAX_TEMPERATURE)

    @full_precision
    def forward(
        self,
        queries: torch.Tensor,
        documents: torch.Tensor,
        positives: torch.Tensor,
        *,
        exclude: torch.Tensor | None = None,
        exclude_reverse: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Sum over queries (and, when bidirectional, over their positive documents) of the cross-entropy."""
        q = F.normalize(queries.float(), dim=-1)
        d = F.normalize(documents.float(), dim=-1)
        logits = q @ d.T / self.temperature
        if exclude is not None:
            keep_positive = F.one_hot(positives, d.shape[0]).bool()
            logits = logits.masked_fill(exclude & ~keep_positive, float("-inf"))
        loss = F.cross_entropy(logits, positives, reduction="sum")
        if self.bidirectional:
            reverse = d[positives] @ q.T / self.temperature
            if exclude_reverse is not None:
                own = torch.eye(q.shape[0], dtype=torch.bool)
                reverse = reverse.masked_fill(exclude_reverse & ~own, float("-inf"))
            loss = loss + F.cross_entropy(reverse, torch.arange(q.shape[0]), reduction="sum")
        return loss
