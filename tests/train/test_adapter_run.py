"""Stage 2 end to end: every task recipe trains a LoRA adapter, saves, loads, serves."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file
from tests.server.live import LiveServer
from tests.train.conftest import OBJECTS, build_config, losses, synthetic_pairs

import taskembed
from taskembed.server.app import create_app
from taskembed.server.config import ModelSpec, ServerConfig
from taskembed.train import parse_config, train
from taskembed.train.checkpoint import latest_checkpoint


@pytest.fixture(scope="module")
def stage1(tmp_path_factory: pytest.TempPathFactory, config_paths) -> Path:
    """A tiny stage-1 model (16 dims, with a 16 -> teacher projection) to train adapters on."""
    config = build_config(
        tmp_path_factory.mktemp("stage1") / "run", config_paths, distill={"dimensions": [8, 16]}
    )
    return train(parse_config(config))


@pytest.fixture(scope="module")
def task_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("task-data")
    pairs = synthetic_pairs(160, seed=5)
    retrieval = folder / "retrieval.jsonl"
    with retrieval.open("w", encoding="utf-8") as handle:
        for i, (query, positive) in enumerate(pairs):
            negatives = [pairs[(i + k) % len(pairs)][1] for k in (1, 2)]
            handle.write(json.dumps({"query": query, "positive": positive, "negatives": negatives}) + "\n")
    scored = folder / "scored.csv"
    with scored.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "score"])
        for i, (first, second) in enumerate(pairs):
            writer.writerow(
                [first, second if i % 2 else pairs[(i + 7) % len(pairs)][1], 5.0 if i % 2 else 1.0]
            )
    texts = folder / "texts.jsonl"
    with texts.open("w", encoding="utf-8") as handle:
        for first, _ in pairs:
            handle.write(json.dumps({"text": first, "label": next(o for o in OBJECTS if o in first)}) + "\n")
    return {"retrieval": retrieval, "scored": scored, "texts": texts}


RECIPES = {
    "retrieval": {"fields": ["query", "positive", "negatives"]},
    "text-matching": {"path": "scored", "fields": ["a", "b"], "score": "score"},
    "clustering": {"path": "texts", "fields": ["text"]},
    "classification": {"path": "texts", "fields": ["text"], "label": "label"},
}


def adapter_config(run: Path, base: Path, task: str, config_paths, task_data, **overrides) -> dict:
    source = dict(RECIPES[task])
    source["path"] = str(task_data.get(source.get("path", task), ""))
    config = build_config(run, config_paths, stage="adapter", data=[source])
    config["student"] = {"model": str(base)}
    config["adapter"] = {"task": task, "rank": 4, "alpha": 8, "dropout": 0.0}
    config["train"] = {**config["train"], "steps": 6, "learning_rate": 5e-3, "checkpoint_every": 3}
    for key, value in overrides.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


@pytest.fixture(scope="module")
def all_adapters(stage1: Path, tmp_path_factory: pytest.TempPathFactory, config_paths, task_data) -> Path:
    """Each recipe in turn, each run starting from the previous run's model: one model with four adapters."""
    base = stage1
    for task in RECIPES:
        run = tmp_path_factory.mktemp(task) / "run"
        base = train(parse_config(adapter_config(run, base, task, config_paths, task_data)))
        curve = [loss for _, loss in losses(run)]
        assert len(curve) == 6 and all(np.isfinite(curve)), task
    return base


def test_every_recipe_saves_an_adapter_that_changes_its_tasks(stage1: Path, all_adapters: Path) -> None:
    for task in RECIPES:
        assert (all_adapters / "adapters" / task / "adapter_model.safetensors").is_file()
    model = taskembed.load(str(all_adapters))
    base = taskembed.load(str(stage1))
    assert set(model.info.tasks) >= {"retrieval.query", "retrieval.passage", "text-matching", "clustering"}
    texts = ["the cat eats an apple at home", "a dog finds the ball in the park"]
    plain = base.encode(texts, prompt="Document: ")
    for task in ("retrieval.passage", "text-matching", "clustering", "classification"):
        adapted = model.encode(texts, task=task)
        assert np.abs(adapted - plain).max() > 1e-4, task
    mixed = model.encode(texts, task="clustering")
    assert np.allclose(mixed, model.encode(texts, task="clustering"))
    assert np.allclose(model.encode(texts), base.encode(texts), atol=1e-6)  # no task: the base weights


def test_adapter_model_serves_per_task(all_adapters: Path) -> None:
    live = LiveServer(create_app(ServerConfig(models=(ModelSpec(str(all_adapters), alias="tasks"),)))).start()
    try:
        replies = {
            task: httpx.post(
                f"{live.url}/v1/embeddings", json={"model": "tasks", "input": ["a hat at home"], "task": task}
            )
            for task in ("retrieval.query", "classification")
        }
    finally:
        live.stop()
    vectors = {}
    for task, reply in replies.items():
        assert reply.status_code == 200, reply.text
        vectors[task] = np.asarray(reply.json()["data"][0]["embedding"])
    assert np.abs(vectors["retrieval.query"] - vectors["classification"]).max() > 1e-4


def test_only_the_adapter_trains(stage1: Path, tmp_path: Path, config_paths, task_data) -> None:
    config = parse_config(adapter_config(tmp_path / "run", stage1, "retrieval", config_paths, task_data))
    train(config)
    first = load_file(
        str(
            latest_checkpoint(tmp_path / "run" / "checkpoints").parent / "step-000003" / "weights.safetensors"
        )
    )
    last = load_file(str(latest_checkpoint(tmp_path / "run" / "checkpoints") / "weights.safetensors"))
    changed = {name for name in first if not np.array_equal(first[name].numpy(), last[name].numpy())}
    assert changed and all("lora_" in name or "log_temperature" in name for name in changed), changed


def test_gradients_reach_the_adapter_only(stage1: Path, tmp_path: Path, config_paths, task_data) -> None:
    from taskembed.train.adapter_run import build_adapter_run
    from taskembed.train.distributed import init_world
    from taskembed.train.step import MicroBatch

    config = parse_config(adapter_config(tmp_path / "run", stage1, "retrieval", config_paths, task_data))
    run = build_adapter_run(config, init_world(), resume=False, overwrite=False)
    batch = run.loop.sampler.next_batch()
    loss, _ = run.loop.forward(run.loop.module, MicroBatch.of(batch, 0, len(batch.rows)))
    loss.backward()
    with_grad = {name for name, p in run.loop.inner.named_parameters() if p.grad is not None}
    trainable = {name for name, p in run.loop.inner.named_parameters() if p.requires_grad}
    assert with_grad == trainable
    assert with_grad and all("lora_" in name or "log_temperature" in name for name in with_grad)
    assert any(
        "lora_B" in name and run.loop.inner.get_parameter(name).grad.abs().sum() > 0 for name in with_grad
    )
    frozen = [
        p
        for name, p in run.loop.inner.named_parameters()
        if "lora_" not in name and "temperature" not in name
    ]
    assert frozen and all(not p.requires_grad for p in frozen)  # backbone, heads and the stage-1 projection


def test_loaded_adapter_equals_peft_on_the_same_weights(all_adapters: Path) -> None:
    """taskembed's per-row LoRA banks against peft's own model with the saved adapter (cos >= 0.99999)."""
    from peft import PeftModel
    from transformers import AutoModel, AutoTokenizer

    texts = ["the cat eats an apple at home", "a child hides a hat"]
    ours = taskembed.load(str(all_adapters)).encode(texts, task="retrieval.query")
    tokenizer = AutoTokenizer.from_pretrained(str(all_adapters))
    base = AutoModel.from_pretrained(str(all_adapters))
    reference = PeftModel.from_pretrained(base, str(all_adapters / "adapters" / "retrieval")).eval()
    inputs = tokenizer(["Query: " + text for text in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = reference(**inputs).last_hidden_state
    mask = inputs["attention_mask"].unsqueeze(-1).float()
    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosine = (ours * pooled).sum(1) / np.linalg.norm(ours, axis=1)
    assert cosine.min() >= 0.99999


def test_adapter_config_errors(stage1: Path, tmp_path: Path, config_paths, task_data) -> None:
    from taskembed.errors import InputError

    bad = adapter_config(tmp_path / "run", stage1, "retrieval", config_paths, task_data)
    del bad["adapter"]
    with pytest.raises(InputError, match=r"needs an \[adapter\] section"):
        parse_config(bad)
    wrong = adapter_config(tmp_path / "run", stage1, "classification", config_paths, task_data)
    wrong["data"][0].pop("label")
    with pytest.raises(InputError, match="needs a `label` field"):
        train(parse_config(wrong))
    typo = adapter_config(tmp_path / "run", stage1, "retrieval", config_paths, task_data, adapter={"rnak": 4})
    with pytest.raises(InputError, match="adapter.rnak"):
        parse_config(typo)


def test_averaging_the_last_two_checkpoints(stage1: Path, tmp_path: Path, config_paths, task_data) -> None:
    raw = adapter_config(
        tmp_path / "run", stage1, "clustering", config_paths, task_data, adapter={"average_last": 2}
    )
    model = train(parse_config(raw))
    checkpoints = [
        load_file(str(tmp_path / "run" / "checkpoints" / f"step-00000{s}" / "weights.safetensors"))
        for s in (3, 6)
    ]
    saved = load_file(str(model / "adapters" / "clustering" / "adapter_model.safetensors"))
    assert saved
    for key, value in saved.items():
        name = "backbone.model.base_model.model." + key.removeprefix("base_model.model.").replace(
            ".weight", ".default.weight"
        )
        expected = (checkpoints[0][name].double() + checkpoints[1][name].double()) / 2
        assert torch.allclose(value.double(), expected, atol=1e-7), key
    manifest = json.loads((model / "taskembed.json").read_text())
    assert manifest["training"]["adapters"]["clustering"]["averaged_checkpoints"] == 2


def test_two_process_ddp_matches_one_process(tmp_path: Path, config_paths, pairs_file: Path) -> None:
    """In-batch negatives and GOR over the global batch, gathered across 2 gloo processes, give the
    1-process losses and adapter."""
    raw = build_config(tmp_path / "stage1", config_paths, train={"steps": 2})
    raw["student"]["architecture"].update({"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
    base = train(parse_config(raw))
    source = {"path": str(pairs_file), "fields": ["anchor", "positive"]}
    runs = {}
    for processes in (1, 2):
        config = adapter_config(
            tmp_path / f"run-{processes}", base, "retrieval", config_paths, {}, data=[source]
        )
        config["data"] = [source]
        config["train"]["precision"] = (
            "fp32"  # bf16 autocast (the default on CPUs with native bf16) pads differently
        )
        runs[processes] = Path(config["output"])
        if processes == 1:
            train(parse_config(config))
            continue
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(json.loads(json.dumps(config))))
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
        done = subprocess.run(
            [*command, "-m", "taskembed.cli", "train", str(path)], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[:4000]
    single, double = losses(runs[1]), losses(runs[2])
    assert np.allclose([v for _, v in single], [v for _, v in double], rtol=1e-5, atol=1e-6)
    one, two = (
        load_file(str(r / "model" / "adapters" / "retrieval" / "adapter_model.safetensors"))
        for r in runs.values()
    )
    assert all(torch.allclose(one[key], two[key], atol=1e-5) for key in one)
