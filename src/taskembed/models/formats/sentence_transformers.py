"""sentence-transformers folders: modules.json, Transformer, Pooling, Dense, Normalize, prompts.

A plain transformers folder (no modules.json) loads as sentence-transformers would load it:
mean pooling, no normalization. The Transformer is any transformers encoder, a T5 encoder (the
decoder weights are ignored, as sentence-transformers does; jina-embeddings v1), or JinaBERT
(jina-embeddings-v2, our own implementation).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from taskembed.encode.tokenize import TextTokenizer
from taskembed.errors import ModelLoadError
from taskembed.models.backbone import TransformerEncoder, load_transformer
from taskembed.models.dense import load_dense
from taskembed.models.files import read_json, read_optional_json
from taskembed.models.formats.jina_v2 import FAMILY as JINA_V2_FAMILY
from taskembed.models.formats.jina_v2 import is_jina_v2, load_jinabert
from taskembed.models.info import ModelInfo
from taskembed.models.loaded import LoadedModel
from taskembed.models.ranges_store import find_ranges
from taskembed.types import Pooling, valid_values

FAMILY = "sentence-transformers"
# Legacy Pooling config keys, in the order sentence-transformers concatenates their outputs.
LEGACY_POOLING_KEYS = {
    "pooling_mode_cls_token": Pooling.CLS,
    "pooling_mode_max_tokens": Pooling.MAX,
    "pooling_mode_mean_tokens": Pooling.MEAN,
    "pooling_mode_mean_sqrt_len_tokens": Pooling.MEAN_SQRT_LEN,
    "pooling_mode_weightedmean_tokens": Pooling.WEIGHTED_MEAN,
    "pooling_mode_lasttoken": Pooling.LAST_TOKEN,
}
DEFAULT_MODULES: list[dict[str, Any]] = [
    {"path": "", "type": "sentence_transformers.models.Transformer"},
    {"path": "", "type": "sentence_transformers.models.Pooling", "default": True},
]
# Model types whose position ids start after the padding index, which costs two positions.
OFFSET_POSITION_TYPES = {"roberta", "xlm-roberta", "camembert", "longformer"}


@dataclass
class Modules:
    """What modules.json describes, read into plain values."""

    transformer_dir: Path
    pooling: tuple[Pooling, ...] = (Pooling.MEAN,)
    include_prompt: bool = True
    heads: list[nn.Module] = field(default_factory=list)
    out_features: int | None = None
    normalize: bool = False


def parse_pooling(config: dict[str, Any], where: Path) -> tuple[tuple[Pooling, ...], bool]:
    """Pooling modes (new ``pooling_mode`` or legacy boolean keys) and ``include_prompt``."""
    if "pooling_mode" in config:
        raw = config["pooling_mode"]
        names = [raw] if isinstance(raw, str) else list(raw)
    else:
        names = [mode.value for key, mode in LEGACY_POOLING_KEYS.items() if config.get(key)]
    try:
        modes = tuple(Pooling(name) for name in names) or (Pooling.MEAN,)
    except ValueError:
        raise ModelLoadError(
            f"{where}: unknown pooling mode in {names}; known: {valid_values(Pooling)}"
        ) from None
    return modes, bool(config.get("include_prompt", True))


def _read_modules(folder: Path) -> Modules:
    entries = read_json(folder / "modules.json") if (folder / "modules.json").is_file() else DEFAULT_MODULES
    modules = Modules(transformer_dir=folder)
    for entry in entries:
        kind = str(entry.get("type", "")).rsplit(".", 1)[-1]
        where = folder / str(entry.get("path", ""))
        if kind == "Transformer":
            modules.transformer_dir = where
        elif kind == "Pooling":
            modules.pooling, modules.include_prompt = parse_pooling(
                read_optional_json(where / "config.json"), where
            )
        elif kind == "Dense":
            config = read_json(where / "config.json")
            modules.heads.append(load_dense(where, config))
            modules.out_features = int(config["out_features"])
        elif kind == "Normalize":
            modules.normalize = True
        else:
            raise ModelLoadError(
                f"{folder / 'modules.json'}: module type {entry.get('type')!r} is not supported; "
                "taskembed runs Transformer, Pooling, Dense and Normalize modules"
            )
    return modules


def _max_tokens(transformer_dir: Path, config: dict[str, Any], tokenizer_limit: int | None) -> int:
    st_config = read_optional_json(transformer_dir / "sentence_bert_config.json")
    if st_config.get("max_seq_length"):
        return int(st_config["max_seq_length"])
    positions = int(config.get("max_position_embeddings", 512))
    if config.get("model_type") in OFFSET_POSITION_TYPES:
        positions -= 2
    return min(positions, tokenizer_limit) if tokenizer_limit else positions


def _tokenizer_limit(transformer_dir: Path) -> int | None:
    limit = read_optional_json(transformer_dir / "tokenizer_config.json").get("model_max_length")
    return int(limit) if isinstance(limit, int | float) and limit < 1_000_000 else None


def _prompts(folder: Path) -> tuple[dict[str, str], str | None]:
    config = read_optional_json(folder / "config_sentence_transformers.json")
    prompts = {str(k): str(v) for k, v in (config.get("prompts") or {}).items()}
    default = config.get("default_prompt_name")
    return prompts, default if default in prompts else None


def _backbone(folder: Path, config: dict[str, Any]) -> nn.Module:
    if is_jina_v2(config):  # its auto_map names remote code; ours runs instead
        return load_jinabert(folder, config)
    return load_transformer(folder)


def load_sentence_transformers(folder: Path, name: str) -> LoadedModel:
    """Load a sentence-transformers (or plain transformers) folder."""
    modules = _read_modules(folder)
    tdir = modules.transformer_dir
    st_config = read_optional_json(tdir / "sentence_bert_config.json")
    tokenizer = TextTokenizer.from_folder(tdir, lowercase=bool(st_config.get("do_lower_case", False)))
    config = read_json(tdir / "config.json")
    model = _backbone(tdir, config)
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters  # T5 has none
    encoder = TransformerEncoder(model, token_type_ids=tokenizer.token_type_ids and takes_types)
    hidden = int(config.get("hidden_size") or config.get("d_model") or 0)
    prompts, default_task = _prompts(folder)
    info = ModelInfo(
        name=name,
        family=JINA_V2_FAMILY if is_jina_v2(config) else FAMILY,
        path=str(folder),
        dimension=modules.out_features or hidden * len(modules.pooling),
        max_tokens=_max_tokens(tdir, config, _tokenizer_limit(tdir)),
        pooling=tuple(mode.value for mode in modules.pooling),
        normalized=modules.normalize,
        tasks=tuple(prompts),
        prompts=prompts,
        default_task=default_task,
    )
    return LoadedModel(
        info=info,
        tokenizer=tokenizer,
        backbone=encoder,
        pooling=modules.pooling,
        include_prompt=modules.include_prompt,
        heads=tuple(modules.heads),
        ranges=find_ranges(folder, name),
    )
