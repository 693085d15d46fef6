"""Small shared vocabulary: str-Enums for strategies and output types."""

from __future__ import annotations

from enum import StrEnum


class Pooling(StrEnum):
    """How token embeddings become one sentence embedding."""

    MEAN = "mean"
    CLS = "cls"
    MAX = "max"
    LAST_TOKEN = "lasttoken"
    WEIGHTED_MEAN = "weightedmean"
    MEAN_SQRT_LEN = "mean_sqrt_len_tokens"


class EmbeddingType(StrEnum):
    """Output encodings of an embedding (names as in Jina's API)."""

    FLOAT = "float"
    BASE64 = "base64"
    BINARY = "binary"
    UBINARY = "ubinary"
    INT8 = "int8"
    UINT8 = "uint8"


def valid_values(enum: type[StrEnum]) -> str:
    """Return the enum's values as a readable, comma-separated list."""
    return ", ".join(member.value for member in enum)
