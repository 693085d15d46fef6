"""The forward pass: padded batches through backbone, pooling and heads, under inference mode."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from taskembed.encode.batching import TokenBatch, pad_batch, plan_batches
from taskembed.encode.pooling import mask_prompt, pool
from taskembed.encode.tokenize import Tokenized
from taskembed.models.loaded import LoadedModel


def embed_batch(
    model: LoadedModel,
    batch: TokenBatch,
    prompt_lengths: np.ndarray | None = None,
    adapters: np.ndarray | None = None,
) -> torch.Tensor:
    """Pooled (and head-projected) embeddings of one padded batch, before normalization.

    ``prompt_lengths`` (one per row) leave prompt tokens out of pooling when the model says so;
    ``adapters`` (one per row, -1 = base weights) choose each row's task adapter.
    """
    if adapters is not None and bool((adapters >= 0).any()):
        task_ids = torch.from_numpy(np.ascontiguousarray(adapters, dtype=np.int64))
        tokens = model.backbone(batch.input_ids, batch.attention_mask, task_ids)
    else:
        tokens = model.backbone(batch.input_ids, batch.attention_mask)
    mask = batch.attention_mask
    if prompt_lengths is not None and not model.include_prompt and prompt_lengths.any():
        mask = mask_prompt(mask, torch.from_numpy(prompt_lengths))
    pooled = pool(tokens, mask, model.pooling)
    for head in model.heads:
        pooled = head(pooled)
    return pooled


def embed_tokenized(
    model: LoadedModel,
    tokenized: Tokenized,
    *,
    batch_tokens: int,
    prompt_length: int = 0,
    adapter: int = -1,
    progress: bool = False,
    on_rows: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embed every tokenized text, in length-sorted batches; rows come back in input order.

    ``adapter`` is the task adapter of every row (-1: base weights); ``progress`` shows a token-rate
    bar; ``on_rows`` is called with the row count of every finished batch.
    """
    lengths = tokenized.lengths
    output = np.zeros((lengths.size, model.info.dimension), dtype=np.float32)
    with (
        torch.inference_mode(),
        tqdm(
            total=int(lengths.sum()), disable=not progress, unit="tok", unit_scale=True, desc="encode"
        ) as bar,
    ):
        for indices in plan_batches(lengths, batch_tokens):
            batch = pad_batch([tokenized.ids[i] for i in indices], model.tokenizer.pad_id)
            lengths_of_rows = np.full(len(indices), prompt_length, dtype=np.int64)
            adapters = np.full(len(indices), adapter, dtype=np.int64)
            output[indices] = embed_batch(model, batch, lengths_of_rows, adapters).float().numpy()
            bar.update(batch.real_tokens)
            if on_rows is not None:
                on_rows(len(indices))
    return output


def forward_rows(
    model: LoadedModel, rows: list[np.ndarray], prompt_lengths: np.ndarray, adapters: np.ndarray | None = None
) -> np.ndarray:
    """Pooled embeddings (float32, before normalization) of token rows from any mix of requests and tasks."""
    batch = pad_batch(rows, model.tokenizer.pad_id)
    with torch.inference_mode():
        return embed_batch(model, batch, prompt_lengths, adapters).float().numpy()
