"""Losses run in fp32 even inside a bf16 autocast region.

A temperature of 0.02 turns cosines into logits near 50, where bf16 steps by 0.25: that would drown
the signal (and make N-process runs drift from one process).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

F = TypeVar("F", bound=Callable[..., Any])


def _full(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.float()
    if isinstance(value, dict):
        return {key: _full(item) for key, item in value.items()}
    return value


def full_precision(forward: F) -> F:
    """Run a loss's ``forward`` with autocast off and its floating-point tensor arguments in fp32."""

    @functools.wraps(forward)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        with contextlib.ExitStack() as stack:
            for device in ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",):
                stack.enter_context(torch.autocast(device, enabled=False))
            return forward(self, *(_full(a) for a in args), **{k: _full(v) for k, v in kwargs.items()})

    return wrapped  # type: ignore[return-value]
