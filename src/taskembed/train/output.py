"""Write a trained student as a taskembed checkpoint folder (a sentence-transformers folder plus a manifest).

Layout: the backbone (``config.json``, ``model.safetensors``), the tokenizer, ``modules.json`` with
``1_Pooling/`` (and ``2_Dense/`` when the projection is kept) and ``Normalize``, ``taskembed.json`` (tasks,
prompts, pooling, Matryoshka dimensions, how it was trained), ``quantization_ranges.json`` (int8/uint8
ranges from training texts) and ``projection/`` (the student -> teacher projection, reused by stage 2).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from safetensors.torch import save_file
from torch import nn

from taskembed.calibration import calibrate_model
from taskembed.encode.embedder import Embedder
from taskembed.models.dense import DenseHead
from taskembed.models.loaded import LoadedModel
from taskembed.models.manifest import MANIFEST_FILE, Manifest
from taskembed.quantization_ranges import RANGES_FILE, save_ranges_file
from taskembed.train.losses.distillation import EmbeddingDistillationLoss
from taskembed.train.student import backbone_model

PROJECTION_DIR = "projection"
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "sentencepiece.bpe.model",
    "tokenizer.model",
    "merges.txt",
    "vocab.json",
    "added_tokens.json",
)


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _write_dense(folder: Path, head: DenseHead) -> None:
    """A sentence-transformers Dense folder: config.json plus model.safetensors."""
    config = {
        "in_features": head.linear.in_features,
        "out_features": head.linear.out_features,
        "bias": head.linear.bias is not None,
        "activation_function": f"torch.nn.modules.activation.{type(head.activation).__name__}",
        "use_residual": head.use_residual,
    }
    _write_json(folder / "config.json", config)
    save_file(
        {k: v.detach().contiguous() for k, v in head.state_dict().items()}, str(folder / "model.safetensors")
    )


def projection_head(loss: EmbeddingDistillationLoss) -> DenseHead:
    """The projection as a Dense head (identity activation, no bias) sharing the trained weight."""
    weight = loss.projection.weight
    head = DenseHead(weight.shape[1], weight.shape[0], bias=False, activation=nn.Identity(), residual=False)
    head.linear.weight = weight
    return head


def _modules(model: LoadedModel) -> list[dict[str, Any]]:
    modules: list[dict[str, Any]] = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    for _ in model.heads:
        index = len(modules)
        modules.append(
            {
                "idx": index,
                "name": str(index),
                "path": f"{index}_Dense",
                "type": "sentence_transformers.models.Dense",
            }
        )
    if model.info.normalized:
        index = len(modules)
        modules.append(
            {
                "idx": index,
                "name": str(index),
                "path": f"{index}_Normalize",
                "type": "sentence_transformers.models.Normalize",
            }
        )
    return modules


def write_model_folder(
    model: LoadedModel,
    destination: Path,
    *,
    tokenizer_dir: Path,
    manifest: Manifest,
    loss: EmbeddingDistillationLoss | None = None,
    calibration_texts: list[str] | None = None,
) -> None:
    """Write ``model`` (as it serves: backbone, pooling, heads) to ``destination``, atomically."""
    tmp = destination.with_name(destination.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    backbone_model(model).save_pretrained(str(tmp))
    for name in TOKENIZER_FILES:
        if (tokenizer_dir / name).is_file():
            shutil.copy2(tokenizer_dir / name, tmp / name)
    _write_json(
        tmp / "sentence_bert_config.json",
        {"max_seq_length": model.info.max_tokens, "do_lower_case": model.tokenizer.lowercase},
    )
    modes = [mode.value for mode in model.pooling]
    pooling = {
        "word_embedding_dimension": int(backbone_model(model).config.hidden_size),
        "pooling_mode": modes[0] if len(modes) == 1 else modes,
        "include_prompt": model.include_prompt,
    }
    _write_json(tmp / "1_Pooling" / "config.json", pooling)
    modules = _modules(model)
    _write_json(tmp / "modules.json", modules)
    for entry, head in zip(modules[2:], model.heads, strict=False):
        assert isinstance(head, DenseHead)
        _write_dense(tmp / entry["path"], head)
    if manifest.prompts:
        _write_json(
            tmp / "config_sentence_transformers.json",
            {"prompts": manifest.prompts, "default_prompt_name": manifest.default_task},
        )
    if loss is not None:
        weight = loss.projection.weight.detach().contiguous()
        (tmp / PROJECTION_DIR).mkdir()
        save_file({"weight": weight}, str(tmp / PROJECTION_DIR / "model.safetensors"))
        _write_json(
            tmp / PROJECTION_DIR / "config.json",
            {"in_features": weight.shape[1], "out_features": weight.shape[0]},
        )
    if calibration_texts:
        dims = sorted({*manifest.matryoshka_dimensions, model.info.dimension})
        ranges = calibrate_model(Embedder(model), calibration_texts, dims, task=manifest.default_task)
        save_ranges_file(tmp / RANGES_FILE, ranges, f"{len(calibration_texts)} training texts")
    served = {
        "dimension": model.info.dimension,
        "max_tokens": model.info.max_tokens,
        "pooling": [mode.value for mode in model.pooling],
        "normalized": model.info.normalized,
        "quantization_ranges": RANGES_FILE if calibration_texts else None,
        "projection": PROJECTION_DIR if loss is not None else None,
    }
    write_manifest(tmp, manifest, served)
    publish_folder(tmp, destination)


def write_manifest(folder: Path, manifest: Manifest, served: dict[str, Any]) -> None:
    """``taskembed.json``: the manifest plus the ``model`` block (what the folder serves)."""
    _write_json(folder / MANIFEST_FILE, {**manifest.to_json(), "model": served})


def publish_folder(tmp: Path, destination: Path) -> None:
    """Replace ``destination`` by the finished ``tmp`` folder."""
    if destination.exists():
        shutil.rmtree(destination)
    tmp.rename(destination)
