"""jina-embeddings-v5-text without remote code: Qwen3 and EuroBERT backbones with PEFT task adapters equal
transformers + peft (PeftModel, and merged), per-row tasks, pinned and pre-merged tasks, padding sides."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from tests.factories.checks import assert_mixed_batch_equals_single_tasks, min_cosine
from tests.factories.jina_v5 import write_v5

import taskembed
from taskembed.errors import InputError, ModelLoadError
from taskembed.models.adapters import lora_modules

TEXTS = [
    "The quick brown fox",
    "Embeddings map text to vectors; similar meanings land close together. " * 4,
    "a",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
]
API_TASKS = {
    None: (None, ""),
    "retrieval.query": ("retrieval", "Query: "),
    "retrieval.passage": ("retrieval", "Document: "),
    "text-matching": ("text-matching", "Document: "),
    "clustering": ("clustering", "Document: "),
    "classification": ("classification", "Document: "),
}
MIN_COSINE = 0.99999


def reference(folder: Path, base: torch.nn.Module, adapter: str | None, prompt: str, *, merged: bool = False):
    """transformers + peft, left padding, last token (the last position), normalized."""
    from peft import PeftModel
    from transformers import AutoTokenizer

    model = base
    if adapter is not None:
        model = PeftModel.from_pretrained(copy.deepcopy(base), str(folder / "adapters" / adapter))
        if merged:
            model = model.merge_and_unload()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    tokenizer.padding_side = "left"
    batch = tokenizer([prompt + text for text in TEXTS], padding=True, return_tensors="pt")
    with torch.no_grad():
        tokens = model.eval()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return torch.nn.functional.normalize(tokens.last_hidden_state[:, -1], dim=-1).numpy()


@pytest.fixture(scope="module", params=["qwen3", "eurobert"])
def checkpoint(request, tmp_path_factory) -> tuple[str, Path, torch.nn.Module]:
    folder, base = write_v5(tmp_path_factory.mktemp(f"v5-{request.param}") / "model", request.param)
    return request.param, folder, base


@pytest.fixture(scope="module")
def embedder(checkpoint) -> taskembed.Embedder:
    return taskembed.load(checkpoint[1])


def test_every_task_equals_transformers_plus_peft(checkpoint, embedder):
    kind, folder, base = checkpoint
    assert embedder.info.family == "jina-embeddings-v5"
    assert embedder.info.pooling == ("lasttoken",)
    assert type(embedder.model.backbone.model).__name__ == (
        "Qwen3Model" if kind == "qwen3" else "EuroBertModel"
    )
    vectors = {}
    for task, (adapter, prompt) in API_TASKS.items():
        vectors[task] = embedder.encode(TEXTS, task=task)
        assert min_cosine(vectors[task], reference(folder, base, adapter, prompt)) >= MIN_COSINE, task
    merged = reference(folder, base, "clustering", "Document: ", merged=True)
    assert min_cosine(vectors["clustering"], merged) >= MIN_COSINE
    for task in ("retrieval.query", "text-matching", "clustering", "classification"):
        assert min_cosine(vectors[task], vectors[None]) < 0.99, task  # the adapters matter


def test_a_model_prefix_is_accepted(tmp_path):
    folder, base = write_v5(tmp_path / "prefixed", "qwen3", prefix="model.")
    assert "model.norm.weight" in load_file(str(folder / "model.safetensors"))
    vectors = taskembed.load(folder).encode(TEXTS, task="retrieval.query")
    assert min_cosine(vectors, reference(folder, base, "retrieval", "Query: ")) >= MIN_COSINE


def test_retrieval_with_an_explicit_prompt(embedder):
    explicit = embedder.encode(TEXTS, task="retrieval", prompt="Query: ")
    assert min_cosine(explicit, embedder.encode(TEXTS, task="retrieval.query")) >= MIN_COSINE


def test_a_batch_mixing_tasks_equals_single_task_runs(embedder):
    tasks = list(API_TASKS)
    assert_mixed_batch_equals_single_tasks(embedder, TEXTS, tasks, seed=1)


def test_pinned_and_pre_merged_tasks_equal_the_adapter_path(checkpoint, embedder, tmp_path):
    kind, folder, _ = checkpoint
    expected = embedder.encode(TEXTS, task="text-matching")
    pinned = taskembed.load(folder, task="text-matching")
    assert not list(lora_modules(pinned.model.backbone))
    assert min_cosine(pinned.encode(TEXTS), expected) >= MIN_COSINE
    pre_merged, _ = write_v5(tmp_path / "model-text-matching", kind, merged_task="text-matching")
    assert not (pre_merged / "adapters").exists()
    fixed = taskembed.load(pre_merged)
    assert fixed.info.tasks == ("text-matching",) and fixed.info.default_task == "text-matching"
    assert min_cosine(fixed.encode(TEXTS), expected) >= MIN_COSINE


def test_matryoshka_sizes_and_limit(embedder):
    assert embedder.info.matryoshka_dimensions == (32, 64)
    assert embedder.info.max_tokens == 1024
    full = embedder.encode(TEXTS, task="retrieval.query", normalized=False)
    cut = embedder.encode(TEXTS, task="retrieval.query", dimensions=32)
    np.testing.assert_allclose(
        cut, full[:, :32] / np.linalg.norm(full[:, :32], axis=1, keepdims=True), atol=1e-6
    )


def test_append_eos_is_a_config_switch_off_by_default(checkpoint, embedder, tmp_path):
    _, folder, _ = checkpoint
    plain = embedder.prepare(["a fox"], taskembed.EncodeOptions()).tokenized.ids[0]
    copy_dir = tmp_path / "eos"
    copy_dir.mkdir()
    for file in folder.iterdir():
        if file.is_file():
            (copy_dir / file.name).write_bytes(file.read_bytes())
    (copy_dir / "adapters").symlink_to(folder / "adapters")
    config = json.loads((copy_dir / "config.json").read_text())
    (copy_dir / "config.json").write_text(json.dumps({**config, "append_eos": True}))
    with_eos = taskembed.load(copy_dir).prepare(["a fox"], taskembed.EncodeOptions()).tokenized.ids[0]
    assert with_eos.tolist() == [*plain.tolist(), 0]  # <|endoftext|>


def test_errors_name_the_tensor_or_task(checkpoint, embedder, tmp_path):
    _, folder, _ = checkpoint
    with pytest.raises(InputError, match="unknown task 'separation'"):
        embedder.encode(TEXTS, task="separation")
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in folder.iterdir():
        if file.is_file():
            (broken / file.name).write_bytes(file.read_bytes())
    tensors = load_file(str(broken / "model.safetensors"))
    tensors["layers.1.mlp.down_proj.weight"] = tensors["layers.1.mlp.down_proj.weight"][:, :-1].contiguous()
    save_file(tensors, str(broken / "model.safetensors"))
    with pytest.raises(ModelLoadError, match=r"wrong shape: layers.1.mlp.down_proj.weight \[64, 127\]"):
        taskembed.load(broken)


def test_an_adapter_that_does_not_fit_is_refused(tmp_path):
    folder, _ = write_v5(tmp_path / "model", "qwen3")
    weights = folder / "adapters" / "clustering" / "adapter_model.safetensors"
    tensors = load_file(str(weights))
    key = next(k for k in tensors if k.endswith("layers.0.mlp.up_proj.lora_B.weight"))
    tensors[key] = torch.zeros(7, tensors[key].shape[1])
    save_file(tensors, str(weights))
    with pytest.raises(ModelLoadError, match=r"layers.0.mlp.up_proj lora_B has shape \[7, 4\]"):
        taskembed.load(folder)
    for file in (folder / "adapters" / "classification").iterdir():
        file.unlink()
    (folder / "adapters" / "classification").rmdir()
    with pytest.raises(ModelLoadError, match="no adapter folder for task"):
        taskembed.load(folder)
