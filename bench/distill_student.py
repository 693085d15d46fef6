"""Experiment 1 of docs/training.md: compress all-MiniLM-L6-v2 into a 3-layer student by distillation.

    .venv/bin/python bench/distill_student.py [--skip-training]

Trains examples/distill/minilm-3-layers.toml (resumes if interrupted), then scores the teacher, the
student before training (layers 0, 2, 4 of the teacher) and after, on STSBenchmark test and SciFact
nDCG@10, with each one's tokens/s on the benchmark corpus.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import taskembed
from corpus import DATA, load_corpus
from taskembed.evaluate.data import load_beir, load_stsbenchmark
from taskembed.evaluate.retrieval import evaluate_retrieval
from taskembed.evaluate.sts import evaluate_sts
from taskembed.train import load_config, train
from taskembed.train.config import StudentConfig
from taskembed.train.student import build_student

CONFIG = Path(__file__).resolve().parents[1] / "examples" / "distill" / "minilm-3-layers.toml"
RESULTS = Path(__file__).resolve().parent / "results" / "distill_student.json"


def _tokens_per_second(model: taskembed.Embedder, texts: list[str]) -> float:
    model.encode(texts[:256])
    tokens = int(model.model.tokenizer.count_tokens(texts).clip(max=model.info.max_tokens).sum())
    start = time.perf_counter()
    model.encode(texts)
    return tokens / (time.perf_counter() - start)


def _score(name: str, model: taskembed.Embedder, texts: list[str]) -> dict[str, Any]:
    speed = _tokens_per_second(model, texts)
    stsb = evaluate_sts(model, load_stsbenchmark(DATA / "stsbenchmark" / "sts-test.csv")).main
    scifact = evaluate_retrieval(model, load_beir(DATA / "scifact"), show_progress=True).main
    row = {"model": name, "stsb": 100 * stsb, "scifact": 100 * scifact, "tokens_per_s": speed}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    """Train (unless skipped), score the three models, print a Markdown table and save JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-training", action="store_true", help="score an existing run")
    args = parser.parse_args()
    warnings.simplefilter("ignore", taskembed.InputTruncatedWarning)
    config = load_config(CONFIG)
    started = time.perf_counter()
    if not args.skip_training:
        resume = (config.output / "checkpoints").is_dir()
        train(config, resume=resume)
    minutes = (time.perf_counter() - started) / 60
    texts = load_corpus()
    before = taskembed.Embedder(build_student(StudentConfig(model="default", layers=[0, 2, 4]), seed=0))
    rows = [
        _score("teacher (6 layers)", taskembed.load("default"), texts),
        _score("student before (layers 0, 2, 4)", before, texts),
        _score("student after distillation", taskembed.load(str(config.output / "model")), texts),
    ]
    teacher = rows[0]
    print(f"\ntraining: {minutes:.1f} min\n")
    print("| model | STSBenchmark | SciFact nDCG@10 | tokens/s | speed vs teacher |")
    print("|---|---|---|---|---|")
    for row in rows:
        ratio = row["tokens_per_s"] / teacher["tokens_per_s"]
        cells = [row["model"], f"{row['stsb']:.2f}", f"{row['scifact']:.2f}", f"{row['tokens_per_s']:,.0f}"]
        print("| " + " | ".join([*cells, f"{ratio:.2f}x"]) + " |")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"training_minutes": minutes, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
