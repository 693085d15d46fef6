"""sentence-transformers' Dense module: a linear layer plus an activation, loaded from safetensors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from taskembed.errors import ModelLoadError, UnsafeModelError
from taskembed.models.safety import safetensors_files

# Activations a Dense config may name; anything else is refused instead of imported.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "Tanh": nn.Tanh,
    "Identity": nn.Identity,
    "ReLU": nn.ReLU,
    "GELU": nn.GELU,
    "Sigmoid": nn.Sigmoid,
    "SiLU": nn.SiLU,
}


class DenseHead(nn.Module):
    """``activation(linear(x))`` with an optional residual connection."""

    def __init__(
        self, in_features: int, out_features: int, *, bias: bool, activation: nn.Module, residual: bool
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        self.activation = activation
        self.use_residual = residual
        self.residual = (
            nn.Linear(in_features, out_features, bias=False)
            if residual and in_features != out_features
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project ``x``."""
        out = self.activation(self.linear(x))
        if self.use_residual:
            out = out + (x if self.residual is None else self.residual(x))
        return out


def _activation(name: str | None, folder: Path) -> nn.Module:
    short = (name or "torch.nn.modules.linear.Identity").rsplit(".", 1)[-1]
    if short not in ACTIVATIONS:
        raise UnsafeModelError(
            f"{folder}/config.json names activation {name!r}; "
            "taskembed imports no code from configs and knows "
            f"only {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[short]()


def load_dense(folder: Path, config: dict[str, Any]) -> DenseHead:
    """Build a DenseHead from its folder's config.json and safetensors weights."""
    try:
        head = DenseHead(
            int(config["in_features"]),
            int(config["out_features"]),
            bias=bool(config.get("bias", True)),
            activation=_activation(config.get("activation_function"), folder),
            residual=bool(config.get("use_residual", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ModelLoadError(f"{folder}/config.json is not a Dense config: {error}") from error
    weights: dict[str, torch.Tensor] = {}
    for file in safetensors_files(folder):
        weights.update(load_file(str(file)))
    try:
        head.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        raise ModelLoadError(f"the Dense weights in {folder} do not fit its config: {error}") from error
    return head.eval()
