from __future__ import annotations

import math

import pytest
import torch

from taskembed.train.losses import (
    CoSENTLoss,
    EmbeddingDistillationLoss,
    GORLoss,
    InfoNCELoss,
    MatryoshkaLoss,
    RelationalDistillationLoss,
)


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


SQRT_HALF = 2**-0.5


def test_infonce_matches_the_hand_computed_cross_entropy() -> None:
    loss = InfoNCELoss(0.5, learnable=False)
    queries = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    documents = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # cosines of each query with the documents: (1, 0, 1/sqrt 2) and (0, 1, 1/sqrt 2); tau 0.5
    one = -2.0 + math.log(math.exp(2.0) + 1.0 + math.exp(2 * SQRT_HALF))
    assert loss(queries, documents, torch.tensor([0, 1])).item() == pytest.approx(2 * one, rel=1e-6)
    # leaving document 2 out of query 0's denominator
    exclude = torch.tensor([[False, False, True], [False, False, False]])
    without = -2.0 + math.log(math.exp(2.0) + 1.0)
    assert loss(queries, documents, torch.tensor([0, 1]), exclude=exclude).item() == pytest.approx(
        without + one, rel=1e-6
    )


def test_bidirectional_infonce_adds_the_document_to_query_direction() -> None:
    forward_only = InfoNCELoss(0.5, learnable=False)
    both = InfoNCELoss(0.5, learnable=False, bidirectional=True)
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    documents = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    positives = torch.tensor([0, 1])
    reverse = 2 * (-2.0 + math.log(math.exp(2.0) + 1.0))  # each positive against the two queries
    assert (both(queries, documents, positives) - forward_only(queries, documents, positives)).item() == (
        pytest.approx(reverse, rel=1e-6)
    )


def test_infonce_temperature_is_learned_from_0_02() -> None:
    loss = InfoNCELoss()
    assert loss.temperature.item() == pytest.approx(0.02)
    value = loss(torch.randn(4, 8), torch.randn(6, 8), torch.tensor([0, 1, 2, 3]))
    value.backward()
    assert loss.log_temperature.grad is not None and loss.log_temperature.grad.abs() > 0


def test_gor_is_the_mean_squared_dot_product_of_distinct_pairs() -> None:
    queries = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])  # squared cosines 0, 1/2, 1/2
    positives = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 1.0]])  # squared cosines 1, 0, 0
    assert GORLoss()(queries, positives).item() == pytest.approx(1 / 3 + 1 / 3, rel=1e-6)


def test_cosent_ranks_pairs_by_gold_score() -> None:
    first = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    second = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # cosines 1, 0, 1/sqrt 2
    scores = torch.tensor([5.0, 1.0, 3.0])
    # ordered pairs (i, j) with s_i > s_j: (0, 1), (0, 2), (2, 1); terms (cos_j - cos_i) / 0.05
    terms = [(0 - 1) * 20, (SQRT_HALF - 1) * 20, (0 - SQRT_HALF) * 20]
    expected = math.log(1 + sum(math.exp(t) for t in terms))
    assert CoSENTLoss(0.05)(first, second, scores).item() == pytest.approx(expected, rel=1e-5)
    # the same cosines in the wrong order cost more
    assert CoSENTLoss(0.05)(first, second, torch.tensor([1.0, 5.0, 3.0])).item() > expected + 1


def test_relational_distillation_compares_mean_normalized_distances() -> None:
    adapted = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])  # distances 1, 2, sqrt 5
    base = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])  # distances 2, 2, sqrt 8
    a = [1.0, 2.0, math.sqrt(5)]
    b = [2.0, 2.0, math.sqrt(8)]
    differences = [x / (sum(a) / 3) - y / (sum(b) / 3) for x, y in zip(a, b, strict=True)]
    expected = sum(0.5 * d * d for d in differences) / 3  # Huber with delta 1: all |d| < 1
    assert RelationalDistillationLoss()(adapted, base).item() == pytest.approx(expected, rel=1e-6)
    assert RelationalDistillationLoss()(2 * base, base).item() == pytest.approx(0.0, abs=1e-7)  # scale-free


def test_matryoshka_slices_every_embedding_of_a_dict() -> None:
    seen: list[tuple[int, int]] = []

    class Widths(torch.nn.Module):
        def forward(self, embeddings: dict[str, torch.Tensor], target: torch.Tensor) -> torch.Tensor:
            seen.append((embeddings["first"].shape[1], embeddings["documents"].shape[1]))
            return embeddings["first"].sum() * 0 + target.shape[1]

    total = MatryoshkaLoss(Widths(), [2, 4], [1.0, 0.5])(
        {"first": torch.ones(3, 4), "documents": torch.ones(5, 4)}, torch.ones(3, 7)
    )
    assert seen == [(2, 2), (4, 4)] and total.item() == pytest.approx(7 * 1.5)
