"""What the server knows at run time: config, models, keys, metrics, and whether it is ready."""

from __future__ import annotations

from dataclasses import dataclass, field

from taskembed.server.config import ServerConfig
from taskembed.server.errors import ApiError
from taskembed.server.metrics import Metrics
from taskembed.server.models import ModelRegistry


@dataclass
class ServerState:
    """Shared by the routes of one server process."""

    config: ServerConfig
    api_keys: tuple[bytes, ...] = ()
    registry: ModelRegistry = field(default_factory=ModelRegistry)
    metrics: Metrics = field(default_factory=Metrics)
    ready: bool = False
    draining: bool = False
    load_error: str | None = None

    def require_ready(self) -> None:
        """Raise 503 while models load, after a failed load, or while shutting down."""
        if self.draining:
            raise ApiError(
                503, "the server is shutting down; retry on another replica", headers={"Retry-After": "1"}
            )
        if self.load_error is not None:
            raise ApiError(503, f"model loading failed: {self.load_error}")
        if not self.ready:
            raise ApiError(503, "models are still loading; retry shortly", headers={"Retry-After": "2"})
