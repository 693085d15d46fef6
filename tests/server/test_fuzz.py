"""Schemathesis fuzzes every operation of the OpenAPI spec on a live server: no response may be a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from taskembed.server.app import create_app  # noqa: E402
from taskembed.server.config import ServerConfig  # noqa: E402

# Building the app does not load models (that happens in its lifespan), so the spec is cheap to get.
schema = schemathesis.openapi.from_dict(create_app(ServerConfig()).openapi())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, server):
    response = case.call(base_url=server.url, timeout=60)
    assert response.status_code < 500, (case.method, case.path, case.body, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"code", "detail", "request_id"}, body
