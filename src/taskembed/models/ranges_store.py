"""Where int8/uint8 quantization ranges live: beside the weights, or shipped for bundled models."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from taskembed.quantization_ranges import RANGES_FILE, QuantizationRanges, load_ranges_file


def packaged_ranges_path(model_name: str) -> Path:
    """Path of the ranges file taskembed ships for a model it bundles."""
    return Path(str(importlib.resources.files("taskembed.models") / "calibration" / f"{model_name}.json"))


def find_ranges(folder: Path, model_name: str) -> dict[int, QuantizationRanges]:
    """Ranges keyed by dimension count: the model folder's file first, else a packaged one, else none."""
    for candidate in (folder / RANGES_FILE, packaged_ranges_path(model_name)):
        if candidate.is_file():
            return load_ranges_file(candidate)
    return {}
