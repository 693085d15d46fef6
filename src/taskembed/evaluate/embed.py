"""Embedding texts for evaluation: float vectors under the caller's options."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from taskembed.encode.embedder import Embedder, InputTruncatedWarning
from taskembed.options import EncodeOptions
from taskembed.types import EmbeddingType


def embed_floats(
    embedder: Embedder, texts: list[str], options: EncodeOptions | None = None, show_progress: bool = False
) -> np.ndarray:
    """Float vectors of ``texts``; truncation at the model limit is on, as in MTEB."""
    chosen = replace(options or EncodeOptions(), embedding_types=(EmbeddingType.FLOAT,), many_types=False)
    with warnings.catch_warnings():  # the cut at the model limit is intended here, so no warning
        warnings.simplefilter("ignore", InputTruncatedWarning)
        return embedder.embed(texts, chosen, show_progress=show_progress).embeddings[EmbeddingType.FLOAT]
