"""Shared fixtures: the bundled real model, and tiny random checkpoints written by sentence-transformers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import taskembed
from taskembed.models.resolve import bundled_model_dir

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data set {path} is absent (it exists beside the repository in CI)")
    return path


@pytest.fixture(scope="session")
def bundled() -> taskembed.Embedder:
    return taskembed.load("default")


@pytest.fixture(scope="session")
def st_bundled():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(bundled_model_dir()), device="cpu")


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with random weights and the bundled model's real tokenizer."""
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    for name in TOKENIZER_FILES:
        shutil.copy(bundled_model_dir() / name, folder / name)
    return folder


MakeCheckpoint = Callable[..., Path]


@pytest.fixture(scope="session")
def make_st_checkpoint(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> MakeCheckpoint:
    """Write a sentence-transformers folder (as sentence-transformers saves it) around the tiny BERT."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer

    def make(
        pooling: str | tuple[str, ...] = "mean",
        *,
        dense: bool = False,
        normalize: bool = True,
        prompts: dict[str, str] | None = None,
        include_prompt: bool = True,
        max_seq_length: int = 64,
    ) -> Path:
        torch.manual_seed(1)
        modules = [
            Transformer(str(tiny_bert_dir), max_seq_length=max_seq_length),
            Pooling(32, pooling_mode=pooling, include_prompt=include_prompt),
        ]
        width = 32 * (1 if isinstance(pooling, str) else len(pooling))
        if dense:
            modules.append(Dense(width, 16))
        if normalize:
            modules.append(Normalize())
        model = SentenceTransformer(modules=modules, prompts=prompts, device="cpu")
        folder = tmp_path_factory.mktemp("st-checkpoint")
        model.save(str(folder))
        return folder

    return make
