"""Reading a folder's safetensors weights and describing a model's adaptable layers."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from taskembed.models.safety import safetensors_files


def read_safetensors(folder: Path) -> dict[str, torch.Tensor]:
    """Every tensor of the folder's (possibly sharded) safetensors files."""
    from safetensors.torch import load_file

    tensors: dict[str, torch.Tensor] = {}
    for file in safetensors_files(folder):
        tensors.update(load_file(str(file)))
    return tensors


def without_prefix(
    tensors: dict[str, torch.Tensor], prefix: str, ignored: tuple[str, ...]
) -> dict[str, torch.Tensor]:
    """The tensors with an optional ``prefix`` stripped from their names, minus those under ``ignored``."""
    state = {}
    for key, tensor in tensors.items():
        key = key.removeprefix(prefix)
        if not key.startswith(ignored):
            state[key] = tensor
    return state


def module_shapes(model: nn.Module) -> dict[str, tuple[int, int]]:
    """(in, out) of every Linear and (rows, width) of every Embedding, by module name."""
    shapes = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            shapes[name] = (module.in_features, module.out_features)
        elif isinstance(module, nn.Embedding):
            shapes[name] = (module.num_embeddings, module.embedding_dim)
    return shapes
