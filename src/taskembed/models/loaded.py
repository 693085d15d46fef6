"""LoadedModel: everything the pipeline needs from a checkpoint, whatever its family."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from torch import nn

from taskembed.encode.tokenize import TextTokenizer
from taskembed.errors import InputError
from taskembed.models.adapters import merge_adapters
from taskembed.models.info import ModelInfo
from taskembed.models.runtime import Runtime
from taskembed.quantization_ranges import QuantizationRanges
from taskembed.types import Pooling


@dataclass
class LoadedModel:
    """A backbone with its tokenizer, pooling, optional heads (Dense) and quantization ranges.

    ``task_adapters`` maps a task name to its adapter in the backbone's LoRA banks; tasks without an
    entry (and no task) run on the base weights.
    """

    info: ModelInfo
    tokenizer: TextTokenizer
    backbone: nn.Module
    pooling: tuple[Pooling, ...]
    include_prompt: bool = True
    heads: tuple[nn.Module, ...] = ()
    ranges: dict[int, QuantizationRanges] = field(default_factory=dict)
    task_adapters: dict[str, int] = field(default_factory=dict)
    runtime: Runtime = field(default_factory=Runtime)
    pinned_task: str | None = None  # the task merged into the weights by ``pin``

    def adapter_of(self, task: str | None) -> int:
        """The adapter index a task runs with (-1: base weights)."""
        return self.task_adapters.get(task, -1) if task is not None else -1

    def pin(self, task: str) -> None:
        """Serve one task only: merge its adapter into the weights (no LoRA cost) and make it the default."""
        if task not in self.info.tasks:
            valid = ", ".join(self.info.tasks) or "none"
            raise InputError(f"cannot pin task {task!r}: model {self.info.name} has tasks: {valid}")
        if self.task_adapters:
            merge_adapters(self.backbone, self.adapter_of(task))
            if hasattr(self.backbone, "routing"):
                setattr(self.backbone, "routing", None)  # noqa: B010 - any backbone type
            self.task_adapters = {}
        self.pinned_task = task
        prompts = {task: self.info.prompts[task]} if task in self.info.prompts else {}
        self.info = replace(self.info, tasks=(task,), prompts=prompts, default_task=task)
