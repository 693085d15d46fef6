"""Tiny random jina-embeddings-v2 (JinaBERT) checkpoints in the published layout (../shared/CHECKPOINTS.md 5).

Tensors are written by name and shape from the layout, not from taskembed's module, so a layout slip
in taskembed cannot hide in the factory. en-style folders use the bundled model's WordPiece
tokenizer; code-style folders a RoBERTa-style BPE (``<s>``=0, ``<pad>``=1, ``</s>``=2) without
token_type_ids.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file
from tests.factories.jina_v3 import CORPUS
from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
from tokenizers.models import BPE
from tokenizers.trainers import BpeTrainer

from taskembed.models.resolve import bundled_model_dir

WORDPIECE_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def _bpe_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=500,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer=trainer)
    tokenizer.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=False)
    return tokenizer


def v2_tensors(
    *, vocab: int, hidden: int, layers: int, heads: int, inner: int, code: bool, seed: int
) -> dict[str, torch.Tensor]:
    """Random weights under the published names (no prefix, no head)."""
    generator = torch.Generator().manual_seed(seed)

    def randn(*shape: int, scale: float = 0.2) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * scale

    def norm(name: str) -> dict[str, torch.Tensor]:
        return {f"{name}.weight": 1 + randn(hidden, scale=0.1), f"{name}.bias": randn(hidden, scale=0.1)}

    tensors = {
        "embeddings.word_embeddings.weight": randn(vocab, hidden, scale=1.0),
        "embeddings.token_type_embeddings.weight": randn(2, hidden, scale=1.0),
        **norm("embeddings.LayerNorm"),
    }
    for n in range(layers):
        p = f"encoder.layer.{n}."
        for part in ("query", "key", "value"):
            tensors[f"{p}attention.self.{part}.weight"] = randn(hidden, hidden)
            tensors[f"{p}attention.self.{part}.bias"] = randn(hidden)
        tensors[f"{p}attention.output.dense.weight"] = randn(hidden, hidden)
        tensors[f"{p}attention.output.dense.bias"] = randn(hidden)
        tensors.update(norm(f"{p}attention.output.LayerNorm"))
        if code:
            tensors.update(norm(f"{p}attention.self.layer_norm_q"))
            tensors.update(norm(f"{p}attention.self.layer_norm_k"))
            tensors.update(norm(f"{p}layer_norm_1"))
            tensors.update(norm(f"{p}layer_norm_2"))
            tensors[f"{p}mlp.up_gated_layer.weight"] = randn(2 * inner, hidden)
            tensors[f"{p}mlp.down_layer.weight"] = randn(hidden, inner)
            tensors[f"{p}mlp.down_layer.bias"] = randn(hidden)
        else:
            tensors[f"{p}mlp.gated_layers.weight"] = randn(2 * inner, hidden)
            tensors[f"{p}mlp.wo.weight"] = randn(hidden, inner)
            tensors[f"{p}mlp.wo.bias"] = randn(hidden)
            tensors.update(norm(f"{p}mlp.layernorm"))
    return tensors


def write_v2(
    folder: Path,
    *,
    code: bool = False,
    heads: int = 12,
    hidden: int = 48,
    layers: int = 2,
    inner: int = 64,
    feed_forward: str = "geglu",
    prefix: str = "",
    seed: int = 0,
) -> tuple[Path, dict[str, torch.Tensor]]:
    """A v2 folder (config with auto_map, weights with a pooler and an MLM head, tokenizer, mean
    pooling modules) and its tensors without prefix or heads."""
    folder.mkdir(parents=True, exist_ok=True)
    if code:
        tokenizer = _bpe_tokenizer()
        tokenizer.save(str(folder / "tokenizer.json"))
        tokenizer_config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<s>",
            "pad_token": "<pad>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "model_input_names": ["input_ids", "attention_mask"],
            "model_max_length": 8192,
        }
        (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
        vocab = tokenizer.get_vocab_size()
    else:
        for name in WORDPIECE_FILES:
            shutil.copy(bundled_model_dir() / name, folder / name)
        vocab = 30528  # v2-en pads BERT's 30522 to a multiple of 64
    tensors = v2_tensors(
        vocab=vocab, hidden=hidden, layers=layers, heads=heads, inner=inner, code=code, seed=seed
    )
    stored = {prefix + key: value for key, value in tensors.items()}
    stored[prefix + "pooler.dense.weight"] = torch.zeros(hidden, hidden)
    stored[prefix + "pooler.dense.bias"] = torch.zeros(hidden)
    stored["cls.predictions.bias"] = torch.zeros(vocab)
    save_file(stored, str(folder / "model.safetensors"))
    config = {
        "architectures": ["JinaBertForMaskedLM"],
        "model_type": "bert",
        "auto_map": {"AutoModel": "jinaai/jina-bert-implementation--modeling_bert.JinaBertModel"},
        "position_embedding_type": "alibi",
        "feed_forward_type": feed_forward,
        "emb_pooler": "mean",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": inner,
        "max_position_embeddings": 8192,
        "layer_norm_eps": 1e-12,
        "type_vocab_size": 2,
        "vocab_size": vocab,
        "hidden_act": "gelu",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True})
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 8192}))
    return folder, tensors
