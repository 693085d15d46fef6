"""The student: a checkpoint (optionally cut to a subset of its layers) or a randomly initialized backbone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
from torch import nn

from taskembed.encode.tokenize import TextTokenizer
from taskembed.errors import InputError
from taskembed.models.backbone import TransformerEncoder
from taskembed.models.info import ModelInfo
from taskembed.models.load import load_model
from taskembed.models.loaded import LoadedModel
from taskembed.models.resolve import resolve
from taskembed.train.config import StudentConfig
from taskembed.types import Pooling, valid_values

# Parts of a transformers model that sentence embeddings never use (BERT's pooler): frozen, so they get
# no optimizer state and DDP does not wait for their gradients.
UNUSED_PREFIXES = ("model.pooler.",)


def layer_list(model: Any) -> nn.ModuleList:
    """The transformer's stack of layers: the ModuleList as long as ``config.num_hidden_layers``."""
    count = int(getattr(model.config, "num_hidden_layers", -1))
    for module in model.modules():
        if isinstance(module, nn.ModuleList) and len(module) == count:
            return module
    raise InputError(f"cannot find the {count} layers of this {type(model).__name__} to select from")


def keep_layers(model: Any, indices: list[int]) -> None:
    """Keep only the layers ``indices`` (in that order), e.g. layers 0, 2, 4 of a 6-layer teacher."""
    layers = layer_list(model)
    bad = [i for i in indices if not 0 <= i < len(layers)]
    if bad:
        raise InputError(f"student.layers {bad} out of range: the model has layers 0..{len(layers) - 1}")
    kept = [layers[i] for i in indices]
    for new_index, layer in enumerate(kept):
        for module in layer.modules():
            if hasattr(module, "layer_idx"):
                setattr(module, "layer_idx", new_index)  # noqa: B010 - any attention class
    parents = [(parent, attr) for parent in model.modules() for attr, child in parent.named_children()]
    for parent, attr in parents:
        if getattr(parent, attr) is layers:
            setattr(parent, attr, nn.ModuleList(kept))
    model.config.num_hidden_layers = len(kept)
    if isinstance(getattr(model.config, "layer_types", None), list):
        model.config.layer_types = [model.config.layer_types[i] for i in indices]


def _from_architecture(config: StudentConfig, seed: int) -> LoadedModel:
    from transformers import AutoConfig, AutoModel

    assert config.architecture is not None and config.tokenizer is not None
    folder = resolve(config.tokenizer).path
    tokenizer = TextTokenizer.from_folder(folder)
    fields: dict[str, Any] = dict(config.architecture)
    model_type = str(fields.pop("model_type"))
    fields.setdefault("vocab_size", tokenizer.vocab_size)
    try:
        hf_config = AutoConfig.for_model(model_type, **fields)
    except (ValueError, TypeError) as error:
        raise InputError(f"student.architecture is not a valid {model_type!r} config: {error}") from None
    try:
        pooling = Pooling(config.pooling)
    except ValueError:
        raise InputError(f"student.pooling {config.pooling!r}: use one of {valid_values(Pooling)}") from None
    torch.manual_seed(seed)
    model = AutoModel.from_config(hf_config, attn_implementation="sdpa")
    hidden = int(hf_config.hidden_size)
    info = ModelInfo(
        name="student",
        family="taskembed",
        path="",
        dimension=hidden,
        max_tokens=int(getattr(hf_config, "max_position_embeddings", 512)),
        pooling=(pooling.value,),
        normalized=config.normalize,
    )
    encoder = TransformerEncoder(model, token_type_ids=tokenizer.token_type_ids)
    return LoadedModel(info=info, tokenizer=tokenizer, backbone=encoder, pooling=(pooling,))


def build_student(config: StudentConfig, seed: int) -> LoadedModel:
    """Load or create the student as a LoadedModel whose torch backbone can be trained."""
    if config.model is None:
        student = _from_architecture(config, seed)
    else:
        student = load_model(config.model)
        if student.task_adapters:
            raise InputError(
                f"student.model {config.model} has task adapters; stage 1 trains a plain backbone "
                "(start from its base weights, or a per-task merged checkpoint)"
            )
        if config.layers is not None:
            keep_layers(backbone_model(student), config.layers)
    if config.max_tokens is not None:
        student.info = replace(student.info, max_tokens=config.max_tokens)
    freeze_parameters(student, config.freeze)
    for head in student.heads:
        head.requires_grad_(True)
    return student


def freeze_parameters(student: LoadedModel, prefixes: list[str]) -> None:
    """Train every backbone parameter except BERT's pooler and those under ``prefixes``.

    Prefixes name parameters of the transformers model, e.g. ``embeddings.`` or ``encoder.layer.0.``.
    """
    names = [name.removeprefix("model.") for name, _ in student.backbone.named_parameters()]
    unmatched = [p for p in prefixes if not any(name.startswith(p) for name in names)]
    if unmatched:
        raise InputError(
            f"student.freeze {unmatched} matches no parameter; names start like: "
            + ", ".join(sorted({".".join(n.split(".")[:2]) for n in names})[:8])
        )
    for name, parameter in student.backbone.named_parameters():
        frozen = name.startswith(UNUSED_PREFIXES) or name.removeprefix("model.").startswith(tuple(prefixes))
        parameter.requires_grad_(not frozen)


def backbone_model(student: LoadedModel) -> Any:
    """The transformers model (a ``PreTrainedModel``) inside the student's TransformerEncoder."""
    if not isinstance(student.backbone, TransformerEncoder):
        raise InputError("the student must run on the torch backend to be trained")
    return student.backbone.model
