"""jina-embeddings-v3 without its remote code: both checkpoint layouts on transformers' JinaEmbeddingsV3Model.

Original layout (``model_type: xlm-roberta`` + ``lora_adaptations``): parametrized weights whose LoRA
banks are stacked per task. HF-native layout (``model_type: jina_embeddings_v3``): base weights in the
fused naming plus one PEFT folder per task (``retrieval_query/`` ...). Both become the same model: base
weights renamed to transformers' names (``mixer.Wqkv`` split into q, k, v) and one LoRA bank per layer
chosen per row (see ``taskembed.models.adapters``). ../shared/CHECKPOINTS.md sections 1-2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from taskembed.encode.tokenize import TextTokenizer
from taskembed.errors import ModelLoadError
from taskembed.models.adapters import Bank, TaskRouting, install_adapters
from taskembed.models.backbone import TransformerEncoder, check_state_dict
from taskembed.models.files import read_json
from taskembed.models.info import ModelInfo
from taskembed.models.loaded import LoadedModel
from taskembed.models.peft_adapters import PeftAdapter, read_peft_adapter, stack_banks
from taskembed.models.ranges_store import find_ranges
from taskembed.models.weights import module_shapes, read_safetensors
from taskembed.types import Pooling

FAMILY = "jina-embeddings-v3"
DEFAULT_THETA = 20000.0
IGNORED_PREFIXES = ("pooler.", "lm_head.", "cls.")
_PARAMETRIZED = re.compile(
    r"^(?P<module>.+)\.parametrizations\.weight\.(?P<part>original|0\.lora_A|0\.lora_B)$"
)
# Fused (original) module names -> transformers' names, applied segment by segment.
_RENAMES = (
    (r"^emb_ln\b", "embeddings.LayerNorm"),
    (r"^encoder\.layers\.", "layers."),
    (r"\.mixer\.out_proj$", ".self_attn.o_proj"),
    (r"\.norm1$", ".post_attention_layernorm"),
    (r"\.norm2$", ".post_mlp_layernorm"),
)


def is_jina_v3(config: dict[str, Any]) -> bool:
    """A v3 config: the HF-native model type, or XLM-R with task adapters or rotary positions."""
    if config.get("model_type") == "jina_embeddings_v3":
        return True
    return config.get("model_type") == "xlm-roberta" and (
        "lora_adaptations" in config or config.get("position_embedding_type") == "rotary"
    )


def hf_modules(module: str) -> list[str]:
    """Transformers' module name(s) for a checkpoint module name; ``mixer.Wqkv`` becomes q, k and v."""
    module = module.removeprefix("roberta.")
    for pattern, replacement in _RENAMES:
        module = re.sub(pattern, replacement, module)
    if module.endswith(".mixer.Wqkv"):
        stem = module.removesuffix(".mixer.Wqkv")
        return [f"{stem}.self_attn.{p}_proj" for p in "qkv"]
    return [module]


def _split_rows(tensor: torch.Tensor, parts: int, dim: int) -> list[torch.Tensor]:
    if tensor.shape[dim] % parts:
        raise ModelLoadError(f"a fused Wqkv tensor of shape {list(tensor.shape)} does not split into q, k, v")
    return list(torch.chunk(tensor, parts, dim=dim))


def convert_checkpoint(
    tensors: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, tuple[torch.Tensor, torch.Tensor]]]:
    """Base state dict in transformers' names, and the stacked (A, B) banks of the original layout."""
    state: dict[str, torch.Tensor] = {}
    raw_banks: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        key = key.removeprefix("roberta.")
        if key.startswith(IGNORED_PREFIXES):
            continue
        parametrized = _PARAMETRIZED.match(key)
        if parametrized is not None:
            module, part = parametrized["module"], parametrized["part"]
            if part == "original":
                param = "weight"
            else:
                raw_banks.setdefault(module, {})[part[-6:]] = tensor
                continue
        else:
            module, _, param = key.rpartition(".")
        names = hf_modules(module)
        pieces = [tensor] if len(names) == 1 else _split_rows(tensor, 3, 0)
        for name, piece in zip(names, pieces, strict=True):
            state[f"{name}.{param}"] = piece
    banks = {}
    for module, parts in raw_banks.items():
        if set(parts) != {"lora_A", "lora_B"}:
            raise ModelLoadError(f"LoRA bank of {module} is incomplete (has {', '.join(sorted(parts))})")
        names = hf_modules(module)
        b_parts = [parts["lora_B"]] if len(names) == 1 else _split_rows(parts["lora_B"], 3, 1)
        for name, b in zip(names, b_parts, strict=True):
            banks[name] = (parts["lora_A"], b)
    return state, banks


def transformers_config(config: dict[str, Any]) -> Any:
    """The JinaEmbeddingsV3Config of transformers from either layout's config.json (dropout off)."""
    from transformers import JinaEmbeddingsV3Config

    rope = config.get("rope_parameters") or {}
    theta = (
        config.get("rotary_emb_base") or rope.get("rope_theta") or config.get("rope_theta") or DEFAULT_THETA
    )
    fields = (
        "vocab_size",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "hidden_act",
        "max_position_embeddings",
        "type_vocab_size",
        "layer_norm_eps",
        "pad_token_id",
        "bos_token_id",
        "eos_token_id",
    )
    return JinaEmbeddingsV3Config(
        **{name: config[name] for name in fields if name in config},
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        rope_parameters={"rope_type": "default", "rope_theta": float(theta)},
    )


def _task_folder(folder: Path, task: str) -> Path | None:
    names = (task.replace(".", "_").replace("-", "_"), task)
    candidates = [root / name for root in (folder, folder / "adapters") for name in names]
    return next((c for c in candidates if (c / "adapter_config.json").is_file()), None)


def _peft_banks(folder: Path, tasks: list[str], shapes: dict[str, tuple[int, int]]) -> dict[str, Bank]:
    """Banks from the HF-native layout's PEFT folders (fused or split module names both accepted)."""
    adapters = []
    for task in tasks:
        task_dir = _task_folder(folder, task)
        if task_dir is None:
            raise ModelLoadError(
                f"{folder}: no adapter folder for task {task!r} "
                f"(expected {task.replace('.', '_').replace('-', '_')}/adapter_config.json)"
            )
        adapter = read_peft_adapter(task_dir)
        pairs = {}
        for module, pair in adapter.pairs.items():
            if module.removeprefix("roberta.").startswith(IGNORED_PREFIXES):
                continue
            names = hf_modules(module)
            b_parts = [pair.b] if len(names) == 1 else _split_rows(pair.b, 3, 0)
            for name, b in zip(names, b_parts, strict=True):
                pairs[name] = type(pair)(pair.a, b, pair.embedding)
        adapters.append(PeftAdapter(pairs=pairs, scale=adapter.scale))
    return stack_banks(adapters, shapes)


def _stacked_banks(
    raw: dict[str, tuple[torch.Tensor, torch.Tensor]], tasks: list[str], config: dict[str, Any]
) -> dict[str, Bank]:
    """Banks of the original layout, scale = lora_alpha / lora_rank."""
    if "lora_rank" not in config:
        raise ModelLoadError(
            "config.json has LoRA banks but no lora_rank (needed for the scale alpha / rank)"
        )
    scale = float(config.get("lora_alpha", 1)) / int(config["lora_rank"])
    banks = {}
    for module, (a, b) in raw.items():
        if a.shape[0] != len(tasks) or b.shape[0] != len(tasks):
            raise ModelLoadError(
                f"the LoRA bank of {module} holds {a.shape[0]} tasks but lora_adaptations lists "
                f"{len(tasks)} ({', '.join(tasks)}); the checkpoint and its config disagree"
            )
        banks[module] = Bank(a=a.float(), b=b.float(), scale=torch.full((len(tasks),), scale))
    return banks


def _check_bank_shapes(
    model: torch.nn.Module, banks: dict[str, Bank], shapes: dict[str, tuple[int, int]]
) -> None:
    for module, bank in banks.items():
        if module not in shapes:
            raise ModelLoadError(f"a LoRA bank targets {module!r}, which the model does not have")
        size_in, size_out = shapes[module]
        embedding = isinstance(model.get_submodule(module), torch.nn.Embedding)
        fits = (
            (bank.a.shape[1] == size_in and bank.b.shape[2] == size_out)
            if embedding
            else (bank.a.shape[2] == size_in and bank.b.shape[1] == size_out)
        )
        if not fits:
            raise ModelLoadError(
                f"the LoRA bank of {module} has shapes A {list(bank.a.shape)}, B {list(bank.b.shape)}, "
                f"which do not fit the layer ({size_in} -> {size_out})"
            )


def load_jina_v3(folder: Path, name: str) -> LoadedModel:
    """Load either v3 layout from ``folder``: backbone, task banks, instructions and tokenizer."""
    from transformers import JinaEmbeddingsV3Model

    config = read_json(folder / "config.json")
    tasks = [str(task) for task in config.get("lora_adaptations", [])]
    model = JinaEmbeddingsV3Model._from_config(
        transformers_config(config), attn_implementation="sdpa", add_pooling_layer=False
    )
    state, raw_banks = convert_checkpoint(read_safetensors(folder))
    check_state_dict(model, state, folder)
    model.load_state_dict(state, strict=False)
    model.eval()
    shapes = module_shapes(model)
    if raw_banks:
        banks = _stacked_banks(raw_banks, tasks, config)
        _check_bank_shapes(model, banks, shapes)
    elif tasks:
        banks = _peft_banks(folder, tasks, shapes)
    else:
        banks = {}
    routing = TaskRouting()
    install_adapters(model, banks, routing)
    tokenizer = TextTokenizer.from_folder(folder)
    instructions = {str(k): str(v) for k, v in (config.get("task_instructions") or {}).items()}
    info = ModelInfo(
        name=name,
        family=FAMILY,
        path=str(folder),
        dimension=int(config["hidden_size"]),
        max_tokens=int(config.get("max_position_embeddings", 8194)) - 2,
        pooling=(Pooling.MEAN.value,),
        normalized=True,
        tasks=tuple(tasks),
        prompts={task: instructions.get(task, "") for task in tasks},
        matryoshka_dimensions=tuple(int(d) for d in config.get("matryoshka_dimensions", ())),
    )
    return LoadedModel(
        info=info,
        tokenizer=tokenizer,
        backbone=TransformerEncoder(model, token_type_ids=False, routing=routing if banks else None),
        pooling=(Pooling.MEAN,),
        task_adapters={task: index for index, task in enumerate(tasks)} if banks else {},
        ranges=find_ranges(folder, name),
    )
