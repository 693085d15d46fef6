"""Experiment 2 of docs/training.md (exploratory): cross-lingual distillation of the bundled model.

    .venv/bin/python bench/distill_crosslingual.py [--steps 400] [--only NAME ...]

Each translation in ../shared/data/stsb-multi-mt train (de, es, fr, it, nl, pl, pt, ru, zh; rows are
parallel to English) learns the teacher's embedding of its English source; the teacher is the bundled
all-MiniLM-L6-v2, the student starts as the same model. Every variant is trained and then scored on
STSBenchmarkMultilingualSTS test en/de/es/fr/zh. Runs live in runs/xling-*; a finished variant is
only re-scored.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import warnings
from pathlib import Path
from typing import Any

import taskembed
from corpus import DATA
from taskembed.evaluate.data import load_sts_csv
from taskembed.evaluate.sts import evaluate_sts
from taskembed.train import parse_config, train

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs"
RESULTS = Path(__file__).resolve().parent / "results" / "distill_crosslingual.json"
LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh")
SCORED = ("en", "de", "es", "fr", "zh")


def _rows(language: str) -> list[list[str]]:
    with (DATA / "stsb-multi-mt" / f"stsb-{language}-train.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_data() -> dict[str, Path]:
    """translations.jsonl (text = a translation, english = its source) and english.jsonl (anchors)."""
    folder = RUNS / "xling-data"
    folder.mkdir(parents=True, exist_ok=True)
    english = _rows("en")
    paths = {"translations": folder / "translations.jsonl", "english": folder / "english.jsonl"}
    with paths["translations"].open("w", encoding="utf-8") as handle:
        for language in LANGUAGES:
            for row, source in zip(_rows(language), english, strict=True):
                for side in (0, 1):
                    record = {"text": row[side], "english": source[side], "language": language}
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with paths["english"].open("w", encoding="utf-8") as handle:
        for source in english:
            for side in (0, 1):
                handle.write(json.dumps({"text": source[side], "english": source[side]}) + "\n")
    return paths


VARIANTS: dict[str, dict[str, Any]] = {
    "cos-5e-5": {"learning_rate": 5e-5},
    "cos-2e-5-anchors": {"learning_rate": 2e-5, "anchors": 1.0},
    "cos-2e-5-anchors-frozen-embeddings": {"learning_rate": 2e-5, "anchors": 1.0, "freeze": ["embeddings."]},
    "cos-1e-4-embeddings-only": {
        "learning_rate": 1e-4,
        "anchors": 1.0,
        "freeze": [f"encoder.layer.{i}." for i in range(6)],
    },
}


def config_for(name: str, variant: dict[str, Any], paths: dict[str, Path], steps: int) -> dict[str, Any]:
    """A training config dict for one variant."""
    data = [
        {
            "name": "translations",
            "path": str(paths["translations"]),
            "fields": ["text"],
            "targets": ["english"],
            "weight": 9.0,
        },
    ]
    if variant.get("anchors"):
        data.append(
            {
                "name": "english",
                "path": str(paths["english"]),
                "fields": ["text"],
                "targets": ["english"],
                "weight": variant["anchors"],
            }
        )
    return {
        "output": str(RUNS / f"xling-{name}"),
        "seed": 0,
        "teacher": {"model": "default"},
        "student": {"model": "default", "freeze": variant.get("freeze", [])},
        "data": data,
        "train": {
            "batch_size": 64,
            "steps": steps,
            "learning_rate": variant["learning_rate"],
            "warmup_ratio": 0.1,
            "log_every": 20,
            "checkpoint_every": 100,
        },
    }


def score(model: taskembed.Embedder) -> dict[str, float]:
    """STSBenchmarkMultilingualSTS test, x 100, per language."""
    return {
        language: 100
        * evaluate_sts(model, load_sts_csv(DATA / "stsb-multi-mt" / f"stsb-{language}-test.csv")).main
        for language in SCORED
    }


def main() -> None:
    """Train and score every variant (or those named with --only); print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore", taskembed.InputTruncatedWarning)
    paths = write_data()
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if "before (the bundled model)" not in results:
        results["before (the bundled model)"] = {"steps": 0, **score(taskembed.load("default"))}
    for name, variant in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        config = parse_config(config_for(name, variant, paths, args.steps))
        started = time.perf_counter()
        if not (config.output / "model").is_dir():
            train(config, resume=(config.output / "checkpoints").is_dir())
        scores = score(taskembed.load(str(config.output / "model")))
        results[name] = {"steps": args.steps, "minutes": (time.perf_counter() - started) / 60, **scores}
        print(json.dumps({name: results[name]}), flush=True)
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2))
    print("| variant | " + " | ".join(SCORED) + " |")
    print("|---|" + "---|" * len(SCORED))
    for name, row in results.items():
        print(f"| {name} | " + " | ".join(f"{row[lang]:.2f}" for lang in SCORED) + " |")


if __name__ == "__main__":
    main()
