"""JinaBERT (jina-embeddings-v2) without remote code: ALiBi attention, gated feed-forward, post-LN, 8k.

transformers has no JinaBERT, so this is ours, written from ../shared/CHECKPOINTS.md section 5:

- embeddings: word + token type 0 (no position table), then LayerNorm;
- attention: ``softmax(QK^T / sqrt(d) - m_h |i - j|)`` through SDPA with the ALiBi bias added. The
  bias is built per block of queries for the batch's own length, so memory grows linearly with the
  length (``QUERY_BLOCK`` x L per head), never 8192 x 8192 for a short batch;
- en-style layers (``mlp.gated_layers``): ``x = LN(wo(act(g[:I]) * g[I:]) + a)``, act GELU or ReLU;
- code-style layers (``mlp.up_gated_layer``): LayerNorm on q and k, then
  ``r = LN1(x + o)``, ``x = LN2(r + down(u[:I] * gelu(u[I:])))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

QUERY_BLOCK = 1024


def alibi_slopes(heads: int) -> list[float]:
    """ALiBi's head slopes: ``2^(-8k/N)`` for N a power of two, else the published interleaving."""

    def power_of_two(n: int) -> list[float]:
        return [2.0 ** (-8.0 * k / n) for k in range(1, n + 1)]

    if heads & (heads - 1) == 0:
        return power_of_two(heads)
    closest = 2 ** math.floor(math.log2(heads))
    return power_of_two(closest) + power_of_two(2 * closest)[0::2][: heads - closest]


@dataclass(frozen=True)
class JinaBertConfig:
    """The shapes and choices a JinaBERT checkpoint's config.json and tensors fix."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    feed_forward_type: str = "geglu"
    code_style: bool = False

    @classmethod
    def from_dict(cls, config: dict[str, Any], *, vocab_size: int, code_style: bool) -> JinaBertConfig:
        """From a config.json; the vocabulary size comes from the weights (it varies per language)."""
        return cls(
            vocab_size=vocab_size,
            hidden_size=int(config["hidden_size"]),
            num_hidden_layers=int(config["num_hidden_layers"]),
            num_attention_heads=int(config["num_attention_heads"]),
            intermediate_size=int(config["intermediate_size"]),
            type_vocab_size=int(config.get("type_vocab_size", 2)),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
            feed_forward_type=str(config.get("feed_forward_type", "geglu")),
            code_style=code_style,
        )


class JinaBertEmbeddings(nn.Module):
    """Word and token-type embeddings, then LayerNorm (ALiBi needs no positions)."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None) -> torch.Tensor:
        """(B, L) ids -> (B, L, H)."""
        types = token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids)
        return self.LayerNorm(self.word_embeddings(input_ids) + self.token_type_embeddings(types))


class JinaBertSelfAttention(nn.Module):
    """Multi-head attention with the ALiBi bias (and q/k LayerNorm in code-style layers)."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.heads = config.num_attention_heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        if config.code_style:
            self.layer_norm_q = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
            self.layer_norm_k = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.code_style = config.code_style

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        return x.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor, slopes: torch.Tensor) -> torch.Tensor:
        """``key_mask`` (B, 1, 1, L): 0 for real keys, -inf for padding. Returns (B, L, H)."""
        q, k = self.query(x), self.key(x)
        if self.code_style:
            q, k = self.layer_norm_q(q), self.layer_norm_k(k)
        q, k, v = self._split(q), self._split(k), self._split(self.value(x))
        length = x.shape[1]
        positions = torch.arange(length, device=x.device)
        blocks = []
        for start in range(0, length, QUERY_BLOCK):
            rows = positions[start : start + QUERY_BLOCK]
            distance = (rows[:, None] - positions[None, :]).abs().to(q.dtype)  # (b, L)
            bias = -slopes.to(q.dtype)[:, None, None] * distance  # (N, b, L)
            mask = bias.unsqueeze(0) + key_mask.to(q.dtype)  # (B, N, b, L)
            blocks.append(F.scaled_dot_product_attention(q[:, :, start : start + QUERY_BLOCK], k, v, mask))
        out = torch.cat(blocks, dim=2) if len(blocks) > 1 else blocks[0]
        return out.transpose(1, 2).reshape(x.shape)


class JinaBertAttentionOutput(nn.Module):
    """The attention's output projection and its LayerNorm."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


class JinaBertAttention(nn.Module):
    """``attention.self`` and ``attention.output``, named as the checkpoints name them."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.self = JinaBertSelfAttention(config)
        self.output = JinaBertAttentionOutput(config)


class JinaBertGatedMLP(nn.Module):
    """en-style: ``LN(wo(act(g[:I]) * g[I:]) + a)`` with ``g = gated_layers(a)``."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.inner = config.intermediate_size
        self.gated_layers = nn.Linear(config.hidden_size, 2 * self.inner, bias=False)
        self.wo = nn.Linear(self.inner, config.hidden_size)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.act = nn.ReLU() if config.feed_forward_type == "reglu" else nn.GELU()

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """(B, L, H) -> (B, L, H), residual and LayerNorm included."""
        g = self.gated_layers(a)
        return self.layernorm(self.wo(self.act(g[..., : self.inner]) * g[..., self.inner :]) + a)


class JinaBertCodeMLP(nn.Module):
    """code-style: ``down(u[:I] * gelu(u[I:]))`` with ``u = up_gated_layer(r)`` (the second half gated)."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.inner = config.intermediate_size
        self.up_gated_layer = nn.Linear(config.hidden_size, 2 * self.inner, bias=False)
        self.down_layer = nn.Linear(self.inner, config.hidden_size)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        """(B, L, H) -> (B, L, H), without the residual."""
        u = self.up_gated_layer(r)
        return self.down_layer(u[..., : self.inner] * F.gelu(u[..., self.inner :]))


class JinaBertLayer(nn.Module):
    """One post-LN encoder layer, en-style or code-style."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.attention = JinaBertAttention(config)
        self.mlp: nn.Module
        if config.code_style:
            self.layer_norm_1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
            self.layer_norm_2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
            self.mlp = JinaBertCodeMLP(config)
        else:
            self.mlp = JinaBertGatedMLP(config)
        self.code_style = config.code_style

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor, slopes: torch.Tensor) -> torch.Tensor:
        """(B, L, H) -> (B, L, H)."""
        output = self.attention.output
        attended = output.LayerNorm(output.dense(self.attention.self(x, key_mask, slopes)) + x)
        if self.code_style:
            r = self.layer_norm_1(x + attended)
            return self.layer_norm_2(r + self.mlp(r))
        return self.mlp(attended)


@dataclass
class EncoderOutput:
    """What TransformerEncoder reads from a backbone."""

    last_hidden_state: torch.Tensor


class JinaBertEncoder(nn.Module):
    """``encoder.layer.{n}``."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(JinaBertLayer(config) for _ in range(config.num_hidden_layers))


class JinaBertModel(nn.Module):
    """(input_ids, attention_mask[, token_type_ids]) -> last hidden state; tensor names as published."""

    def __init__(self, config: JinaBertConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = JinaBertEmbeddings(config)
        self.encoder = JinaBertEncoder(config)
        self.register_buffer(
            "slopes", torch.tensor(alibi_slopes(config.num_attention_heads)), persistent=False
        )

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> EncoderOutput:
        """Run every layer; padding keys are masked out of every query's attention."""
        x = self.embeddings(input_ids, token_type_ids)
        key_mask = torch.zeros(attention_mask.shape, dtype=x.dtype, device=x.device)
        key_mask = key_mask.masked_fill(attention_mask == 0, float("-inf"))[:, None, None, :]
        slopes = self.slopes
        assert isinstance(slopes, torch.Tensor)
        for layer in self.encoder.layer:
            x = layer(x, key_mask, slopes)
        return EncoderOutput(last_hidden_state=x)
