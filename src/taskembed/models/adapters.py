"""Task LoRA adapters: chosen per row, so one forward pass serves a batch that mixes tasks.

A *bank* holds every task's low-rank pair for one layer. For task t and scale s[t]:
Linear ``W_t = W + s[t] * B[t] @ A[t]`` (A [T, r, in], B [T, out, r]);
Embedding ``E_t = E + s[t] * A[t] @ B[t]`` (A [T, V, r], B [T, r, H]).

Rows that share a task are gathered and get that task's low-rank term in one matmul pair; rows with
task -1 see the base weights. A model pinned to one task merges that task into the weights instead
(``merge_adapters``), so it pays nothing for LoRA.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional


@dataclass(frozen=True)
class Bank:
    """Every task's (A, B) pair for one layer, with a scale per task (zeros where a task has none)."""

    a: torch.Tensor
    b: torch.Tensor
    scale: torch.Tensor

    @property
    def tasks(self) -> int:
        """How many tasks the bank holds."""
        return int(self.a.shape[0])


class TaskRouting:
    """Which rows of the current batch use which task; set by the backbone before every forward."""

    def __init__(self) -> None:
        self.groups: list[tuple[int, torch.Tensor | None]] = []

    def set(self, task_ids: torch.Tensor | None) -> None:
        """Group rows by task (-1 = base weights); one group covering every row needs no gather."""
        self.groups = []
        if task_ids is None:
            return
        for task in torch.unique(task_ids).tolist():
            if task < 0:
                continue
            rows = torch.nonzero(task_ids == task).flatten()
            self.groups.append((int(task), None if rows.numel() == task_ids.numel() else rows))


class TaskLoRA(nn.Module):
    """A Linear or Embedding plus per-row task LoRA from a bank; subclasses give the low-rank maths."""

    scale: torch.Tensor

    def __init__(self, base: nn.Linear | nn.Embedding, bank: Bank, routing: TaskRouting) -> None:
        super().__init__()
        self.base = base
        self.routing = routing
        self.lora_a = nn.Parameter(bank.a.to(base.weight.dtype), requires_grad=False)
        self.lora_b = nn.Parameter(bank.b.to(base.weight.dtype), requires_grad=False)
        self.register_buffer("scale", bank.scale.to(base.weight.dtype), persistent=False)

    def delta(self, x: torch.Tensor, task: int) -> torch.Tensor:
        """Task ``task``'s low-rank term for inputs ``x``."""
        raise NotImplementedError

    def weight_delta(self, task: int) -> torch.Tensor:
        """Task ``task``'s change to the base weight."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Base output plus each row group's task term."""
        out = self.base(x)
        for task, rows in self.routing.groups:
            if rows is None:
                out = out + self.delta(x, task)
            else:
                out = out.index_add(0, rows, self.delta(x.index_select(0, rows), task))
        return out

    def merged(self, task: int) -> nn.Linear | nn.Embedding:
        """The base module with task ``task`` folded into its weight (-1: the base weights as they are)."""
        if task >= 0:
            with torch.no_grad():
                self.base.weight += self.weight_delta(task)
        return self.base


class LoRALinear(TaskLoRA):
    """Linear: ``W_t = W + s[t] * B[t] @ A[t]``."""

    def delta(self, x: torch.Tensor, task: int) -> torch.Tensor:
        """Task ``task``'s low-rank term for inputs ``x``."""
        low_rank = functional.linear(x, self.lora_a[task])
        return functional.linear(low_rank, self.lora_b[task]) * self.scale[task]

    def weight_delta(self, task: int) -> torch.Tensor:
        """``s[t] * B[t] @ A[t]``."""
        return (self.lora_b[task] @ self.lora_a[task]) * self.scale[task]


class LoRAEmbedding(TaskLoRA):
    """Embedding: ``E_t = E + s[t] * A[t] @ B[t]``."""

    def delta(self, x: torch.Tensor, task: int) -> torch.Tensor:
        """Task ``task``'s low-rank term for token ids ``x``."""
        return functional.embedding(x, self.lora_a[task]) @ self.lora_b[task] * self.scale[task]

    def weight_delta(self, task: int) -> torch.Tensor:
        """``s[t] * A[t] @ B[t]``."""
        return (self.lora_a[task] @ self.lora_b[task]) * self.scale[task]


def install_adapters(model: nn.Module, banks: dict[str, Bank], routing: TaskRouting) -> None:
    """Replace each named Linear/Embedding of ``model`` with its LoRA version (names as in the model)."""
    for name, bank in banks.items():
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        base = getattr(parent, child)
        wrapper: TaskLoRA
        if isinstance(base, nn.Linear):
            wrapper = LoRALinear(base, bank, routing)
        elif isinstance(base, nn.Embedding):
            wrapper = LoRAEmbedding(base, bank, routing)
        else:
            raise TypeError(f"{name} is a {type(base).__name__}; adapters apply to Linear and Embedding")
        setattr(parent, child, wrapper)


def lora_modules(model: nn.Module) -> Iterator[tuple[str, TaskLoRA]]:
    """The installed LoRA wrappers of ``model`` with their names."""
    for name, module in model.named_modules():
        if isinstance(module, TaskLoRA):
            yield name, module


def merge_adapters(model: nn.Module, task: int) -> None:
    """Fold task ``task`` into the weights and remove every LoRA wrapper (a model pinned to one task).

    ``task`` -1 removes the wrappers and keeps the base weights.
    """
    for name, module in list(lora_modules(model)):
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, module.merged(task))
