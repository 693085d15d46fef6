"""Computing int8/uint8 quantization ranges for a model from sample texts."""

from __future__ import annotations

from collections.abc import Iterable

from taskembed.encode.embedder import Embedder
from taskembed.encode.postprocess import truncate_normalize
from taskembed.errors import InputError
from taskembed.options import EncodeOptions
from taskembed.quantization_ranges import QuantizationRanges, calibrate


def calibrate_model(
    embedder: Embedder, texts: Iterable[str], dimensions: Iterable[int], *, task: str | None = None
) -> dict[int, QuantizationRanges]:
    """Ranges of the model's normalized outputs at each dimension count, from one encoding pass."""
    raw = embedder.embed(texts, EncodeOptions(task=task, normalized=False)).embeddings
    vectors = next(iter(raw.values()))
    result: dict[int, QuantizationRanges] = {}
    for dims in sorted(set(dimensions)):
        if not 1 <= dims <= embedder.info.dimension:
            raise InputError(f"dimensions {dims} is out of range 1..{embedder.info.dimension}")
        result[dims] = calibrate(truncate_normalize(vectors, dims))
    return result
