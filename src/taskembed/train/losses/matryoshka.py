"""Matryoshka wrapper: a loss applied to embedding prefixes, sum over widths of weight x loss(prefix).

It slices the embedding tensors it is given (one tensor, or a dict of them such as queries and
documents); targets pass through whole. The model is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

Embeddings = torch.Tensor | dict[str, torch.Tensor]


def prefix(embeddings: Embeddings, width: int) -> Embeddings:
    """The first ``width`` components of every embedding."""
    if isinstance(embeddings, dict):
        return {role: tensor[..., :width] for role, tensor in embeddings.items()}
    return embeddings[..., :width]


def _width(embeddings: Embeddings) -> int:
    tensors = embeddings.values() if isinstance(embeddings, dict) else [embeddings]
    return min(int(tensor.shape[-1]) for tensor in tensors)


class MatryoshkaLoss(nn.Module):
    """``forward(student, *targets)`` = sum over d of ``w_d * base(student[..., :d], *targets)``."""

    def __init__(
        self, base: nn.Module, dimensions: Sequence[int], weights: Sequence[float] | None = None
    ) -> None:
        super().__init__()
        if not dimensions:
            raise ValueError("Matryoshka needs at least one dimension")
        self.base = base
        self.dimensions = tuple(int(d) for d in dimensions)
        self.weights = tuple(float(w) for w in weights) if weights is not None else (1.0,) * len(dimensions)
        if len(self.weights) != len(self.dimensions):
            raise ValueError("Matryoshka needs one weight per dimension")

    def forward(self, student: Embeddings, *targets: Any) -> torch.Tensor:
        """The weighted sum of the base loss over prefixes of ``student``."""
        width = _width(student)
        too_wide = [d for d in self.dimensions if d > width]
        if too_wide:
            raise ValueError(f"Matryoshka dimensions {too_wide} exceed the embedding width {width}")
        total = torch.zeros(())
        for dims, weight in zip(self.dimensions, self.weights, strict=True):
            total = total + weight * self.base(prefix(student, dims), *targets)
        return total
