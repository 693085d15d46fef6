"""End to end: a tiny random student distilled from a tiny teacher trains, resumes, loads and serves."""

from __future__ import annotations

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
from tests.train.conftest import ConfigFactory, build_config, losses

import taskembed
from taskembed.errors import InputError
from taskembed.server.app import create_app
from taskembed.server.config import ModelSpec, ServerConfig
from taskembed.train import parse_config, train
from taskembed.train.trainer import TrainingInterruptedError


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, config_paths):
    """One uninterrupted 12-step run, shared by the tests that only read its results."""
    config = parse_config(build_config(tmp_path_factory.mktemp("finished") / "run", config_paths))
    return config, train(config)


def test_loss_goes_down(make_config: ConfigFactory) -> None:
    config = parse_config(make_config(train={"steps": 40}))
    train(config)
    curve = [loss for _, loss in losses(config.output)]
    assert len(curve) == 40
    assert np.mean(curve[-5:]) < 0.8 * np.mean(curve[:5])


def test_resume_reproduces_the_uninterrupted_run_exactly(finished, make_config: ConfigFactory) -> None:
    full_config, full_model = finished
    config = parse_config(make_config())
    with pytest.raises(TrainingInterruptedError):
        train(config, stop_after=6)  # a crash after step 6: the last checkpoint is step 4
    assert (config.output / "checkpoints" / "step-000004").is_dir()
    with pytest.raises(InputError, match="--resume"):
        train(config)
    model = train(config, resume=True)
    assert losses(config.output) == losses(full_config.output)
    ours, theirs = load_file(model / "model.safetensors"), load_file(full_model / "model.safetensors")
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[key], theirs[key]) for key in ours)


def test_output_folder_loads_like_sentence_transformers(finished) -> None:
    from sentence_transformers import SentenceTransformer

    _, folder = finished
    texts = ["a dog finds the ball in the park", "the teacher sells some bread"]
    model = taskembed.load(str(folder))
    assert model.info.family == "taskembed" and model.info.dimension == 16
    ours = model.encode(texts)
    reference = SentenceTransformer(str(folder), device="cpu").encode(texts)
    cosine = (ours * reference).sum(1) / np.linalg.norm(reference, axis=1)
    assert cosine.min() >= 0.99999
    assert (folder / "quantization_ranges.json").is_file() and 16 in model.model.ranges
    assert model.encode(texts, embedding_type="int8").dtype == np.int8
    manifest = json.loads((folder / "taskembed.json").read_text())
    assert manifest["training"]["steps"] == 12 and manifest["training"]["stage"] == "distill"
    projection = load_file(folder / "projection" / "model.safetensors")["weight"]
    assert tuple(projection.shape) == (32, 16)  # student (16) -> teacher (32)


def test_output_folder_serves(finished) -> None:
    _, folder = finished
    live = LiveServer(create_app(ServerConfig(models=(ModelSpec(str(folder), alias="student"),)))).start()
    try:
        reply = httpx.post(f"{live.url}/v1/embeddings", json={"model": "student", "input": ["a hat at home"]})
    finally:
        live.stop()
    assert reply.status_code == 200
    expected = taskembed.load(str(folder)).encode(["a hat at home"])[0]
    assert np.allclose(reply.json()["data"][0]["embedding"], expected, atol=1e-5)


def test_matryoshka_eval_and_best_weights(
    make_config: ConfigFactory, tmp_path: Path, pairs_file: Path
) -> None:
    rows = [json.loads(line) for line in pairs_file.read_text().splitlines()][:40]
    sts = tmp_path / "sts.csv"
    sts.write_text("".join(f'"{r["anchor"]}","{r["positive"]}",{i % 5}\n' for i, r in enumerate(rows)))
    spec = tmp_path / "tiny-sts.toml"
    spec.write_text(f'name = "TinySTS"\ntype = "sts"\nformat = "sts-csv"\npath = "{sts}"\n')
    config = parse_config(
        make_config(
            distill={"dimensions": [16, 8, 4], "dimension_weights": [1.0, 1.0, 0.5]},
            eval={"tasks": [str(spec)], "every": 4},
        )
    )
    folder = train(config)
    evals = [json.loads(line) for line in (config.output / "metrics.jsonl").read_text().splitlines()]
    scores = {line["step"]: line["eval"]["TinySTS"] for line in evals if "eval" in line}
    assert sorted(scores) == [4, 8, 12]
    manifest = json.loads((folder / "taskembed.json").read_text())
    best = max(scores, key=lambda step: (scores[step], -step))
    assert manifest["training"]["best_step"] == best
    assert manifest["matryoshka_dimensions"] == [16, 8, 4]
    assert taskembed.load(str(folder)).info.matryoshka_dimensions == (16, 8, 4)


def test_two_process_ddp_matches_one_process(make_config: ConfigFactory, tmp_path: Path) -> None:
    no_dropout = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
    runs = {}
    for processes in (1, 2):
        raw = make_config(
            output=str(tmp_path / f"run-{processes}"), train={"steps": 6, "micro_batch_size": 2}
        )
        raw["student"]["architecture"].update(no_dropout)
        runs[processes] = Path(raw["output"])
        if processes == 1:
            train(parse_config(raw))  # the reference: one process, same global batch of 8
            continue
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(raw))
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
        done = subprocess.run(
            [*command, "-m", "taskembed.cli", "train", str(path)], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[:4000]
    single, double = losses(runs[1]), losses(runs[2])
    assert [s for s, _ in single] == [s for s, _ in double] == list(range(1, 7))
    assert np.allclose([v for _, v in single], [v for _, v in double], rtol=1e-5, atol=1e-6)
    one = load_file(runs[1] / "model" / "model.safetensors")
    two = load_file(runs[2] / "model" / "model.safetensors")
    assert all(torch.allclose(one[key], two[key], atol=1e-5) for key in one)


def test_gradient_accumulation_matches_whole_batches(make_config: ConfigFactory, tmp_path: Path) -> None:
    no_dropout = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
    curves = []
    for micro in (None, 3):  # 8 rows as one pass, or as micro-batches of 3 + 3 + 2
        raw = make_config(
            output=str(tmp_path / f"micro-{micro}"), train={"steps": 5, "micro_batch_size": micro}
        )
        raw["student"]["architecture"].update(no_dropout)
        config = parse_config(raw)
        train(config)
        curves.append([loss for _, loss in losses(config.output)])
    assert np.allclose(curves[0], curves[1], rtol=1e-4)  # fp32 summation order differs


def test_teacher_targets_other_texts(make_config: ConfigFactory, pairs_file: Path, tmp_path: Path) -> None:
    source = {"path": str(pairs_file), "fields": ["anchor"], "targets": ["positive"], "name": "xling"}
    cache = tmp_path / "cache"
    config = parse_config(make_config(data=[source], teacher={"cache": str(cache)}, train={"steps": 3}))
    train(config)
    positives = {json.loads(line)["positive"] for line in pairs_file.read_text().splitlines()}
    from taskembed.train.teacher_cache import text_hash

    stored = {bytes(row) for file in cache.rglob("hashes-*.npy") for row in np.load(file)}
    assert stored == {text_hash(text) for text in positives}  # the teacher embedded only the targets


def test_bf16_autocast_trains_with_fp32_weights(make_config: ConfigFactory) -> None:
    config = parse_config(make_config(train={"steps": 3, "precision": "bf16"}))
    folder = train(config)
    assert all(np.isfinite(loss) for _, loss in losses(config.output))
    weights = load_file(folder / "model.safetensors")
    assert {tensor.dtype for tensor in weights.values()} == {torch.float32}
