"""Training losses: each takes embeddings (and targets), never a model; wrappers compose them."""

from taskembed.train.losses.cosent import CoSENTLoss
from taskembed.train.losses.distillation import EmbeddingDistillationLoss
from taskembed.train.losses.gor import GORLoss
from taskembed.train.losses.infonce import InfoNCELoss
from taskembed.train.losses.matryoshka import MatryoshkaLoss
from taskembed.train.losses.relational import RelationalDistillationLoss

__all__ = [
    "CoSENTLoss",
    "EmbeddingDistillationLoss",
    "GORLoss",
    "InfoNCELoss",
    "MatryoshkaLoss",
    "RelationalDistillationLoss",
]
