"""Fixtures for the server tests: live servers around the session's bundled model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.server.live import LiveServer

from taskembed.server.app import create_app
from taskembed.server.config import ModelSpec, ServerConfig

LIMITS = {"max_inputs": 64, "max_request_tokens": 6000, "max_body_bytes": 300_000}


@pytest.fixture(scope="module")
def server(bundled) -> Iterator[LiveServer]:
    config = ServerConfig(models=(ModelSpec("default", alias="minilm"),), **LIMITS)
    live = LiveServer(create_app(config, preloaded={"default": bundled})).start()
    yield live
    live.stop()
