from __future__ import annotations

import pytest
import torch

from taskembed.train.losses import EmbeddingDistillationLoss, MatryoshkaLoss


def test_distillation_is_the_sum_of_one_minus_cosine_through_the_projection() -> None:
    loss = EmbeddingDistillationLoss(2, 3)
    with torch.no_grad():
        loss.projection.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    student = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    teacher = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    # P s = (1, 0, 1) and (0, 2, 2): cosines 1 and 1/sqrt(2)
    assert loss(student, teacher).item() == pytest.approx(0.0 + (1 - 2**-0.5))


def test_a_prefix_uses_the_first_columns_of_the_projection() -> None:
    loss = EmbeddingDistillationLoss(4, 3)
    student, teacher = torch.randn(5, 4), torch.randn(5, 3)
    padded = torch.cat([student[:, :2], torch.zeros(5, 2)], dim=1)
    assert torch.allclose(loss(student[:, :2], teacher), loss(padded, teacher))


def test_identity_init_needs_equal_widths() -> None:
    assert torch.equal(EmbeddingDistillationLoss(3, 3, identity_init=True).projection.weight, torch.eye(3))
    with pytest.raises(ValueError, match="equal"):
        EmbeddingDistillationLoss(3, 4, identity_init=True)


def test_matryoshka_sums_weighted_prefix_losses() -> None:
    base = EmbeddingDistillationLoss(8, 6)
    student, teacher = torch.randn(4, 8), torch.randn(4, 6)
    wrapped = MatryoshkaLoss(base, [8, 4, 2], [1.0, 0.5, 0.25])
    expected = (
        base(student, teacher) + 0.5 * base(student[:, :4], teacher) + 0.25 * base(student[:, :2], teacher)
    )
    assert torch.allclose(wrapped(student, teacher), expected)
    with pytest.raises(ValueError, match="exceed the embedding width 8"):
        MatryoshkaLoss(base, [16])(student, teacher)


def test_gradients_reach_student_and_projection() -> None:
    loss = EmbeddingDistillationLoss(4, 3)
    student = torch.randn(5, 4, requires_grad=True)
    MatryoshkaLoss(loss, [4, 2])(student, torch.randn(5, 3)).backward()
    assert student.grad is not None and loss.projection.weight.grad is not None
    assert student.grad.abs().sum() > 0 and loss.projection.weight.grad.abs().sum() > 0
