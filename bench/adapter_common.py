"""Shared by the adapter experiments: train a config variant (resuming if interrupted) and score models."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import taskembed
from corpus import DATA
from taskembed.evaluate.cache import EmbeddingCache
from taskembed.evaluate.specs import load_spec
from taskembed.evaluate.sweep import Prompts, run_sweep
from taskembed.train import load_config, parse_config, train
from taskembed.train.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _merge(base[key], value) if both else value
    return merged


def variant_config(path: Path, name: str, overrides: dict[str, Any]) -> TrainConfig:
    """The example config with its output renamed for the variant and sections updated (validated again)."""
    config = load_config(path)
    raw = _merge(config.model_dump(), overrides)
    raw["output"] = config.output.with_name(f"{config.output.name}-{name}")
    return parse_config(raw, f"{path.name} variant {name}")


def train_variant(config: TrainConfig) -> tuple[Path, float]:
    """Train (or resume, or reuse a finished run); return the model folder and the minutes spent."""
    folder = config.output / "model"
    if folder.is_dir():
        return folder, 0.0
    start = time.perf_counter()
    resume = (config.output / "checkpoints").is_dir()
    train(config, resume=resume)
    return folder, (time.perf_counter() - start) / 60


def scores(
    model_ref: str | Path,
    tasks: Sequence[str],
    setup: Prompts,
    dimensions: Sequence[int],
    kinds: Sequence[str] = ("float",),
) -> dict[str, float]:
    """Main score x 100 per ``task@dims/kind`` through the eval harness."""
    warnings.simplefilter("ignore", taskembed.InputTruncatedWarning)
    model = taskembed.load(str(model_ref))
    specs = [load_spec(task, DATA) for task in tasks]
    rows = run_sweep(
        model, specs, dimensions, kinds, cache=EmbeddingCache(None), setups=[setup], progress=True
    )
    return {f"{row.task}@{row.dimensions}/{row.kind}": round(100 * row.main, 2) for row in rows}


def save(name: str, results: Any) -> Path:
    """Write ``bench/results/NAME.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return path
