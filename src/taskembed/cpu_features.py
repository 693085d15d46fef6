"""What the CPU can do natively, read from /proc/cpuinfo (Linux); unknown elsewhere counts as absent."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The instruction-set flags of the first CPU, empty when the platform does not say."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def has_native_bf16() -> bool:
    """True when bf16 matmuls run in hardware (AVX-512 BF16 or AMX); else torch emulates them slowly."""
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def has_vnni() -> bool:
    """True when int8 dot products have VNNI; without it 8-bit weights can saturate int16 sums."""
    return bool({"avx512_vnni", "avx_vnni"} & cpu_flags())
