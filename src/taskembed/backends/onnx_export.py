"""Export a backbone to ONNX (fp32) and quantize it to dynamic int8, into the graph cache.

The graph maps (input_ids, attention_mask) to the last hidden state; pooling and heads stay in the
shared pipeline. A task adapter is merged into a copy of the weights before export, so each task gets a
plain graph with no LoRA cost. Export uses eager attention: ONNX Runtime fuses its pattern, SDPA's
traced form runs slower.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from taskembed.backends.onnx_cache import GRAPH_FILE, META_FILE, OPSET, GraphKey
from taskembed.errors import ModelLoadError
from taskembed.models.adapters import lora_modules, merge_adapters
from taskembed.models.backbone import TransformerEncoder

# Above this many bytes quantization writes its weights to an external file (protobuf's limit is 2 GiB);
# the exporter itself switches to external data past 2 GiB.
EXTERNAL_DATA_BYTES = 1 << 30


class _HiddenState(nn.Module):
    """(input_ids, attention_mask) -> last hidden state, the signature the graph is traced with."""

    def __init__(self, model: nn.Module, token_type_ids: bool) -> None:
        super().__init__()
        self.model = model
        self.token_type_ids = token_type_ids

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        extra = {"token_type_ids": torch.zeros_like(input_ids)} if self.token_type_ids else {}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the tracer's and quantizer's notices (deprecations, trace hints, pre-processing advice)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def task_model(encoder: TransformerEncoder, task: int) -> nn.Module:
    """The transformer with task ``task`` merged in (-1: base weights); a copy when adapters exist."""
    if next(lora_modules(encoder.model), None) is None:
        return encoder.model
    model = copy.deepcopy(encoder.model)
    merge_adapters(model, task)
    return model


def export_fp32(model: nn.Module, token_type_ids: bool, path: Path) -> None:
    """Trace ``model`` to an fp32 ONNX graph with dynamic batch and sequence axes."""
    setter: Any = getattr(model, "set_attn_implementation", None)
    previous = getattr(getattr(model, "config", None), "_attn_implementation", None)
    if setter is not None:
        setter("eager")
    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    axes = {0: "batch", 1: "tokens"}
    try:
        with torch.inference_mode(False), torch.no_grad(), _quiet():
            torch.onnx.export(
                _HiddenState(model, token_type_ids).eval(),
                example,
                str(path),
                input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                opset_version=OPSET,
                dynamo=False,
            )
    except Exception as error:  # the tracer raises many types; all mean "this model does not export"
        raise ModelLoadError(
            f"cannot export {type(model).__name__} to ONNX: {error}; use --backend torch for this model"
        ) from error
    finally:
        if setter is not None and previous is not None:
            setter(previous)


def quantize_int8(source: Path, target: Path, *, keep_fp32: tuple[str, ...], reduce_range: bool) -> list[str]:
    """Dynamic int8 with per-channel weights on every MatMul except nodes named by ``keep_fp32``.

    ``reduce_range`` stores 7-bit weights, which avoids int16 saturation on CPUs without VNNI.
    Returns the names of the MatMuls kept in fp32.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    matmuls = [node.name for node in graph.node if node.op_type == "MatMul"]
    kept = [name for name in matmuls if any(pattern in name for pattern in keep_fp32)]
    with _quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=reduce_range,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=kept,
            use_external_data_format=source.stat().st_size > EXTERNAL_DATA_BYTES
            or any(p != source for p in source.parent.iterdir()),  # the exporter wrote external data
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return kept


def build_graph(encoder: TransformerEncoder, task: int, key: GraphKey, root: Path) -> Path:
    """Export (and quantize) the graph for ``key`` into its cache folder; returns the graph file."""
    target = key.folder(root)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=root))
    try:
        fp32 = work / ("fp32" if key.precision == "int8" else "") / GRAPH_FILE
        fp32.parent.mkdir(exist_ok=True)
        export_fp32(task_model(encoder, task), encoder.token_type_ids, fp32)
        meta = key.describe()
        if key.precision == "int8":
            meta["kept_fp32"] = quantize_int8(
                fp32, work / GRAPH_FILE, keep_fp32=key.keep_fp32, reduce_range=key.reduce_range
            )
            shutil.rmtree(fp32.parent)
        (work / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if target.exists():  # another process finished the same export first
            shutil.rmtree(work)
        else:
            work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target / GRAPH_FILE
