"""Training losses: each takes embeddings (and targets), never a model; wrappers compose them."""

from taskembed.train.losses.distillation import EmbeddingDistillationLoss
from taskembed.train.losses.matryoshka import MatryoshkaLoss

__all__ = ["EmbeddingDistillationLoss", "MatryoshkaLoss"]
