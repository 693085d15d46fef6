"""Fixtures for the training tests: synthetic pair data, a tiny random teacher, and config builders."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

SUBJECTS = [
    "the cat",
    "a dog",
    "my neighbour",
    "the old man",
    "a child",
    "the teacher",
    "our team",
    "the bird",
]
VERBS = ["eats", "watches", "likes", "paints", "finds", "carries", "sells", "hides"]
OBJECTS = [
    "an apple",
    "the ball",
    "a red car",
    "the garden",
    "some bread",
    "a small boat",
    "the book",
    "a hat",
]
PLACES = ["at home", "in the park", "by the river", "at school", "on the hill", "in town"]


def synthetic_pairs(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """Distinct (sentence, paraphrase-like) pairs built from a small grammar."""
    rng = np.random.default_rng(seed)
    pairs: dict[str, str] = {}
    while len(pairs) < count:
        s, v, o, p = (str(rng.choice(words)) for words in (SUBJECTS, VERBS, OBJECTS, PLACES))
        first = f"{s} {v} {o} {p}"
        pairs.setdefault(first, f"{p}, {s} {v} {o}")
    return list(pairs.items())


@pytest.fixture(scope="session")
def pairs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("train-data") / "pairs.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for first, second in synthetic_pairs(160):
            handle.write(json.dumps({"anchor": first, "positive": second}) + "\n")
    return path


@pytest.fixture(scope="session")
def teacher_dir(make_st_checkpoint: Callable[..., Path]) -> Path:
    return make_st_checkpoint("mean", normalize=True)


@pytest.fixture(scope="session")
def teacher_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("teacher-cache")


ConfigFactory = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def config_paths(
    pairs_file: Path, teacher_dir: Path, tiny_bert_dir: Path, teacher_cache_dir: Path
) -> dict[str, Path]:
    return {
        "data": pairs_file,
        "teacher": teacher_dir,
        "tokenizer": tiny_bert_dir,
        "cache": teacher_cache_dir,
    }


def build_config(run_dir: Path, paths: dict[str, Path], **overrides: Any) -> dict[str, Any]:
    """A config dict for a tiny random student distilled from the tiny teacher; keywords override sections."""
    config: dict[str, Any] = {
        "output": str(run_dir),
        "seed": 3,
        "teacher": {"model": str(paths["teacher"]), "cache": str(paths["cache"])},
        "student": {
            "architecture": {
                "model_type": "bert",
                "hidden_size": 16,
                "num_hidden_layers": 2,
                "num_attention_heads": 2,
                "intermediate_size": 32,
                "max_position_embeddings": 64,
                "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.0,
            },
            "tokenizer": str(paths["tokenizer"]),
        },
        "data": [{"path": str(paths["data"]), "fields": ["anchor", "positive"]}],
        "train": {
            "batch_size": 8,
            "steps": 12,
            "learning_rate": 1e-3,
            "warmup_ratio": 0.1,
            "log_every": 1,
            "checkpoint_every": 4,
        },
        "calibration_texts": 50,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


@pytest.fixture
def make_config(tmp_path: Path, config_paths: dict[str, Path]) -> ConfigFactory:
    def make(**overrides: Any) -> dict[str, Any]:
        return build_config(tmp_path / "run", config_paths, **overrides)

    return make


def losses(run: Path) -> list[tuple[int, float]]:
    """(step, loss) of every training log line of a run."""
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [(line["step"], line["loss"]) for line in lines if "loss" in line]
