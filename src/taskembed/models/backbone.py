"""Backbones from transformers, loaded from safetensors only and checked for missing weights."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import torch
from torch import nn

from taskembed.errors import ModelLoadError
from taskembed.models.adapters import TaskRouting
from taskembed.models.files import read_json
from taskembed.models.safety import refuse_remote_code, safetensors_files

# Weights a sentence-embedding checkpoint may lack or carry without harm (task heads, buffers).
IGNORED_KEY_PARTS = ("pooler.", "cls.", "lm_head", "position_ids")
# Encoder-decoder model types whose encoder alone embeds (as sentence-transformers loads them).
ENCODER_DECODER_TYPES = ("t5", "mt5", "umt5")


class TransformerEncoder(nn.Module):
    """A transformers model reduced to (input_ids, attention_mask[, task ids]) -> last hidden state.

    With ``routing`` (installed task adapters) each row runs under its task's adapter (-1 = base
    weights); passes are serialized because the routing belongs to the model. ``autocast`` (e.g.
    ``torch.bfloat16``) runs the matmuls in that dtype with fp32 weights kept; the output is fp32.
    """

    def __init__(self, model: nn.Module, *, token_type_ids: bool, routing: TaskRouting | None = None) -> None:
        super().__init__()
        self.model = model
        self.token_type_ids = token_type_ids
        self.routing = routing
        self.autocast: torch.dtype | None = None
        self._lock = threading.Lock()

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, task_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Run the transformer and return its last hidden state (B, L, H) in fp32."""
        if self.routing is None:
            if task_ids is not None and bool((task_ids >= 0).any()):
                raise ValueError("this backbone has no task adapters")
            return self._hidden(input_ids, attention_mask)
        with self._lock:
            self.routing.set(task_ids)
            try:
                return self._hidden(input_ids, attention_mask)
            finally:
                self.routing.set(None)

    def _hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        extra = {"token_type_ids": torch.zeros_like(input_ids)} if self.token_type_ids else {}
        if self.autocast is None:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        with torch.autocast("cpu", dtype=self.autocast):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        return hidden.float()


def _relevant(keys: list[str]) -> list[str]:
    return [key for key in keys if not any(part in key for part in IGNORED_KEY_PARTS)]


def load_transformer(folder: Path, *, dtype: torch.dtype = torch.float32) -> nn.Module:
    """Load ``folder`` with ``AutoModel`` (SDPA attention), refusing pickle, remote code and misfits.

    T5-family configs load their encoder only (``T5EncoderModel``); the decoder weights are ignored.
    """
    from transformers import AutoModel, T5EncoderModel
    from transformers.utils import logging as hf_logging

    config = read_json(folder / "config.json")
    refuse_remote_code(config, folder)
    encoder_only = config.get("model_type") in ENCODER_DECODER_TYPES
    model_class: Any = T5EncoderModel if encoder_only else AutoModel
    safetensors_files(folder)
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # transformers' per-tensor loading bar is noise for our users
    try:
        model, loading = model_class.from_pretrained(
            str(folder),
            attn_implementation="sdpa",
            use_safetensors=True,
            trust_remote_code=False,
            dtype=dtype,
            output_loading_info=True,
        )
    except (OSError, ValueError, RuntimeError) as error:
        raise ModelLoadError(f"cannot load the weights in {folder}: {error}") from error
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    missing = _relevant(list(loading.get("missing_keys", [])))
    unexpected = _relevant(list(loading.get("unexpected_keys", [])))
    if encoder_only:
        unexpected = [key for key in unexpected if not key.startswith("decoder.")]
    mismatched = list(loading.get("mismatched_keys", []))
    if missing or unexpected or mismatched:
        raise ModelLoadError(
            f"the weights in {folder} do not fit its config (missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}, "
            f"wrong shape {mismatched[:5]}); the checkpoint may be corrupt or need an architecture "
            "taskembed does not implement"
        )
    return model.eval()


def check_state_dict(model: nn.Module, state: dict[str, torch.Tensor], folder: Path) -> None:
    """Refuse weights that do not fit ``model``: name the missing, unexpected and misshapen tensors."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshapen = [
        f"{key} {list(state[key].shape)} (expected {list(expected[key].shape)})"
        for key in sorted(set(state) & set(expected))
        if state[key].shape != expected[key].shape
    ]
    problems = [
        f"{label}: {', '.join(items[:5])}{' ...' if len(items) > 5 else ''}"
        for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", misshapen))
        if items
    ]
    if problems:
        raise ModelLoadError(
            f"the weights in {folder} do not fit its config ({'; '.join(problems)}); "
            "the checkpoint may be corrupt or incomplete"
        )
