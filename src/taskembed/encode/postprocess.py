"""After pooling, as pure functions on arrays: Matryoshka truncation, normalization, output types."""

from __future__ import annotations

import base64
from collections.abc import Callable

import numpy as np

from taskembed.errors import InputError
from taskembed.quantization_ranges import QuantizationRanges
from taskembed.types import EmbeddingType

Encoder = Callable[[np.ndarray, QuantizationRanges | None], np.ndarray]


def truncate_dimensions(embeddings: np.ndarray, dimensions: int) -> np.ndarray:
    """Keep the first ``dimensions`` values of every row (Matryoshka truncation)."""
    return embeddings[:, :dimensions]


def l2_normalize(embeddings: np.ndarray) -> np.ndarray:
    """Scale every row to unit length (rows of zeros stay zero)."""
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings / np.maximum(norms, 1e-12)


def truncate_normalize(embeddings: np.ndarray, dimensions: int) -> np.ndarray:
    """Matryoshka truncation, then L2 normalization: the pipeline's float output."""
    return l2_normalize(truncate_dimensions(embeddings, dimensions))


def to_float(embeddings: np.ndarray, _: QuantizationRanges | None = None) -> np.ndarray:
    """float32 values."""
    return np.ascontiguousarray(embeddings, dtype=np.float32)


def to_base64(embeddings: np.ndarray, _: QuantizationRanges | None = None) -> np.ndarray:
    """One base64 string per row of its little-endian float32 bytes."""
    rows = np.ascontiguousarray(embeddings, dtype="<f4")
    return np.array([base64.b64encode(row.tobytes()).decode("ascii") for row in rows], dtype=str)


def to_ubinary(embeddings: np.ndarray, _: QuantizationRanges | None = None) -> np.ndarray:
    """Sign bits (value > 0 -> 1), packed 8 per byte, most significant bit first, as uint8."""
    return np.packbits(embeddings > 0, axis=-1)


def to_binary(embeddings: np.ndarray, _: QuantizationRanges | None = None) -> np.ndarray:
    """The packed sign bits as int8: ``packbits - 128`` (sentence-transformers' convention)."""
    return (to_ubinary(embeddings).astype(np.int16) - 128).astype(np.int8)


def _quantize_steps(embeddings: np.ndarray, ranges: QuantizationRanges | None) -> np.ndarray:
    if ranges is None:
        raise InputError(
            f"int8/uint8 output needs quantization ranges for dimensions={embeddings.shape[1]}: pass ranges "
            "(shape (2, dimensions)), or calibrate the model with `taskembed calibrate MODEL TEXTS`"
        )
    if ranges.dimensions != embeddings.shape[1]:
        raise InputError(
            f"quantization ranges cover {ranges.dimensions} dimensions "
            f"but the output has {embeddings.shape[1]}"
        )
    step = (ranges.maximum - ranges.minimum) / 255.0
    return np.clip(np.rint((embeddings - ranges.minimum) / step), 0, 255)


def to_uint8(embeddings: np.ndarray, ranges: QuantizationRanges | None) -> np.ndarray:
    """Scalar quantization to 0..255 over per-dimension ranges (values outside are clipped)."""
    return _quantize_steps(embeddings, ranges).astype(np.uint8)


def to_int8(embeddings: np.ndarray, ranges: QuantizationRanges | None) -> np.ndarray:
    """Scalar quantization to -128..127 over per-dimension ranges (values outside are clipped)."""
    return (_quantize_steps(embeddings, ranges) - 128).astype(np.int8)


def dequantize(codes: np.ndarray, ranges: QuantizationRanges) -> np.ndarray:
    """Approximate float values of int8 or uint8 codes."""
    steps = codes.astype(np.float32) + (128.0 if codes.dtype == np.int8 else 0.0)
    return ranges.minimum + steps * (ranges.maximum - ranges.minimum) / 255.0


ENCODERS: dict[EmbeddingType, Encoder] = {
    EmbeddingType.FLOAT: to_float,
    EmbeddingType.BASE64: to_base64,
    EmbeddingType.BINARY: to_binary,
    EmbeddingType.UBINARY: to_ubinary,
    EmbeddingType.INT8: to_int8,
    EmbeddingType.UINT8: to_uint8,
}


def finish(
    pooled: np.ndarray,
    *,
    dimensions: int,
    normalized: bool,
    types: tuple[EmbeddingType, ...],
    ranges: QuantizationRanges | None = None,
) -> dict[EmbeddingType, np.ndarray]:
    """Truncate, then normalize, then encode into each requested output type."""
    vectors = (
        truncate_normalize(pooled, dimensions) if normalized else truncate_dimensions(pooled, dimensions)
    )
    return {kind: ENCODERS[kind](vectors, ranges) for kind in types}
