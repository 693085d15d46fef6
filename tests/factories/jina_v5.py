"""Tiny random jina-embeddings-v5-text checkpoints in the published layout (../shared/CHECKPOINTS.md 3).

The backbone is a real transformers Qwen3Model (GQA, q/k norms) or EuroBertModel with random weights;
the task adapters are written by peft itself (``get_peft_model`` + ``save_pretrained``), so their files
are exactly what PEFT produces.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from tests.factories.jina_v3 import CORPUS
from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
from tokenizers.models import BPE
from tokenizers.trainers import BpeTrainer

TASKS = ["retrieval", "text-matching", "clustering", "classification"]
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
SPECIALS = ["<|endoftext|>", "<|begin_of_text|>", "<|end_of_text|>", "<|pad|>"]


def byte_level_tokenizer(kind: str) -> Tokenizer:
    """A byte-level BPE; EuroBERT-style wraps inputs in begin/end tokens, Qwen3-style adds nothing."""
    tokenizer = Tokenizer(BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer=trainer)
    if kind == "eurobert":
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A <|end_of_text|>",
            special_tokens=[("<|begin_of_text|>", 1), ("<|end_of_text|>", 2)],
        )
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def backbone_config(kind: str, vocab: int, *, hidden: int = 64, layers: int = 2, max_positions: int = 1024):
    """A small Qwen3Config (GQA 4/2 heads, head_dim 16) or EuroBertConfig."""
    from transformers import EuroBertConfig, Qwen3Config

    common = {
        "vocab_size": vocab,
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": 4,
        "max_position_embeddings": max_positions,
        "pad_token_id": 3,
        "bos_token_id": 1,
        "eos_token_id": 0,
    }
    if kind == "qwen3":
        return Qwen3Config(
            **common,
            num_key_value_heads=2,
            head_dim=hidden // 4,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 3_500_000.0},
            tie_word_embeddings=True,
        )
    return EuroBertConfig(
        **common,
        num_key_value_heads=4,
        rms_norm_eps=1e-5,
        rope_parameters={"rope_type": "default", "rope_theta": 1e6},
    )


def random_backbone(kind: str, vocab: int, seed: int = 0, **sizes) -> torch.nn.Module:
    """The transformers model with random weights (norm weights perturbed too)."""
    from transformers import EuroBertModel, Qwen3Model

    torch.manual_seed(seed)
    config = backbone_config(kind, vocab, **sizes)
    model = (Qwen3Model if kind == "qwen3" else EuroBertModel)(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "norm" in name:
                parameter.add_(torch.randn_like(parameter) * 0.1)
    return model


def add_peft_adapter(
    base: torch.nn.Module, folder: Path, seed: int, *, rank: int = 4, alpha: int = 8
) -> None:
    """Save a random LoRA adapter for ``base`` with peft (both A and B random so it matters)."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=TARGETS)
    peft_model = get_peft_model(copy.deepcopy(base), config)
    with torch.no_grad():
        for name, parameter in peft_model.named_parameters():
            if "lora_" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.2)
    peft_model.save_pretrained(str(folder))


def write_v5(
    folder: Path,
    kind: str,
    *,
    prefix: str = "",
    adapters: bool = True,
    merged_task: str | None = None,
    **sizes,
) -> tuple[Path, torch.nn.Module]:
    """A v5 folder (base weights, tokenizer, adapters/<task>/) and its in-memory base model.

    ``merged_task`` writes a pre-merged checkpoint instead: that task's adapter folded into the base.
    """
    from peft import PeftModel

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = byte_level_tokenizer(kind)
    base = random_backbone(kind, tokenizer.get_vocab_size(), **sizes)
    if adapters or merged_task:
        for index, task in enumerate(TASKS):
            add_peft_adapter(base, folder / "adapters" / task, seed=100 + index)
    weights = base
    if merged_task is not None:
        merged = PeftModel.from_pretrained(copy.deepcopy(base), str(folder / "adapters" / merged_task))
        weights = merged.merge_and_unload()
        for task in TASKS:
            for file in (folder / "adapters" / task).iterdir():
                file.unlink()
            (folder / "adapters" / task).rmdir()
        (folder / "adapters").rmdir()
    state = {f"{prefix}{key}": value.contiguous() for key, value in weights.state_dict().items()}
    if kind == "qwen3":
        state.pop(f"{prefix}lm_head.weight", None)
    save_file(state, str(folder / "model.safetensors"))
    config = base.config.to_dict()
    config.update(
        model_type="jina_embeddings_v5",
        architectures=["JinaEmbeddingsV5Model"],
        task_names=[merged_task] if merged_task else TASKS,
        rope_theta=base.config.rope_parameters["rope_theta"],
        auto_map={"AutoModel": "jinaai/jina-embeddings-v5-text--modeling.JinaEmbeddingsV5Model"},
    )
    (folder / "config.json").write_text(json.dumps(config, indent=2, default=str))
    tokenizer.save(str(folder / "tokenizer.json"))
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "pad_token": "<|pad|>",
        "eos_token": "<|endoftext|>",
        "model_max_length": base.config.max_position_embeddings,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    return folder, base
