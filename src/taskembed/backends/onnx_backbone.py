"""OnnxBackbone: the backbone run by ONNX Runtime, one session per task graph, built on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from taskembed.backends.onnx_cache import GraphKey, cached_graph
from taskembed.backends.onnx_export import build_graph
from taskembed.errors import ModelLoadError
from taskembed.models.backbone import TransformerEncoder

KeyOf = Callable[[int], GraphKey]


def open_session(graph: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session with every graph optimization and ``threads`` intra-op threads."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: the fusion notices are noise to our users
    try:
        return onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # a corrupt or foreign file in the cache
        raise ModelLoadError(
            f"ONNX Runtime cannot open {graph}: {error}; delete that folder to re-export it"
        ) from error


class OnnxBackbone(nn.Module):
    """(input_ids, attention_mask[, task ids]) -> last hidden state (fp32), like ``TransformerEncoder``.

    Each task (-1: base weights) has its own graph with the adapter merged; a batch that mixes tasks
    runs one session per task on its rows. Graphs missing from the cache are exported from ``source``;
    the torch weights are dropped once every one of the ``tasks`` adapters and the base weights has an
    open session (or by ``release_source``).
    """

    def __init__(
        self, source: TransformerEncoder | None, key_of: KeyOf, root: Path, threads: int, tasks: int = 0
    ) -> None:
        super().__init__()
        self._tasks = tasks
        self._source = source
        self._key_of = key_of
        self._root = root
        self._threads = threads
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self.built: list[int] = []  # tasks whose graph this process exported (the rest came from cache)

    @property
    def holds_weights(self) -> bool:
        """Whether the torch weights are still in memory (to export graphs not yet built)."""
        return self._source is not None

    def release_source(self) -> None:
        """Drop the torch weights; only cached graphs can be opened afterwards."""
        self._source = None

    def graph(self, task: int) -> Path:
        """The cached graph file of ``task``, exported first when absent."""
        key = self._key_of(task)
        found = cached_graph(key, self._root)
        if found is not None:
            return found
        if self._source is None:
            raise ModelLoadError(f"no ONNX graph for {key.model} task {key.task} and no weights to export it")
        self.built.append(task)
        return build_graph(self._source, task, key, self._root)

    def session(self, task: int) -> Any:
        """The session of ``task``, opened (and exported) on first use."""
        with self._lock:
            if task not in self._sessions:
                self._sessions[task] = open_session(self.graph(task), self._threads)
                if len(self._sessions) == self._tasks + 1:
                    self.release_source()  # no graph can be missing any more
            return self._sessions[task]

    def _run(self, task: int, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        hidden: np.ndarray = self.session(task).run(None, feeds)[0]
        return hidden

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, task_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Run each task's rows through its graph and return the hidden states in row order."""
        ids = input_ids.numpy().astype(np.int64, copy=False)
        mask = attention_mask.numpy().astype(np.int64, copy=False)
        tasks = np.full(len(ids), -1) if task_ids is None else task_ids.numpy()
        unique = np.unique(tasks)
        if unique.size == 1:
            return torch.from_numpy(self._run(int(unique[0]), ids, mask))
        hidden: np.ndarray | None = None
        for task in unique.tolist():
            rows = np.flatnonzero(tasks == task)
            part = self._run(int(task), ids[rows], mask[rows])
            if hidden is None:
                hidden = np.empty((len(ids), *part.shape[1:]), dtype=part.dtype)
            hidden[rows] = part
        assert hidden is not None
        return torch.from_numpy(hidden)
