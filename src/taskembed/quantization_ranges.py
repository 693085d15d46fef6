"""Per-dimension value ranges for int8/uint8 scalar quantization, and where they come from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from taskembed.errors import InputError

RANGES_FILE = "quantization_ranges.json"


@dataclass(frozen=True, eq=False)
class QuantizationRanges:
    """Lowest and highest expected value of every output dimension (after truncate and normalize).

    A ranges file maps a dimension count to its ranges, because a truncated, re-normalized vector
    has other value ranges than the full one.
    """

    minimum: np.ndarray
    maximum: np.ndarray

    @classmethod
    def from_array(cls, ranges: np.ndarray | list[list[float]]) -> QuantizationRanges:
        """Build from an array of shape (2, D): row 0 the minima, row 1 the maxima."""
        array = np.asarray(ranges, dtype=np.float32)
        if array.ndim != 2 or array.shape[0] != 2:
            raise InputError(f"quantization ranges must have shape (2, dimensions), got {array.shape}")
        if not np.all(array[1] > array[0]):
            raise InputError("quantization ranges need maximum > minimum in every dimension")
        return cls(minimum=array[0].copy(), maximum=array[1].copy())

    @property
    def dimensions(self) -> int:
        """The number of dimensions these ranges cover."""
        return int(self.minimum.shape[0])

    def to_json(self) -> dict[str, list[float]]:
        """Return a JSON-ready dict with ``min`` and ``max`` lists."""
        return {"min": self.minimum.tolist(), "max": self.maximum.tolist()}


def calibrate(embeddings: np.ndarray) -> QuantizationRanges:
    """Ranges from calibration embeddings: per-dimension min and max, as sentence-transformers does."""
    if embeddings.ndim != 2 or embeddings.shape[0] < 2:
        raise InputError("calibration needs at least two embeddings")
    return QuantizationRanges.from_array(np.stack([embeddings.min(axis=0), embeddings.max(axis=0)]))


def load_ranges_file(path: Path) -> dict[int, QuantizationRanges]:
    """Read a ranges file: ``{"ranges": {"384": {"min": [...], "max": [...]}, ...}}``."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        entries = payload["ranges"]
        return {int(dim): QuantizationRanges.from_array([e["min"], e["max"]]) for dim, e in entries.items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"cannot read quantization ranges from {path}: {error}") from error


def save_ranges_file(path: Path, ranges: dict[int, QuantizationRanges], source: str) -> None:
    """Write ranges for several dimension counts to one JSON file (atomically)."""
    payload = {"source": source, "ranges": {str(dim): r.to_json() for dim, r in sorted(ranges.items())}}
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    tmp.replace(path)
