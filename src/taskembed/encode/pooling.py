"""Pooling strategies: token embeddings (B, L, H) and a mask (B, L) -> sentence embeddings (B, H).

Each function matches sentence-transformers' Pooling module for the same mode.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from taskembed.types import Pooling

PoolingFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _float_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.unsqueeze(-1).to(like.dtype)


def pool_mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the tokens the mask keeps."""
    weights = _float_mask(mask, tokens)
    return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def pool_mean_sqrt_len(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum over kept tokens divided by the square root of their count."""
    weights = _float_mask(mask, tokens)
    return (tokens * weights).sum(dim=1) / torch.sqrt(weights.sum(dim=1).clamp(min=1e-9))


def pool_cls(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The first kept token (the CLS token for right-padded encoders)."""
    first = mask.to(torch.int32).argmax(dim=1)
    return tokens[torch.arange(tokens.shape[0]), first]


def pool_last_token(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The last kept token; correct for right and left padding."""
    positions = torch.arange(mask.shape[1], device=mask.device).unsqueeze(0)
    last = (positions * (mask > 0)).argmax(dim=1)
    return tokens[torch.arange(tokens.shape[0]), last]


def pool_max(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Element-wise maximum over kept tokens."""
    return tokens.masked_fill(mask.unsqueeze(-1) == 0, float("-inf")).max(dim=1).values


def pool_weighted_mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean weighted by position (1, 2, ... from the first non-padding token)."""
    positions = torch.arange(1, tokens.shape[1] + 1, dtype=tokens.dtype, device=tokens.device).view(1, -1, 1)
    offset = mask.to(torch.int32).argmax(dim=1).view(-1, 1, 1).to(tokens.dtype)
    weights = _float_mask(mask, tokens) * (positions - offset)
    return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


POOLING_FUNCTIONS: dict[Pooling, PoolingFn] = {
    Pooling.MEAN: pool_mean,
    Pooling.MEAN_SQRT_LEN: pool_mean_sqrt_len,
    Pooling.CLS: pool_cls,
    Pooling.LAST_TOKEN: pool_last_token,
    Pooling.MAX: pool_max,
    Pooling.WEIGHTED_MEAN: pool_weighted_mean,
}


def pool(tokens: torch.Tensor, mask: torch.Tensor, modes: tuple[Pooling, ...]) -> torch.Tensor:
    """Apply each pooling mode and concatenate the results (as sentence-transformers does)."""
    return torch.cat([POOLING_FUNCTIONS[mode](tokens, mask) for mode in modes], dim=-1)


def mask_prompt(mask: torch.Tensor, prompt_lengths: torch.Tensor) -> torch.Tensor:
    """A copy of a right-padded mask without each row's first ``prompt_lengths[row]`` positions."""
    positions = torch.arange(mask.shape[1], device=mask.device).unsqueeze(0)
    return mask * (positions >= prompt_lengths.to(mask.device).unsqueeze(1))
