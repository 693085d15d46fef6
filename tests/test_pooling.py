"""Pooling functions on known token embeddings (exact numbers)."""

from __future__ import annotations

import torch

from taskembed.encode.pooling import pool, pool_cls, pool_last_token, pool_max, pool_mean, pool_weighted_mean
from taskembed.types import Pooling

TOKENS = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 6.0], [7.0, 8.0], [9.0, 0.0]]])
RIGHT = torch.tensor([[1, 1, 0], [1, 1, 1]])
LEFT = torch.tensor([[0, 1, 1], [1, 1, 1]])


def test_mean_ignores_padding():
    assert torch.allclose(pool_mean(TOKENS, RIGHT), torch.tensor([[2.0, 3.0], [7.0, 14 / 3]]))


def test_cls_and_last_token_with_right_and_left_padding():
    assert pool_cls(TOKENS, RIGHT).tolist() == [[1.0, 2.0], [5.0, 6.0]]
    assert pool_last_token(TOKENS, RIGHT).tolist() == [[3.0, 4.0], [9.0, 0.0]]
    assert pool_cls(TOKENS, LEFT).tolist() == [[3.0, 4.0], [5.0, 6.0]]
    assert pool_last_token(TOKENS, LEFT).tolist() == [[100.0, 100.0], [9.0, 0.0]]


def test_max_and_weighted_mean():
    assert pool_max(TOKENS, RIGHT).tolist() == [[3.0, 4.0], [9.0, 8.0]]
    # weights 1, 2 for row 0; 1, 2, 3 for row 1
    expected = [[(1 + 6) / 3, (2 + 8) / 3], [(5 + 14 + 27) / 6, (6 + 16) / 6]]
    assert torch.allclose(pool_weighted_mean(TOKENS, RIGHT), torch.tensor(expected))


def test_several_modes_concatenate_in_order():
    assert pool(TOKENS, RIGHT, (Pooling.CLS, Pooling.MEAN)).tolist()[0] == [1.0, 2.0, 2.0, 3.0]
