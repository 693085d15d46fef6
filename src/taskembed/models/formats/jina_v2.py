"""jina-embeddings-v2 checkpoints (JinaBERT) without their remote code; ../shared/CHECKPOINTS.md section 5.

A v2 folder is a BERT config with ALiBi positions. Its weights load into ``models.jinabert``: an optional
``bert.`` prefix is stripped, ``cls.*`` (an MLM head) and ``pooler.*`` are ignored, the layer style (en or
code) and the vocabulary size are read from the tensors. The folder's sentence-transformers modules
(mean pooling) apply as for any other backbone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taskembed.errors import ModelLoadError
from taskembed.models.backbone import check_state_dict
from taskembed.models.jinabert import JinaBertConfig, JinaBertModel
from taskembed.models.weights import read_safetensors, without_prefix

FAMILY = "jina-embeddings-v2"
IGNORED_PREFIXES = ("cls.", "pooler.")
FEED_FORWARD_TYPES = ("geglu", "reglu")


def is_jina_v2(config: dict[str, Any]) -> bool:
    """A JinaBERT config: BERT with ALiBi positions."""
    return config.get("model_type") == "bert" and config.get("position_embedding_type") == "alibi"


def load_jinabert(folder: Path, config: dict[str, Any]) -> JinaBertModel:
    """The JinaBERT backbone of ``folder``, its weights checked against the config."""
    kind = config.get("feed_forward_type", "geglu")
    if kind not in FEED_FORWARD_TYPES:
        raise ModelLoadError(f"{folder}: feed_forward_type {kind!r} is not one of {FEED_FORWARD_TYPES}")
    state = without_prefix(read_safetensors(folder), "bert.", IGNORED_PREFIXES)
    if "embeddings.word_embeddings.weight" not in state:
        raise ModelLoadError(f"{folder}: no embeddings.word_embeddings.weight; not a JinaBERT checkpoint")
    code_style = any(".mlp.up_gated_layer." in key for key in state)
    vocab_size = int(state["embeddings.word_embeddings.weight"].shape[0])
    model = JinaBertModel(JinaBertConfig.from_dict(config, vocab_size=vocab_size, code_style=code_style))
    check_state_dict(model, state, folder)
    model.load_state_dict(state)
    return model.eval()
