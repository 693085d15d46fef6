"""Measured matrix-multiply peaks of this machine, the denominators of the roofline in throughput.py.

Shapes are the transformer's own (tokens x hidden times hidden x FFN); the best of several is the
peak. ``ort_*`` run a one-node ONNX graph in ONNX Runtime; ``int8`` is its dynamic-quantized form.

    .venv/bin/python bench/gemm_peak.py
"""

from __future__ import annotations

import functools
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

SHAPES = ((2048, 384, 1536), (2048, 1536, 384), (4096, 768, 3072))


def _rate(run: Callable[[], object], flop: float, seconds: float = 0.6) -> float:
    for _ in range(3):
        run()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        count += 1
    return flop * count / (time.perf_counter() - start) / 1e9


def _ort_session(path: Path, weight: np.ndarray, quantize: bool) -> Any:
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "W"], ["Y"], name="gemm")],
        "gemm",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [None, weight.shape[0]])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, weight.shape[1]])],
        [numpy_helper.from_array(weight, "W")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        logging.getLogger().setLevel(logging.ERROR)  # its "consider pre-processing" notice
        quantize_dynamic(str(path), str(path), weight_type=QuantType.QInt8, per_channel=True)
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def measure_peaks() -> dict[str, float]:
    """GFLOP/s (GOP/s for int8) of torch fp32/bf16 and ONNX Runtime fp32/int8, best over SHAPES."""
    peaks = {"torch_fp32": 0.0, "torch_bf16": 0.0, "ort_fp32": 0.0, "ort_int8": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for m, k, n in SHAPES:
            a, w = torch.randn(m, k), torch.randn(k, n)
            flop = 2.0 * m * k * n
            rates = {
                "torch_fp32": _rate(functools.partial(torch.matmul, a, w), flop),
                "torch_bf16": _rate(functools.partial(torch.matmul, a.bfloat16(), w.bfloat16()), flop, 0.3),
            }
            for name, quantize in (("ort_fp32", False), ("ort_int8", True)):
                session = _ort_session(Path(tmp) / f"{name}-{m}-{k}.onnx", w.numpy(), quantize)
                rates[name] = _rate(functools.partial(session.run, None, {"A": a.numpy()}), flop)
            peaks = {name: max(value, rates[name]) for name, value in peaks.items()}
    return peaks


if __name__ == "__main__":
    for name, value in measure_peaks().items():
        print(f"{name:<12}{value:>8.1f} GFLOP/s")
