"""Runtime: which engine runs the backbone (torch or ONNX Runtime), at which precision, on how many threads.

Everything before the backbone (tokenizing, prompts, batching) and after it (pooling, heads, Matryoshka,
quantized outputs) is the same for every runtime; only the transformer forward changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from taskembed.errors import InputError
from taskembed.types import valid_values


class Backend(StrEnum):
    """The engine that runs the transformer."""

    TORCH = "torch"
    ONNX = "onnx"


class Precision(StrEnum):
    """Arithmetic of the backbone: fp32 (exact), bf16 (torch autocast) or int8 (ONNX Runtime dynamic)."""

    FP32 = "fp32"
    BF16 = "bf16"
    INT8 = "int8"


SUPPORTED = {
    Backend.TORCH: (Precision.FP32, Precision.BF16),
    Backend.ONNX: (Precision.FP32, Precision.INT8),
}


def available_cores() -> int:
    """Cores this process may run on (CPU affinity, cgroup-restricted containers included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Runtime:
    """How to run a model's backbone; ``Runtime()`` is torch fp32 on every available core.

    ``onnx_cache`` is where exported ONNX graphs live (default ``$TASKEMBED_CACHE/onnx`` or
    ``~/.cache/taskembed/onnx``); ``int8_keep_fp32`` lists substrings of ONNX node names kept in fp32
    when quantizing (layers that lose accuracy).
    """

    backend: Backend = Backend.TORCH
    precision: Precision = Precision.FP32
    threads: int | None = None
    onnx_cache: Path | None = None
    int8_keep_fp32: tuple[str, ...] = ()

    @classmethod
    def create(
        cls,
        backend: str = "torch",
        dtype: str = "fp32",
        *,
        threads: int | None = None,
        onnx_cache: str | Path | None = None,
        int8_keep_fp32: tuple[str, ...] | list[str] = (),
    ) -> Runtime:
        """Validate user-facing strings into a Runtime; errors name the valid choices."""
        try:
            chosen_backend = Backend(backend)
        except ValueError:
            raise InputError(f"unknown backend {backend!r}; choose one of: {valid_values(Backend)}") from None
        try:
            chosen_precision = Precision(dtype)
        except ValueError:
            raise InputError(f"unknown dtype {dtype!r}; choose one of: {valid_values(Precision)}") from None
        if chosen_precision not in SUPPORTED[chosen_backend]:
            valid = ", ".join(p.value for p in SUPPORTED[chosen_backend])
            hint = "--backend onnx for int8" if chosen_precision is Precision.INT8 else "--backend torch"
            raise InputError(f"dtype {dtype} is not available on the {backend} backend ({valid}); use {hint}")
        if threads is not None and threads < 1:
            raise InputError(f"threads must be at least 1, got {threads}")
        if int8_keep_fp32 and chosen_precision is not Precision.INT8:
            raise InputError("int8_keep_fp32 only applies to --backend onnx --dtype int8")
        return cls(
            backend=chosen_backend,
            precision=chosen_precision,
            threads=threads,
            onnx_cache=Path(onnx_cache) if onnx_cache is not None else None,
            int8_keep_fp32=tuple(int8_keep_fp32),
        )

    @property
    def thread_count(self) -> int:
        """Intra-op threads: as asked, else every available core."""
        return self.threads or available_cores()

    @property
    def identity(self) -> str:
        """What changes the vectors: backend, precision and the layers kept in fp32 (threads do not)."""
        return self.label + "".join(f"+keep:{pattern}" for pattern in self.int8_keep_fp32)

    @property
    def label(self) -> str:
        """Short name such as ``onnx-int8`` for logs, metrics and benchmark tables."""
        return f"{self.backend.value}-{self.precision.value}"
