"""jina-embeddings-v5-text without its remote code: Qwen3 (small) or EuroBERT (nano) plus task adapters.

Base weights (``model.`` prefix or none, no LM head) load into transformers' ``Qwen3Model`` (causal,
q/k norms) or ``EuroBertModel`` (bidirectional); which one is read from the tensor names. Adapters are
PEFT folders ``adapters/{retrieval,text-matching,clustering,classification}/``, chosen per row like
v3's banks. API tasks: ``retrieval.query`` = retrieval adapter + ``"Query: "``; ``retrieval.passage`` and
``retrieval`` = retrieval adapter + ``"Document: "``; the others their adapter + ``"Document: "``.
A folder without adapters is a per-task pre-merged checkpoint: a plain backbone with a fixed task.
Pooling: the last real token. ../shared/CHECKPOINTS.md section 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from taskembed.encode.tokenize import TextTokenizer
from taskembed.errors import ModelLoadError
from taskembed.models.adapters import TaskRouting, install_adapters
from taskembed.models.backbone import TransformerEncoder, check_state_dict
from taskembed.models.files import read_json
from taskembed.models.info import ModelInfo
from taskembed.models.loaded import LoadedModel
from taskembed.models.peft_adapters import read_peft_adapter, stack_banks
from taskembed.models.ranges_store import find_ranges
from taskembed.models.weights import module_shapes, read_safetensors, without_prefix
from taskembed.types import Pooling

FAMILY = "jina-embeddings-v5"
ADAPTER_TASKS = ("retrieval", "text-matching", "clustering", "classification")
QUERY_PROMPT, DOCUMENT_PROMPT = "Query: ", "Document: "
IGNORED_PREFIXES = ("lm_head.",)


def is_jina_v5(config: dict[str, Any]) -> bool:
    """A v5 config: its model type, or task names over a Qwen3/EuroBERT backbone."""
    return config.get("model_type") == "jina_embeddings_v5" or (
        "task_names" in config and config.get("model_type") in ("qwen3", "eurobert")
    )


def api_tasks(
    adapter_task: str, query_prompt: str = QUERY_PROMPT, document_prompt: str = DOCUMENT_PROMPT
) -> dict[str, str]:
    """The API task names one adapter serves, with their prompts (also for adapters taskembed trains)."""
    if adapter_task == "retrieval":
        return {
            "retrieval.query": query_prompt,
            "retrieval.passage": document_prompt,
            "retrieval": document_prompt,
        }
    return {adapter_task: document_prompt}


def document_task(adapter_task: str) -> str:
    """The API task an adapter's documents run with: ``retrieval.passage`` for retrieval, else its name."""
    return "retrieval.passage" if adapter_task == "retrieval" else adapter_task


def backbone_kind(tensors: dict[str, torch.Tensor]) -> str:
    """``qwen3`` when the attention has q/k norms, else ``eurobert``."""
    return "qwen3" if any(".self_attn.q_norm." in key for key in tensors) else "eurobert"


def transformers_config(config: dict[str, Any], kind: str) -> Any:
    """Qwen3Config or EuroBertConfig from the checkpoint's config (RoPE theta as given, dropout off)."""
    from transformers import EuroBertConfig, Qwen3Config

    rope = config.get("rope_parameters") or {}
    theta = config.get("rope_theta") or rope.get("rope_theta")
    if theta is None:
        raise ModelLoadError("config.json gives no rope_theta; taskembed does not guess RoPE bases")
    fields = (
        "vocab_size",
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
        "num_key_value_heads",
        "head_dim",
        "hidden_act",
        "max_position_embeddings",
        "rms_norm_eps",
        "attention_bias",
        "mlp_bias",
        "pad_token_id",
        "bos_token_id",
        "eos_token_id",
    )
    values = {name: config[name] for name in fields if name in config}
    rope_parameters = {"rope_type": "default", "rope_theta": float(theta)}
    if kind == "qwen3":
        values.pop("mlp_bias", None)
        return Qwen3Config(**values, rope_parameters=rope_parameters, attention_dropout=0.0)
    return EuroBertConfig(**values, rope_parameters=rope_parameters, attention_dropout=0.0)


def _fixed_task(folder: Path, config: dict[str, Any]) -> str | None:
    """A pre-merged checkpoint's task: config ``task``, a single task name, or the folder name's suffix."""
    named = config.get("task") or config.get("default_task")
    if named in ADAPTER_TASKS:
        return str(named)
    names = config.get("task_names") or []
    if len(names) == 1 and names[0] in ADAPTER_TASKS:
        return str(names[0])
    return next((task for task in ADAPTER_TASKS if folder.name.endswith("-" + task)), None)


def load_jina_v5(folder: Path, name: str) -> LoadedModel:
    """Load a v5 folder: backbone, task adapters (or a pre-merged task), tokenizer, last-token pooling."""
    from transformers import EuroBertModel, Qwen3Model

    config = read_json(folder / "config.json")
    tensors = read_safetensors(folder)
    kind = backbone_kind(tensors)
    model_class = Qwen3Model if kind == "qwen3" else EuroBertModel
    model = model_class._from_config(transformers_config(config, kind), attn_implementation="sdpa")
    state = without_prefix(tensors, "model.", IGNORED_PREFIXES)
    check_state_dict(model, state, folder)
    model.load_state_dict(state, strict=False)
    model.eval()
    adapter_dir = folder / "adapters"
    adapter_names = [
        task for task in config.get("task_names", ADAPTER_TASKS) if (adapter_dir / task).is_dir()
    ]
    routing = None
    task_adapters: dict[str, int] = {}
    prompts: dict[str, str] = {}
    default_task = None
    if adapter_dir.is_dir():
        missing = [task for task in config.get("task_names", ()) if task not in adapter_names]
        if missing:
            raise ModelLoadError(f"{adapter_dir}: no adapter folder for task(s) {', '.join(missing)}")
        adapters = [read_peft_adapter(adapter_dir / task) for task in adapter_names]
        routing = TaskRouting()
        install_adapters(model, stack_banks(adapters, module_shapes(model)), routing)
        for index, task in enumerate(adapter_names):
            for api_task, prompt in api_tasks(task).items():
                task_adapters[api_task], prompts[api_task] = index, prompt
    else:
        fixed = _fixed_task(folder, config)
        if fixed is not None:
            prompts = api_tasks(fixed)
            default_task = document_task(fixed)
    hidden = int(config["hidden_size"])
    tokenizer = TextTokenizer.from_folder(folder, append_eos=bool(config.get("append_eos", False)))
    info = ModelInfo(
        name=name,
        family=FAMILY,
        path=str(folder),
        dimension=hidden,
        max_tokens=int(config.get("max_position_embeddings", 8192)),
        pooling=(Pooling.LAST_TOKEN.value,),
        normalized=True,
        tasks=tuple(prompts),
        prompts=prompts,
        default_task=default_task,
        matryoshka_dimensions=tuple(
            int(d) for d in config.get("matryoshka_dimensions") or _powers_of_two(32, hidden)
        ),
    )
    return LoadedModel(
        info=info,
        tokenizer=tokenizer,
        backbone=TransformerEncoder(model, token_type_ids=False, routing=routing),
        pooling=(Pooling.LAST_TOKEN,),
        task_adapters=task_adapters,
        ranges=find_ranges(folder, name),
    )


def _powers_of_two(low: int, high: int) -> list[int]:
    sizes = []
    size = low
    while size < high:
        sizes.append(size)
        size *= 2
    return [*sizes, high]
