"""jina-embeddings-v3 without remote code: both layouts equal transformers' JinaEmbeddingsV3Model with the
task adapter merged by hand (CHECKPOINTS.md formula), per-row tasks in one forward, pinned tasks."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from tests.factories.checks import assert_mixed_batch_equals_single_tasks, min_cosine
from tests.factories.jina_v3 import INSTRUCTIONS, TASKS, V3Weights

import taskembed
from taskembed.errors import InputError, InputTooLongError, ModelLoadError
from taskembed.models.adapters import lora_modules

TEXTS = [
    "The quick brown fox",
    "Embeddings map text to vectors; similar meanings land close together. " * 4,
    "a",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
]
ALL_TASKS = [None, *TASKS]
MIN_COSINE = 0.99999


@pytest.fixture(scope="module")
def weights() -> V3Weights:
    return V3Weights()


@pytest.fixture(scope="module")
def folders(weights: V3Weights, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("jina-v3")
    return {
        "original": weights.write_original(root / "original"),
        "original-no-prefix": weights.write_original(root / "original-plain", prefix=""),
        "hf-native": weights.write_hf_native(root / "hf"),
        "hf-native-fused-lora": weights.write_hf_native(
            root / "hf-fused", split_qkv=False, prefix="base_model.model.roberta."
        ),
    }


@pytest.fixture(scope="module")
def references(weights: V3Weights, tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, np.ndarray]:
    """transformers' JinaEmbeddingsV3Model on merged weights, mean pooled, per task."""
    from transformers import AutoModel, AutoTokenizer

    root = tmp_path_factory.mktemp("jina-v3-reference")
    vectors = {}
    for task in ALL_TASKS:
        folder = weights.write_merged_reference(root / str(task), task)
        model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
        assert type(model).__name__ == "JinaEmbeddingsV3Model"
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        prefix = INSTRUCTIONS[task] if task else ""
        batch = tokenizer([prefix + text for text in TEXTS], padding=True, return_tensors="pt")
        with torch.no_grad():
            tokens = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (tokens * mask).sum(1) / mask.sum(1)
        vectors[task] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    return vectors


@pytest.fixture(scope="module")
def original(folders: dict[str, Path]) -> taskembed.Embedder:
    return taskembed.load(folders["original"])


@pytest.mark.parametrize("layout", ["original", "original-no-prefix", "hf-native", "hf-native-fused-lora"])
def test_every_layout_equals_the_merged_reference_for_every_task(layout, folders, references):
    embedder = taskembed.load(folders[layout])
    assert embedder.info.family == "jina-embeddings-v3"
    assert embedder.info.tasks == tuple(TASKS)
    for task in ALL_TASKS:
        assert min_cosine(embedder.encode(TEXTS, task=task), references[task]) >= MIN_COSINE, (layout, task)


def test_tasks_really_change_the_vectors(references):
    for task in TASKS:
        assert min_cosine(references[task], references[None]) < 0.99, task


def test_info_instructions_matryoshka_and_limit(original, weights):
    info = original.info
    assert info.prompts["retrieval.query"] == INSTRUCTIONS["retrieval.query"]
    assert info.matryoshka_dimensions == (16, 32, 64)
    assert info.max_tokens == weights.max_positions - 2
    assert info.dimension == weights.hidden
    full = original.encode(TEXTS, task="text-matching", normalized=False)
    for dims in (16, 24):  # a Matryoshka size, and another size below the full one
        cut = original.encode(TEXTS, task="text-matching", dimensions=dims)
        expected = full[:, :dims] / np.linalg.norm(full[:, :dims], axis=1, keepdims=True)
        np.testing.assert_allclose(cut, expected, atol=1e-6)
    with pytest.raises(InputTooLongError):
        original.encode(["word " * 600], truncate=False)


def test_a_batch_mixing_tasks_equals_single_task_runs(original):
    tasks = [None, "retrieval.query", "separation", "retrieval.passage", "text-matching", "classification"]
    assert_mixed_batch_equals_single_tasks(original, TEXTS, tasks, seed=0)


def test_a_pinned_task_is_merged_and_equals_the_unmerged_path(folders, original):
    pinned = taskembed.load(folders["hf-native"], task="retrieval.query")
    assert not list(lora_modules(pinned.model.backbone))
    assert pinned.info.tasks == ("retrieval.query",)
    expected = original.encode(TEXTS, task="retrieval.query")
    assert min_cosine(pinned.encode(TEXTS), expected) >= MIN_COSINE  # no task = the pinned one
    assert min_cosine(pinned.encode(TEXTS, task="retrieval.query"), expected) >= MIN_COSINE
    with pytest.raises(InputError, match="unknown task 'separation'"):
        pinned.encode(TEXTS, task="separation")
    with pytest.raises(InputError, match="cannot pin task 'nope'"):
        taskembed.load(folders["original"], task="nope")


def test_an_unknown_task_is_a_clear_error(original):
    with pytest.raises(InputError, match=r"unknown task 'retrieval'.*valid tasks: retrieval.query"):
        original.encode(TEXTS, task="retrieval")


def edited_copy(source: Path, target: Path, edit) -> Path:
    target.mkdir()
    for file in source.iterdir():
        if file.is_file():
            (target / file.name).write_bytes(file.read_bytes())
    tensors = load_file(str(target / "model.safetensors"))
    edit(tensors)
    save_file(tensors, str(target / "model.safetensors"))
    return target


def test_broken_checkpoints_are_clear_errors(folders, weights, tmp_path):
    source = folders["original"]
    missing = edited_copy(
        source, tmp_path / "missing", lambda t: t.pop("roberta.encoder.layers.1.norm2.bias")
    )
    with pytest.raises(ModelLoadError, match=r"missing: layers.1.post_mlp_layernorm.bias"):
        taskembed.load(missing)

    def widen(tensors):
        tensors["roberta.emb_ln.weight"] = torch.ones(weights.hidden + 1)

    wrong = edited_copy(source, tmp_path / "wrong", widen)
    with pytest.raises(
        ModelLoadError, match=r"wrong shape: embeddings.LayerNorm.weight \[65\] \(expected \[64\]\)"
    ):
        taskembed.load(wrong)
    banks = weights.write_original(tmp_path / "banks", tasks=4)
    with pytest.raises(ModelLoadError, match="holds 4 tasks but lora_adaptations lists 5"):
        taskembed.load(banks)


def test_a_missing_adapter_folder_is_a_clear_error(folders, tmp_path):
    source = folders["hf-native"]
    target = tmp_path / "no-adapter"
    target.mkdir()
    for item in source.rglob("*"):
        if item.is_file() and "separation" not in item.parts:
            (target / item.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / item.relative_to(source)).write_bytes(item.read_bytes())
    with pytest.raises(ModelLoadError, match="no adapter folder for task 'separation'"):
        taskembed.load(target)


def test_remote_code_is_never_needed(folders):
    config = json.loads((folders["original"] / "config.json").read_text())
    assert "auto_map" in config  # the original layout names remote code; we load it without
    assert taskembed.load(folders["original"]).info.family == "jina-embeddings-v3"


def test_the_server_batches_requests_of_different_tasks_together(original):
    pytest.importorskip("fastapi")
    from taskembed.server.batcher import Batcher

    passes = []

    async def run() -> list[np.ndarray]:
        batcher = Batcher(original, max_batch_tokens=4096, observe_batch=lambda rows, *_: passes.append(rows))
        batcher.start()
        tasks = ["retrieval.query", "separation", None]
        prepared = [original.prepare(TEXTS, taskembed.EncodeOptions(task=t)) for t in tasks]
        results = await asyncio.gather(*(batcher.pooled(p) for p in prepared))
        await batcher.stop()
        return results

    results = asyncio.run(run())
    assert passes == [3 * len(TEXTS)]  # one forward for all three tasks
    for task, pooled in zip(["retrieval.query", "separation", None], results, strict=True):
        np.testing.assert_allclose(
            pooled, original.encode(TEXTS, task=task, normalized=False), rtol=1e-4, atol=1e-5
        )


def test_the_http_api_takes_the_task_per_request(original, folders):
    pytest.importorskip("fastapi")
    import httpx
    from tests.server.live import LiveServer

    from taskembed.server.app import create_app
    from taskembed.server.config import ModelSpec, ServerConfig

    spec = ModelSpec(str(folders["original"]), alias="v3")
    live = LiveServer(create_app(ServerConfig(models=(spec,)), preloaded={spec.ref: original})).start()
    try:
        for task in ("retrieval.query", "text-matching"):
            body = {"model": "v3", "input": TEXTS[:2], "task": task, "dimensions": 32}
            response = httpx.post(f"{live.url}/v1/embeddings", json=body, timeout=30)
            assert response.status_code == 200, response.text
            vectors = np.array([item["embedding"] for item in response.json()["data"]])
            np.testing.assert_allclose(
                vectors, original.encode(TEXTS[:2], task=task, dimensions=32), atol=1e-5
            )
        response = httpx.post(f"{live.url}/v1/embeddings", json={"model": "v3", "input": "x", "task": "nope"})
        assert response.status_code == 422 and "unknown task 'nope'" in response.text
    finally:
        live.stop()


def test_late_chunking_runs_each_task_adapter(original, folders):
    chunks = ["The quick brown fox. ", "It jumps over the lazy dog."]
    late = original.encode(chunks, task="separation", late_chunking=True)
    pinned = taskembed.load(folders["original"], task="separation").encode(chunks, late_chunking=True)
    assert min_cosine(late, pinned) >= MIN_COSINE
    assert min_cosine(late, original.encode(chunks, late_chunking=True)) < 0.99  # the adapter mattered
