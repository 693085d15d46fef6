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
    backend: str = "torch",
    dtype: str = "fp32",
    threads: int | None = None,
    onnx_cache: str | Path | None = None,
    int8_keep_fp32: tuple[str, ...] = (),
) -> Embedder:
    """Load a model: ``"default"``/``"all-MiniLM-L6-v2"`` (bundled), a local folder, or a hub id.

    Hub ids are looked up in the local Hugging Face cache first and downloaded only when online
    (``offline=None`` follows ``HF_HUB_OFFLINE``). ``task`` pins the model to one task: its adapter is
    merged into the weights (no LoRA cost) and every call uses that task.

    ``backend``/``dtype`` choose the engine: ``torch`` with ``fp32`` (default) or ``bf16``, or ``onnx``
    (ONNX Runtime, extra ``onnx``) with ``fp32`` or ``int8``. ONNX graphs are exported on first use and
    cached under ``onnx_cache`` (default ``~/.cache/taskembed/onnx``). ``threads`` defaults to every
    available core. ``int8_keep_fp32`` names ONNX MatMul nodes (substrings) that int8 keeps in fp32.
    """
    from taskembed.models.load import load_model
    from taskembed.models.runtime import Runtime

    runtime = Runtime.create(
        backend, dtype, threads=threads, onnx_cache=onnx_cache, int8_keep_fp32=int8_keep_fp32
    )
    model = load_model(ref, cache_dir=cache_dir, offline=offline, task=task, runtime=runtime)
    return Embedder(model, batch_tokens=batch_tokens)
