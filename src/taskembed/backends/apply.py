"""apply_runtime: switch a loaded model's backbone to the chosen engine, precision and thread count."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import torch

from taskembed.backends.onnx_cache import GraphKey, cache_root, folder_fingerprint
from taskembed.cpu_features import has_native_bf16, has_vnni
from taskembed.errors import ModelLoadError
from taskembed.extras import require_extra
from taskembed.models.backbone import TransformerEncoder
from taskembed.models.jinabert import JinaBertModel
from taskembed.models.loaded import LoadedModel
from taskembed.models.runtime import Backend, Precision, Runtime


class SlowPrecisionWarning(UserWarning):
    """The chosen precision runs without hardware support on this CPU, slower than fp32."""


def _graph_key(model: LoadedModel, fingerprint: str, runtime: Runtime, task: int) -> GraphKey:
    names = {index: name for name, index in model.task_adapters.items()}
    label = names.get(task) or (f"pinned-{model.pinned_task}" if model.pinned_task else "base")
    int8 = runtime.precision is Precision.INT8
    return GraphKey(
        model=model.info.name,
        fingerprint=fingerprint,
        task=label,
        precision=runtime.precision.value,
        reduce_range=int8 and not has_vnni(),
        keep_fp32=runtime.int8_keep_fp32,
    )


def apply_runtime(model: LoadedModel, runtime: Runtime, source: Path) -> None:
    """Set the thread count (when given) and replace or configure ``model.backbone`` for ``runtime``.

    ``source`` is the model folder; its content keys the ONNX graph cache. For ONNX, graphs of models
    without task adapters are built now and the torch weights are released; adapter models export each
    task's graph on its first use.
    """
    from taskembed.backends.onnx_backbone import OnnxBackbone

    if runtime.threads is not None:
        torch.set_num_threads(runtime.threads)
    model.runtime = runtime
    if runtime.backend is Backend.TORCH and runtime.precision is Precision.FP32:
        return  # the backbone as loaded
    encoder = model.backbone
    if not isinstance(encoder, TransformerEncoder):
        raise ModelLoadError(f"model {model.info.name} has no transformer backbone to run on {runtime.label}")
    if runtime.backend is Backend.ONNX and isinstance(encoder.model, JinaBertModel):
        raise ModelLoadError(
            f"model {model.info.name} is JinaBERT, whose ONNX export taskembed does not build yet "
            "(its ALiBi attention loops over query blocks); use --backend torch (fp32 or bf16)"
        )
    if runtime.backend is Backend.TORCH:
        if runtime.precision is Precision.BF16:
            if not has_native_bf16():
                warnings.warn(
                    "this CPU has no native bf16 (AVX-512 BF16 or AMX): bf16 matmuls are emulated and "
                    "slower than fp32; use --dtype fp32, or --backend onnx --dtype int8 for speed",
                    SlowPrecisionWarning,
                    stacklevel=3,
                )
            encoder.autocast = torch.bfloat16
        return
    require_extra("onnx", ("onnx", "onnxruntime"), "--backend onnx", ModelLoadError)
    fingerprint = folder_fingerprint(source)
    backbone = OnnxBackbone(
        encoder,
        functools.partial(_graph_key, model, fingerprint, runtime),
        cache_root(runtime.onnx_cache),
        runtime.thread_count,
        tasks=len(set(model.task_adapters.values())),
    )
    if not model.task_adapters:
        backbone.session(-1)  # the only graph: built now, then the torch weights are released
    model.backbone = backbone
