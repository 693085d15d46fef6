"""Runtimes: ONNX Runtime fp32/int8 and torch bf16 against the torch fp32 reference, the graph cache,
task adapters exported per task, and clear errors for combinations that do not exist."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load_file, save_file
from tests.conftest import MakeCheckpoint
from tests.factories.checks import assert_mixed_batch_equals_single_tasks, min_cosine
from tests.factories.jina_v3 import TASKS, V3Weights
from tests.factories.jina_v5 import write_v5

import taskembed
from taskembed.backends import apply as apply_module
from taskembed.backends.apply import SlowPrecisionWarning
from taskembed.backends.onnx_backbone import OnnxBackbone
from taskembed.errors import InputError
from taskembed.models.runtime import Runtime

pytest.importorskip("onnxruntime")

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Embeddings map text to vectors; similar meanings land close together. " * 6,
    "a",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "How many people live in Berlin?",
]
EXACT = 0.99999  # fp32 graphs: the same arithmetic, reordered
INT8_MIN, INT8_MEAN = 0.98, 0.985  # dynamic int8, per-channel weights (measured 0.986, 0.990)
BF16_MIN = 0.999


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def reference(bundled: taskembed.Embedder) -> np.ndarray:
    return np.asarray(bundled.encode(TEXTS))


def _backbone(embedder: taskembed.Embedder) -> OnnxBackbone:
    backbone = embedder.model.backbone
    assert isinstance(backbone, OnnxBackbone)
    return backbone


def test_onnx_fp32_equals_torch_fp32_on_the_bundled_model(reference: np.ndarray, onnx_cache: Path) -> None:
    model = taskembed.load("default", backend="onnx", onnx_cache=onnx_cache)
    assert model.model.runtime.label == "onnx-fp32"
    assert min_cosine(np.asarray(model.encode(TEXTS)), reference) >= EXACT


def test_onnx_int8_is_close_to_fp32_and_its_outputs_keep_the_contract(
    reference: np.ndarray, onnx_cache: Path
) -> None:
    model = taskembed.load("default", backend="onnx", dtype="int8", onnx_cache=onnx_cache)
    vectors = np.asarray(model.encode(TEXTS))
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= INT8_MIN and cosines.mean() >= INT8_MEAN
    assert not np.allclose(vectors, reference, atol=1e-4)  # it really is quantized
    out = model.encode(TEXTS, dimensions=128, embedding_type=["float", "binary", "int8"])
    assert isinstance(out, dict)
    assert out["float"].shape == (5, 128) and out["binary"].shape == (5, 16) and out["int8"].dtype == np.int8


def test_torch_bf16_is_close_to_fp32_and_warns_without_hardware_support(
    reference: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply_module, "has_native_bf16", lambda: False)
    with pytest.warns(SlowPrecisionWarning, match="no native bf16"):
        model = taskembed.load("default", dtype="bf16")
    assert min_cosine(np.asarray(model.encode(TEXTS)), reference) >= BF16_MIN
    monkeypatch.setattr(apply_module, "has_native_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        taskembed.load("default", dtype="bf16")


def test_the_graph_cache_is_reused_and_follows_the_model(
    make_st_checkpoint: MakeCheckpoint, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    shutil.copytree(make_st_checkpoint(), folder)
    cache = tmp_path / "cache"
    first = taskembed.load(folder, backend="onnx", onnx_cache=cache)
    assert _backbone(first).built == [-1] and not _backbone(first).holds_weights
    graph = _backbone(first).graph(-1)
    stamp = graph.stat().st_mtime_ns
    second = taskembed.load(folder, backend="onnx", onnx_cache=cache)
    assert _backbone(second).built == []  # the second load opened the cached graph
    assert graph.stat().st_mtime_ns == stamp
    np.testing.assert_allclose(second.encode(TEXTS), first.encode(TEXTS), atol=1e-6)

    weights = folder / "model.safetensors"
    state = load_file(str(weights))
    name = next(key for key in state if key.endswith("word_embeddings.weight"))
    state[name] = state[name] * 1.5
    save_file(state, str(weights))
    changed = taskembed.load(folder, backend="onnx", onnx_cache=cache)
    assert _backbone(changed).built == [-1]  # new weights, new graph
    assert _backbone(changed).graph(-1) != graph
    torch_changed = np.asarray(taskembed.load(folder).encode(TEXTS))
    assert min_cosine(np.asarray(changed.encode(TEXTS)), torch_changed) >= EXACT
    assert sorted(p.name for p in cache.iterdir() if p.name.startswith(".export-")) == []


def test_a_dense_head_and_cls_pooling_run_after_the_onnx_graph(
    make_st_checkpoint: MakeCheckpoint, onnx_cache: Path
) -> None:
    folder = make_st_checkpoint("cls", dense=True)
    expected = np.asarray(taskembed.load(folder).encode(TEXTS))
    got = np.asarray(taskembed.load(folder, backend="onnx", onnx_cache=onnx_cache).encode(TEXTS))
    assert min_cosine(got, expected) >= EXACT


def test_late_chunking_runs_on_onnx(onnx_cache: Path, bundled: taskembed.Embedder) -> None:
    model = taskembed.load("default", backend="onnx", onnx_cache=onnx_cache)
    late = np.asarray(model.encode(TEXTS[:3], late_chunking=True))
    assert min_cosine(late, np.asarray(bundled.encode(TEXTS[:3], late_chunking=True))) >= EXACT


@pytest.fixture(scope="module")
def v3_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return V3Weights().write_original(tmp_path_factory.mktemp("v3") / "model")


def test_v3_adapters_export_one_graph_per_task_on_first_use(v3_folder: Path, onnx_cache: Path) -> None:
    torch_model = taskembed.load(v3_folder)
    model = taskembed.load(v3_folder, backend="onnx", onnx_cache=onnx_cache)
    assert _backbone(model).built == []  # nothing exported before a task is used
    for task in [None, *TASKS]:
        expected = np.asarray(torch_model.encode(TEXTS, task=task))
        assert min_cosine(np.asarray(model.encode(TEXTS, task=task)), expected) >= EXACT, task
    assert len(_backbone(model).built) == len(TASKS) + 1
    assert not _backbone(model).holds_weights  # every graph exists: the torch weights are released
    assert_mixed_batch_equals_single_tasks(model, TEXTS, [None, *TASKS], seed=3)


def test_a_pinned_task_gets_its_own_graph(v3_folder: Path, onnx_cache: Path) -> None:
    pinned = taskembed.load(v3_folder, task="separation", backend="onnx", onnx_cache=onnx_cache)
    expected = np.asarray(taskembed.load(v3_folder).encode(TEXTS, task="separation"))
    assert min_cosine(np.asarray(pinned.encode(TEXTS)), expected) >= EXACT
    assert "pinned-separation" in _backbone(pinned).graph(-1).parent.name


@pytest.mark.parametrize("kind", ["qwen3", "eurobert"])
def test_v5_adapters_on_onnx_equal_torch(kind: str, tmp_path: Path, onnx_cache: Path) -> None:
    folder, _ = write_v5(tmp_path / "model", kind)
    torch_model = taskembed.load(folder)
    model = taskembed.load(folder, backend="onnx", onnx_cache=onnx_cache)
    for task in ["retrieval", "text-matching"]:
        expected = np.asarray(torch_model.encode(TEXTS, task=task))
        assert min_cosine(np.asarray(model.encode(TEXTS, task=task)), expected) >= EXACT, task


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "tensorrt"}, "unknown backend 'tensorrt'; choose one of: torch, onnx"),
        ({"dtype": "fp16"}, "unknown dtype 'fp16'"),
        ({"dtype": "int8"}, "use --backend onnx for int8"),
        ({"backend": "onnx", "dtype": "bf16"}, "onnx backend (fp32, int8); use --backend torch"),
        ({"threads": 0}, "threads must be at least 1"),
    ],
)
def test_impossible_runtimes_are_refused_with_the_choices(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        Runtime.create(**kwargs)


def test_cli_export_builds_once_then_finds_the_cache(
    make_st_checkpoint: MakeCheckpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from taskembed.cli import main

    folder = make_st_checkpoint()
    command = ["export", str(folder), "--dtype", "int8", "--onnx-cache", str(tmp_path)]
    assert main(command) == 0
    first = capsys.readouterr().out
    assert first.startswith("base: ") and first.rstrip().endswith("(exported)")
    assert main(command) == 0
    assert capsys.readouterr().out == first.replace("(exported)", "(cached)")
    assert main(["export", str(folder), "--task", "nope", "--onnx-cache", str(tmp_path)]) == 2
    assert "has no task 'nope'" in capsys.readouterr().err


def test_the_eval_cache_keeps_runtimes_apart(make_st_checkpoint: MakeCheckpoint, onnx_cache: Path) -> None:
    from taskembed.evaluate.cache import EmbeddingCache, raw_options

    folder = make_st_checkpoint()
    models = [
        taskembed.load(folder, backend=backend, dtype=dtype, onnx_cache=onnx_cache)
        for backend, dtype in [("torch", "fp32"), ("onnx", "fp32"), ("onnx", "int8")]
    ]
    keys = {EmbeddingCache.key(model, TEXTS, raw_options()) for model in models}
    assert len(keys) == 3


def test_serve_config_reads_the_runtime_from_flags_and_environment() -> None:
    import argparse

    from taskembed.server.config import add_serve_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_serve_arguments(parser, {"TASKEMBED_BACKEND": "onnx", "TASKEMBED_THREADS": "1"})
    config = config_from_args(parser.parse_args(["--dtype", "int8"]))
    assert config.runtime() == Runtime.create("onnx", "int8", threads=1)
    with pytest.raises(InputError, match="use --backend onnx for int8"):
        config_from_args(parser.parse_args(["--dtype", "int8", "--backend", "torch"]))


def test_a_missing_onnx_extra_names_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from taskembed.errors import ModelLoadError

    real = importlib.util.find_spec

    def find_spec(name: str) -> object:
        return None if name == "onnxruntime" else real(name)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ModelLoadError, match=re.escape("needs onnxruntime: pip install 'taskembed[onnx]'")):
        taskembed.load("default", backend="onnx")
