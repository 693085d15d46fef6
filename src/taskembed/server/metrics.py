"""Prometheus metrics of one server process."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
TOKEN_BUCKETS = (16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)


@dataclass
class Metrics:
    """Requests by status, latency, queue depth, batch sizes and tokens (rate() gives tokens/s)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("taskembed_requests", "HTTP requests", ["path", "status"], registry=r)
        self.latency = Histogram(
            "taskembed_request_seconds", "request latency", ["path"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.queue_depth = Gauge(
            "taskembed_queue_depth", "requests waiting or running", ["model"], registry=r
        )
        self.batch_rows = Histogram(
            "taskembed_batch_rows", "rows per forward pass", ["model"], buckets=SIZE_BUCKETS, registry=r
        )
        self.batch_tokens = Histogram(
            "taskembed_batch_tokens",
            "real tokens per forward pass",
            ["model"],
            buckets=TOKEN_BUCKETS,
            registry=r,
        )
        self.stage = Histogram(
            "taskembed_stage_seconds",
            "time per pipeline stage: pre (checks, prompts, tokenizing), core (one forward pass), "
            "post (Matryoshka, normalization, output types)",
            ["model", "stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("taskembed_tokens", "tokens embedded", ["model"], registry=r)
        self.inputs = Counter("taskembed_inputs", "inputs embedded", ["model"], registry=r)

    def render(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)
