"""PEFT LoRA adapter folders (``adapter_config.json`` + ``adapter_model.safetensors``) -> LoRA banks."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from taskembed.errors import ModelLoadError
from taskembed.models.adapters import Bank
from taskembed.models.files import read_json

# base_model.model.<module>.lora_A[.<adapter name>].weight, or .lora_embedding_A[.<adapter name>]
_KEY = re.compile(
    r"^(?P<module>.+?)\.(?P<part>lora_A|lora_B|lora_embedding_A|lora_embedding_B)(\.[^.]+)?(\.weight)?$"
)
PREFIXES = ("base_model.model.", "model.")


@dataclass(frozen=True)
class LoRAPair:
    """One module's low-rank pair in bank orientation (see ``taskembed.models.adapters``)."""

    a: torch.Tensor
    b: torch.Tensor
    embedding: bool

    @property
    def rank(self) -> int:
        """The pair's rank r."""
        return int(self.a.shape[1] if self.embedding else self.a.shape[0])


@dataclass(frozen=True)
class PeftAdapter:
    """One task's low-rank pairs per module and its scale (alpha / r, or alpha / sqrt(r) with rsLoRA)."""

    pairs: dict[str, LoRAPair]
    scale: float


def read_peft_adapter(folder: Path, rename: Callable[[str], str] = lambda name: name) -> PeftAdapter:
    """Read a PEFT LoRA folder; ``rename`` maps a module path (prefixes stripped) to the model's name."""
    from safetensors.torch import load_file

    config_path, weights = folder / "adapter_config.json", folder / "adapter_model.safetensors"
    if not weights.is_file():
        others = sorted(p.name for p in folder.glob("adapter_model.*"))
        hint = f" (found {', '.join(others)}; only safetensors is loaded)" if others else ""
        raise ModelLoadError(f"{folder}: adapter_model.safetensors is missing{hint}")
    config = read_json(config_path)
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise ModelLoadError(f"{config_path}: peft_type {config.get('peft_type')!r} is not LORA")
    rank, alpha = int(config.get("r", 8)), float(config.get("lora_alpha", 8))
    scale = alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank
    parts: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in load_file(str(weights)).items():
        name = key
        for prefix in PREFIXES:
            name = name.removeprefix(prefix)
        match = _KEY.match(name)
        if match is None:
            raise ModelLoadError(f"{weights}: unexpected tensor {key!r} (not a LoRA A/B weight)")
        parts.setdefault(match["module"], {})[match["part"]] = tensor.float()
    pairs = {}
    for module, found in parts.items():
        if {"lora_A", "lora_B"} <= set(found):
            pair = LoRAPair(found["lora_A"], found["lora_B"], embedding=False)
        elif {"lora_embedding_A", "lora_embedding_B"} <= set(found):
            pair = LoRAPair(found["lora_embedding_A"].T, found["lora_embedding_B"].T, embedding=True)
        else:
            raise ModelLoadError(f"{weights}: module {module} has only {', '.join(sorted(found))}")
        pairs[rename(module)] = pair
    return PeftAdapter(pairs=pairs, scale=scale)


def stack_banks(adapters: Sequence[PeftAdapter], shapes: dict[str, tuple[int, int]]) -> dict[str, Bank]:
    """One bank per module over the tasks in order; a task without a module gets zeros there.

    ``shapes`` gives each module's (in, out) sizes (Embedding: (V, H)). Ranks may differ per task;
    smaller ones are zero-padded, which leaves their product unchanged.
    """
    banks = {}
    for module in sorted({m for adapter in adapters for m in adapter.pairs}):
        if module not in shapes:
            raise ModelLoadError(f"an adapter targets {module!r}, which the model does not have")
        size_in, size_out = shapes[module]
        found = [(task, a.pairs[module]) for task, a in enumerate(adapters) if module in a.pairs]
        rank, embedding, count = max(p.rank for _, p in found), found[0][1].embedding, len(adapters)
        a_bank = torch.zeros((count, size_in, rank) if embedding else (count, rank, size_in))
        b_bank = torch.zeros((count, rank, size_out) if embedding else (count, size_out, rank))
        for task, pair in found:
            r = pair.rank
            want_a, want_b = ((size_in, r), (r, size_out)) if embedding else ((r, size_in), (size_out, r))
            for name, tensor, want in (("A", pair.a, want_a), ("B", pair.b, want_b)):
                if pair.embedding != embedding or tuple(tensor.shape) != want:
                    raise ModelLoadError(
                        f"adapter {task} tensor {module} lora_{name} has shape {list(tensor.shape)}, "
                        f"which does not fit the model (expected {list(want)})"
                    )
            if embedding:
                a_bank[task, :, :r], b_bank[task, :r, :] = pair.a, pair.b
            else:
                a_bank[task, :r, :], b_bank[task, :, :r] = pair.a, pair.b
        banks[module] = Bank(a=a_bank, b=b_bank, scale=torch.tensor([a.scale for a in adapters]))
    return banks
