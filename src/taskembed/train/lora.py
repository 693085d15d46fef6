"""LoRA task adapters through peft: wrap the frozen backbone, save the runtime's layout, average checkpoints.

The saved folder is peft's own (``adapter_config.json`` + ``adapter_model.safetensors`` with keys
``base_model.model.<module>.lora_A.weight``), the layout jina-embeddings-v5 ships under
``adapters/<task>/`` and taskembed's loader reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from taskembed.errors import InputError
from taskembed.train.checkpoint import WEIGHTS_FILE
from taskembed.train.config import AdapterConfig
from taskembed.train.student import layer_list


def default_target_modules(model: nn.Module) -> str:
    """A regex (peft matches it against whole module names) for every Linear in the transformer blocks.

    For BERT that is query/key/value and the three dense layers of each block (not the unused pooler);
    for Qwen3 or EuroBERT q/k/v/o and gate/up/down, as v5 trains them.
    """
    layers = layer_list(model)
    stack = next(name for name, module in model.named_modules() if module is layers)
    leaves = sorted(
        {name.rsplit(".", 1)[-1] for name, module in layers.named_modules() if isinstance(module, nn.Linear)}
    )
    if not leaves:
        raise InputError(f"the {type(model).__name__} blocks have no Linear layers to adapt")
    return rf"{re.escape(stack)}\.\d+\.(?:.*\.)?(?:{'|'.join(map(re.escape, leaves))})"


def wrap_with_lora(model: nn.Module, config: AdapterConfig) -> Any:
    """The model as a peft model with one trainable LoRA (B starts at zero: training starts at the base)."""
    from peft import LoraConfig, get_peft_model

    targets: str | list[str] = config.target_modules or default_target_modules(model)
    lora = LoraConfig(
        task_type="FEATURE_EXTRACTION",
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
    )
    try:
        return get_peft_model(model, lora)
    except ValueError as error:
        raise InputError(f"adapter.target_modules {targets!r} do not fit this model: {error}") from None


@contextmanager
def base_weights(peft_model: Any) -> Iterator[None]:
    """Run the peft model without its adapter (the frozen base model), e.g. for relational distillation."""
    with peft_model.disable_adapter():
        yield


def save_adapter(peft_model: Any, folder: Path) -> None:
    """Write peft's adapter folder, without a base-model path (the adapter lives inside its model folder)."""
    peft_model.peft_config["default"].base_model_name_or_path = None
    peft_model.save_pretrained(str(folder), safe_serialization=True)
    for extra in folder.glob("README.md"):
        extra.unlink()


def average_trainable(module: nn.Module, checkpoints: list[Path]) -> None:
    """Replace ``module``'s trainable parameters by their mean over the checkpoints' weights."""
    names = [name for name, parameter in module.named_parameters() if parameter.requires_grad]
    sums: dict[str, torch.Tensor] = {}
    for folder in checkpoints:
        weights = load_file(str(folder / WEIGHTS_FILE))
        for name in names:
            sums[name] = sums.get(name, 0) + weights[name].double()
    parameters = dict(module.named_parameters())
    with torch.no_grad():
        for name in names:
            parameters[name].copy_((sums[name] / len(checkpoints)).to(parameters[name].dtype))
