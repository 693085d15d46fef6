"""taskembed: task-targeted text embeddings on your own machine.

>>> import taskembed
>>> model = taskembed.load("default")
>>> vectors = model.encode(["a sentence", "another one"])
"""

from __future__ import annotations

from pathlib import Path

from taskembed.encode.batching import DEFAULT_BATCH_TOKENS
from taskembed.encode.embedder import Embedder, EncodeResult, InputTruncatedWarning
from taskembed.errors import InputError, InputTooLongError, ModelLoadError, TaskembedError, UnsafeModelError
from taskembed.models.info import ModelInfo
from taskembed.options import EncodeOptions
from taskembed.quantization_ranges import QuantizationRanges
from taskembed.types import EmbeddingType, Pooling

__all__ = [
    "Embedder",
    "EmbeddingType",
    "EncodeOptions",
    "EncodeResult",
    "InputError",
    "InputTooLongError",
    "InputTruncatedWarning",
    "ModelInfo",
    "ModelLoadError",
    "Pooling",
    "QuantizationRanges",
    "TaskembedError",
    "UnsafeModelError",
    "load",
]
__version__ = "0.1.0"


def load(
    ref: str | Path = "default",
    *,
    cache_dir: str | Path | None = None,
    offline: bool | None = None,
    batch_tokens: int = DEFAULT_BATCH_TOKENS,
    task: str | None = None,
) -> Embedder:
    """Load a model: ``"default"``/``"all-MiniLM-L6-v2"`` (bundled), a local folder, or a hub id.

    Hub ids are looked up in the local Hugging Face cache first and downloaded only when online
    (``offline=None`` follows ``HF_HUB_OFFLINE``). ``task`` pins the model to one task: its adapter is
    merged into the weights (no LoRA cost) and every call uses that task.
    """
    from taskembed.models.load import load_model

    model = load_model(ref, cache_dir=cache_dir, offline=offline, task=task)
    return Embedder(model, batch_tokens=batch_tokens)
