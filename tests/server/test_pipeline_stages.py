"""The server's pre/core/post stages overlap: forward passes run while other requests tokenize or finish."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
from tests.server.live import LiveServer

import taskembed
from taskembed.encode.embedder import EncodeResult, PreparedInput
from taskembed.options import EncodeOptions
from taskembed.server.app import create_app
from taskembed.server.config import ModelSpec, ServerConfig

SLOW = 0.6  # seconds a marked request spends in its pre or post stage


class StageProbe(taskembed.Embedder):
    """The bundled model, logging (stage, start, end); texts starting 'SLOW-PRE'/'SLOW-POST' stall there."""

    def __init__(self, bundled: taskembed.Embedder) -> None:
        super().__init__(bundled.model)
        self.log: list[tuple[str, float, float]] = []
        self._lock = threading.Lock()

    def _record(self, stage: str, start: float) -> None:
        with self._lock:
            self.log.append((stage, start, time.perf_counter()))

    def prepare(self, texts, options: EncodeOptions) -> PreparedInput:
        texts = list(texts)
        start = time.perf_counter()
        if texts[0].startswith("SLOW-PRE"):
            time.sleep(SLOW)
        prepared = super().prepare(texts, options)
        self._record("pre-slow" if texts[0].startswith("SLOW-PRE") else "pre", start)
        return prepared

    def forward(self, rows, prompt_lengths, adapters=None) -> np.ndarray:
        start = time.perf_counter()
        pooled = super().forward(rows, prompt_lengths, adapters)
        self._record("core", start)
        return pooled

    def finish(self, prepared: PreparedInput, pooled: np.ndarray) -> EncodeResult:
        start = time.perf_counter()
        slow = len(prepared.tokenized.ids) == 3  # the SLOW-POST request has three inputs
        if slow:
            time.sleep(SLOW)
        result = super().finish(prepared, pooled)
        self._record("post-slow" if slow else "post", start)
        return result


def _overlapping_passes(log: list[tuple[str, float, float]], stage: str) -> int:
    """Forward passes that started and ended inside the slow ``stage``."""
    (_, slow_start, slow_end) = next(entry for entry in log if entry[0] == stage)
    return sum(1 for name, start, end in log if name == "core" and slow_start < start and end < slow_end)


def test_forward_passes_run_while_another_request_tokenizes_or_finishes(bundled: taskembed.Embedder) -> None:
    probe = StageProbe(bundled)
    config = ServerConfig(models=(ModelSpec("default"),), max_wait_ms=0)
    live = LiveServer(create_app(config, preloaded={"default": probe})).start()
    try:
        probe.log.clear()

        def post(texts: list[str]) -> int:
            return httpx.post(f"{live.url}/v1/embeddings", json={"input": texts}, timeout=30).status_code

        def quick_requests() -> list[int]:
            time.sleep(0.1)  # the slow request is in its stage by now
            return [post([f"a quick request number {i}"]) for i in range(5)]

        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(post, ["SLOW-PRE: a request whose tokenizing stalls"])
            quick = pool.submit(quick_requests)
            assert slow.result() == 200 and quick.result() == [200] * 5
        assert _overlapping_passes(probe.log, "pre-slow") >= 3

        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(post, ["a request", "whose post-processing", "stalls"])
            quick = pool.submit(quick_requests)
            assert slow.result() == 200 and quick.result() == [200] * 5
        assert _overlapping_passes(probe.log, "post-slow") >= 3
        metrics = httpx.get(f"{live.url}/metrics").text
        for stage in ("pre", "core", "post"):
            assert f'taskembed_stage_seconds_count{{model="all-MiniLM-L6-v2",stage="{stage}"}}' in metrics
    finally:
        live.stop()
