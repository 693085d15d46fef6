"""Tiny random jina-embeddings-v3 checkpoints in the exact published layouts (../shared/CHECKPOINTS.md 1-2).

``V3Weights`` holds one set of random tensors in the original naming; it writes the original layout
(parametrized weights + stacked LoRA banks), the HF-native layout (fused base weights + one PEFT folder
per task) and, for references, a merged plain HF-native folder for one task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram
from tokenizers.trainers import UnigramTrainer

TASKS = ["retrieval.query", "retrieval.passage", "separation", "classification", "text-matching"]
INSTRUCTIONS = {
    "retrieval.query": "Represent the query for retrieving evidence documents: ",
    "retrieval.passage": "Represent the document for retrieval: ",
    "separation": "",
    "classification": "",
    "text-matching": "",
}
CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Represent the query for retrieving evidence documents: what is a fox?",
    "Represent the document for retrieval: foxes are small omnivorous mammals.",
    "Embeddings map text to vectors; similar meanings land close together.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "Numbers 0123456789 and symbols !?.,;:-()[] appear in text too.",
]


def xlmr_tokenizer(vocab_size: int) -> Tokenizer:
    """An XLM-R-style Unigram tokenizer: <s>=0, <pad>=1, </s>=2, <unk>=3, <mask> last."""
    tokenizer = Tokenizer(Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = UnigramTrainer(
        vocab_size=vocab_size - 1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer=trainer)
    tokenizer.add_special_tokens(["<mask>"])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return tokenizer


@dataclass
class V3Weights:
    """Random v3 weights in the original naming: base tensors and LoRA banks (A, B) per module."""

    hidden: int = 64
    layers: int = 2
    heads: int = 4
    intermediate: int = 128
    rank: int = 4
    alpha: float = 1.0
    theta: float = 10000.0
    max_positions: int = 514
    seed: int = 0
    vocab: int = 0  # at least the tokenizer's size; larger adds unused rows (for realistic sizes)
    tokenizer: Tokenizer = field(init=False)
    base: dict[str, torch.Tensor] = field(init=False)
    banks: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(init=False)

    def __post_init__(self) -> None:
        self.tokenizer = xlmr_tokenizer(400)
        self.vocab = max(self.vocab, self.tokenizer.get_vocab_size())
        generator = torch.Generator().manual_seed(self.seed)

        def rand(*shape: int, std: float = 0.1) -> torch.Tensor:
            return torch.randn(*shape, generator=generator) * std

        h, i, t, r, v = self.hidden, self.intermediate, len(TASKS), self.rank, self.vocab
        self.base = {
            "embeddings.word_embeddings": rand(v, h, std=0.5),
            "embeddings.token_type_embeddings": rand(1, h),
            "emb_ln.weight": 1 + rand(h),
            "emb_ln.bias": rand(h),
        }
        self.banks = {
            "embeddings.word_embeddings": (rand(t, v, r, std=0.3), rand(t, r, h, std=0.3)),
            "embeddings.token_type_embeddings": (rand(t, 1, r, std=0.3), rand(t, r, h, std=0.3)),
        }
        linear = {"mixer.Wqkv": (3 * h, h), "mixer.out_proj": (h, h), "mlp.fc1": (i, h), "mlp.fc2": (h, i)}
        for layer in range(self.layers):
            stem = f"encoder.layers.{layer}"
            for name, (out, inp) in linear.items():
                self.base[f"{stem}.{name}"] = rand(out, inp, std=inp**-0.5)
                self.base[f"{stem}.{name}.bias"] = rand(out)
                self.banks[f"{stem}.{name}"] = (rand(t, r, inp, std=0.3), rand(t, out, r, std=0.3))
            for norm in ("norm1", "norm2"):
                self.base[f"{stem}.{norm}.weight"] = 1 + rand(h)
                self.base[f"{stem}.{norm}.bias"] = rand(h)
        self.base["pooler.dense"] = rand(h, h)
        self.base["pooler.dense.bias"] = rand(h)
        self.banks["pooler.dense"] = (rand(t, r, h), rand(t, h, r))

    @property
    def scale(self) -> float:
        """LoRA scale s = alpha / rank."""
        return self.alpha / self.rank

    def is_parametrized(self, module: str) -> bool:
        """Modules stored as ``parametrizations.weight.original`` (every Linear and Embedding)."""
        return module in self.banks

    def merged(self, task: str | None) -> dict[str, torch.Tensor]:
        """Base tensors with task ``task`` folded in by CHECKPOINTS.md's formula (no task: base)."""
        tensors = {}
        for module, weight in self.base.items():
            if module in self.banks and task is not None:
                a, b = self.banks[module]
                index = TASKS.index(task)
                embedding = module.startswith("embeddings.")
                delta = a[index] @ b[index] if embedding else b[index] @ a[index]
                weight = weight + self.scale * delta
            tensors[module if module.endswith((".weight", ".bias")) else f"{module}.weight"] = weight
        return tensors

    def config(self, model_type: str) -> dict:
        """config.json for either layout."""
        config = {
            "model_type": model_type,
            "vocab_size": self.vocab,
            "hidden_size": self.hidden,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "intermediate_size": self.intermediate,
            "hidden_act": "gelu",
            "max_position_embeddings": self.max_positions,
            "type_vocab_size": 1,
            "layer_norm_eps": 1e-5,
            "pad_token_id": 1,
            "bos_token_id": 0,
            "eos_token_id": 2,
            "position_embedding_type": "rotary",
            "rotary_emb_base": self.theta,
            "lora_adaptations": TASKS,
            "lora_rank": self.rank,
            "lora_alpha": self.alpha,
            "lora_main_params_trainable": False,
            "matryoshka_dimensions": [16, 32, 64],
            "task_instructions": INSTRUCTIONS,
        }
        if model_type == "jina_embeddings_v3":
            config["architectures"] = ["JinaEmbeddingsV3Model"]
            config["rope_parameters"] = {"rope_type": "default", "rope_theta": self.theta}
        else:
            config["architectures"] = ["XLMRobertaLoRA"]
            config["auto_map"] = {
                "AutoModel": "jinaai/xlm-roberta-flash-implementation--modeling_lora.XLMRobertaLoRA"
            }
        return config

    def _write_common(self, folder: Path, config: dict) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(config, indent=2))
        self.tokenizer.save(str(folder / "tokenizer.json"))
        tokenizer_config = {
            "tokenizer_class": "XLMRobertaTokenizer",
            "bos_token": "<s>",
            "eos_token": "</s>",
            "pad_token": "<pad>",
            "unk_token": "<unk>",
            "mask_token": "<mask>",
            "cls_token": "<s>",
            "sep_token": "</s>",
            "model_max_length": self.max_positions,
        }
        (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
        return folder

    def write_original(self, folder: Path, *, prefix: str = "roberta.", tasks: int | None = None) -> Path:
        """The original layout; ``tasks`` stores banks of another size (to test the error)."""
        tensors = {}
        for module, weight in self.base.items():
            if self.is_parametrized(module):
                a, b = self.banks[module]
                stem = f"{prefix}{module}.parametrizations.weight"
                tensors[f"{stem}.original"] = weight
                tensors[f"{stem}.0.lora_A"] = a[:tasks].contiguous()
                tensors[f"{stem}.0.lora_B"] = b[:tasks].contiguous()
            else:
                tensors[f"{prefix}{module}"] = weight
        folder.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(folder / "model.safetensors"))
        return self._write_common(folder, self.config("xlm-roberta"))

    def write_hf_native(
        self, folder: Path, *, split_qkv: bool = True, prefix: str = "base_model.model."
    ) -> Path:
        """Fused base weights plus PEFT folders ``retrieval_query/`` ...; LoRA keys split or fused."""
        folder.mkdir(parents=True, exist_ok=True)
        save_file(self.merged(None), str(folder / "model.safetensors"))
        for index, task in enumerate(TASKS):
            self.write_peft(
                folder / task.replace(".", "_").replace("-", "_"), index, split_qkv=split_qkv, prefix=prefix
            )
        return self._write_common(folder, self.config("jina_embeddings_v3"))

    def write_peft(self, folder: Path, index: int, *, split_qkv: bool, prefix: str) -> None:
        """One task's PEFT folder, mapped from bank ``index`` by CHECKPOINTS.md's rules."""
        folder.mkdir(parents=True, exist_ok=True)
        h = self.hidden
        tensors = {}
        for module, (a, b) in self.banks.items():
            if module.startswith("embeddings."):
                tensors[f"{prefix}{module}.lora_embedding_A"] = a[index].T.contiguous()
                tensors[f"{prefix}{module}.lora_embedding_B"] = b[index].T.contiguous()
            elif module.endswith("mixer.Wqkv") and split_qkv:
                stem = module.replace("encoder.layers.", "layers.").removesuffix(".mixer.Wqkv")
                for p, name in enumerate("qkv"):
                    tensors[f"{prefix}{stem}.self_attn.{name}_proj.lora_A.weight"] = a[index].clone()
                    tensors[f"{prefix}{stem}.self_attn.{name}_proj.lora_B.weight"] = b[index][
                        p * h : (p + 1) * h
                    ].contiguous()
            else:
                name = module
                if split_qkv:
                    name = name.replace("encoder.layers.", "layers.").replace(
                        "mixer.out_proj", "self_attn.o_proj"
                    )
                tensors[f"{prefix}{name}.lora_A.weight"] = a[index].contiguous()
                tensors[f"{prefix}{name}.lora_B.weight"] = b[index].contiguous()
        save_file(tensors, str(folder / "adapter_model.safetensors"))
        config = {
            "peft_type": "LORA",
            "r": self.rank,
            "lora_alpha": self.alpha,
            "lora_dropout": 0.0,
            "target_modules": [
                "word_embeddings",
                "token_type_embeddings",
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "fc1",
                "fc2",
                "dense",
            ],
        }
        (folder / "adapter_config.json").write_text(json.dumps(config))

    def write_merged_reference(self, folder: Path, task: str | None) -> Path:
        """A plain HF-native folder whose base weights have ``task`` merged in (for transformers)."""
        folder.mkdir(parents=True, exist_ok=True)
        save_file(self.merged(task), str(folder / "model.safetensors"))
        config = self.config("jina_embeddings_v3")
        for key in ("lora_adaptations", "task_instructions"):
            config.pop(key)
        return self._write_common(folder, config)
