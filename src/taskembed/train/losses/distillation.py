"""Embedding distillation (v5 stage 1): sum over texts of 1 - cos(P s, t).

``s`` is the student's pooled embedding (possibly a Matryoshka prefix of width d), ``t`` the teacher's
embedding and ``P`` a learned linear projection from the student's space to the teacher's. A prefix
of width d uses the first d columns of ``P``, so every Matryoshka width shares one projection. The
projection goes student -> teacher: the other direction lets the loss collapse.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import nn

from taskembed.train.losses.precision import full_precision


class EmbeddingDistillationLoss(nn.Module):
    """``forward(student [N, d], teacher [N, T])`` -> sum over the N texts of ``1 - cos(P s, t)``."""

    def __init__(self, student_dim: int, teacher_dim: int, *, identity_init: bool = False) -> None:
        super().__init__()
        self.projection = nn.Linear(student_dim, teacher_dim, bias=False)
        if identity_init:
            if student_dim != teacher_dim:
                raise ValueError("an identity projection needs equal student and teacher widths")
            with torch.no_grad():
                self.projection.weight.copy_(torch.eye(student_dim))

    def project(self, student: torch.Tensor) -> torch.Tensor:
        """``P s`` for full embeddings or prefixes (the first ``student.shape[1]`` columns of P)."""
        return F.linear(student, self.projection.weight[:, : student.shape[1]])

    @full_precision
    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """The summed loss (divide by the batch's row count for a mean per row)."""
        projected = self.project(student)
        return (1.0 - F.cosine_similarity(projected.float(), teacher.float(), dim=-1)).sum()
