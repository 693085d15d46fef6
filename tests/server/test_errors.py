"""Every error class: status, code and a detail that says what to do; never a 500 for bad input."""

from __future__ import annotations

import asyncio
import json

import httpx
import numpy as np
import pytest
from tests.server.live import LiveServer

from taskembed.server.app import create_app
from taskembed.server.config import ModelSpec, ServerConfig


def _post(url: str, payload=None, **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/v1/embeddings", json=payload, timeout=60, **kwargs)


def _error(response: httpx.Response, status: int, code: str, *phrases: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "detail", "request_id"}
    assert body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    for phrase in phrases:
        assert phrase in body["detail"], body["detail"]
    return body


@pytest.mark.parametrize(
    ("payload", "status", "code", "phrases"),
    [
        ({"inputs": "x"}, 422, "invalid_input", ["unknown field 'inputs'"]),
        ({}, 422, "invalid_input", ["field 'input' is required"]),
        ({"input": [[101, 2023]]}, 422, "invalid_input", ["input[0] is not text"]),
        ({"input": ["a", 5]}, 422, "invalid_input", ["input[1] is not text"]),
        (
            {"input": "x", "embedding_type": "int4"},
            422,
            "invalid_input",
            ["embedding_type", "'float'", "int4"],
        ),
        ({"input": "x", "encoding_format": "binary"}, 422, "invalid_input", ["encoding_format"]),
        ({"input": "x", "dimensions": 999}, 422, "invalid_input", ["dimensions=999", "1..384"]),
        ({"input": "x", "dimensions": "many"}, 422, "invalid_input", ["dimensions"]),
        ({"input": "x", "task": "retrieval.query"}, 422, "invalid_input", ["unknown task", "valid tasks"]),
        (
            {"input": "x", "embedding_type": "float", "encoding_format": "base64"},
            422,
            "invalid_input",
            ["disagree"],
        ),
        (
            {"input": "x", "late_chunking": True, "window_overlap": -1},
            422,
            "invalid_input",
            ["window_overlap"],
        ),
        ({"input": "x", "model": "gpt-4"}, 404, "model_not_found", ["'gpt-4'", "all-MiniLM-L6-v2", "minilm"]),
        ({"input": ["x"] * 65}, 413, "payload_too_large", ["65 inputs", "at most 64"]),
        ({"input": ["word " * 250] * 30, "truncate": True}, 413, "payload_too_large", ["tokens", "6000"]),
        ({"input": "x", "normalized": False, "embedding_type": "int8"}, 422, "invalid_input", ["ranges"]),
    ],
)
def test_invalid_requests(server, payload, status, code, phrases):
    _error(_post(server.url, payload), status, code, *phrases)


def test_malformed_json_is_a_400(server):
    response = httpx.post(
        f"{server.url}/v1/embeddings", content=b"{not json", headers={"content-type": "application/json"}
    )
    _error(response, 400, "invalid_request", "not a valid JSON object")


def test_a_body_over_the_limit_is_a_413(server):
    response = _post(server.url, {"input": ["x" * 1000] * 400})
    _error(response, 413, "payload_too_large", "300000 bytes")


def test_unknown_route_and_wrong_method(server):
    _error(httpx.get(f"{server.url}/v2/embeddings"), 404, "not_found", "/v2/embeddings")
    _error(httpx.get(f"{server.url}/v1/embeddings"), 405, "method_not_allowed")


class FailingOnce:
    """Wraps an embedder; its next forward pass raises, like a broken kernel would."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.fail_next = False

    def __getattr__(self, name):
        return getattr(self.embedder, name)

    def forward(self, rows, prompt_lengths, adapters=None):
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("simulated kernel failure")
        return self.embedder.forward(rows, prompt_lengths, adapters)


def test_an_internal_failure_is_a_500_with_a_request_id_and_the_server_keeps_serving(bundled, caplog):
    flaky = FailingOnce(bundled)
    live = LiveServer(create_app(ServerConfig(), preloaded={"default": flaky})).start()
    try:
        flaky.fail_next = True
        body = _error(_post(live.url, {"input": "x"}), 500, "internal_error", "request id")
        assert body["request_id"] in body["detail"]
        assert "simulated kernel failure" not in body["detail"]
        assert _post(live.url, {"input": "x"}).status_code == 200
    finally:
        live.stop()
    assert any(body["request_id"] in r.getMessage() and r.exc_info for r in caplog.records)


def test_api_keys(bundled, tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("# team keys\nsecret-one\n\nsecret-two\n")
    live = LiveServer(create_app(ServerConfig(api_key_file=keys), preloaded={"default": bundled})).start()
    try:
        _error(_post(live.url, {"input": "x"}), 401, "unauthorized", "missing API key", "Bearer")
        bad = _post(live.url, {"input": "x"}, headers={"Authorization": "Bearer secret-three"})
        _error(bad, 401, "unauthorized", "invalid API key")
        assert bad.headers["www-authenticate"] == "Bearer"
        for key in ("secret-one", "secret-two"):
            assert (
                _post(live.url, {"input": "x"}, headers={"Authorization": f"Bearer {key}"}).status_code == 200
            )
        _error(httpx.get(f"{live.url}/v1/models"), 401, "unauthorized")
        assert httpx.get(f"{live.url}/health").status_code == 200
        assert httpx.get(f"{live.url}/ready").status_code == 200
    finally:
        live.stop()


def test_not_ready_while_loading_and_after_a_failed_load(tmp_path):
    from fastapi.testclient import TestClient

    app = create_app(ServerConfig(models=(ModelSpec(str(tmp_path / "missing-model")),)))
    with TestClient(app) as client:  # runs the lifespan: loading starts in the background, then fails
        for _ in range(200):
            response = client.post("/v1/embeddings", json={"input": "x"})
            if "loading failed" in response.json()["detail"]:
                break
        _error(response, 503, "not_ready", "model loading failed", "missing-model")
        _error(client.get("/ready"), 503, "not_ready")
        assert client.get("/health").status_code == 200
    fresh = create_app(ServerConfig())
    with TestClient(fresh) as client:
        first = client.post("/v1/embeddings", json={"input": "x"})
        if first.status_code == 503:  # the bundled model takes a moment to load
            _error(first, 503, "not_ready", "still loading")
            assert first.headers["retry-after"] == "2"


def test_queue_full_is_a_429_with_retry_after(bundled):
    app = create_app(
        ServerConfig(max_queue=1, max_inputs=2048, max_request_tokens=10**7, max_body_bytes=10**8),
        preloaded={"default": bundled},
    )
    live = LiveServer(app).start()

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=120) as client:
            big = client.post(f"{live.url}/v1/embeddings", json={"input": ["a long sentence " * 30] * 600})
            task = asyncio.ensure_future(big)
            batcher = app.state.taskembed.registry.models[0].batcher
            for _ in range(1000):  # until the big request waits in the queue (not a fixed sleep)
                if batcher.depth:
                    break
                await asyncio.sleep(0.01)
            small = [await client.post(f"{live.url}/v1/embeddings", json={"input": "x"}) for _ in range(3)]
            return [await task, *small]

    try:
        responses = asyncio.run(burst())
    finally:
        live.stop()
    assert responses[0].status_code == 200
    refused = [r for r in responses[1:] if r.status_code == 429]
    assert refused, [r.status_code for r in responses]
    body = _error(refused[0], 429, "queue_full", "retry")
    assert refused[0].headers["retry-after"] == "1"
    assert body


def test_64_concurrent_clients_get_their_own_results_in_order(server, bundled):
    rng = np.random.default_rng(7)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    requests = [
        [
            " ".join(rng.choice(words, size=int(rng.integers(1, 60)))) + f" client {c} item {i}"
            for i in range(int(rng.integers(1, 12)))
        ]
        for c in range(64)
    ]

    async def run() -> list[dict]:
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=64)) as client:

            async def one(texts: list[str]) -> dict:
                response = await client.post(f"{server.url}/v1/embeddings", json={"input": texts})
                assert response.status_code == 200, response.text
                return response.json()

            return await asyncio.gather(*(one(texts) for texts in requests))

    bodies = asyncio.run(run())
    for texts, body in zip(requests, bodies, strict=True):
        assert [d["index"] for d in body["data"]] == list(range(len(texts)))
        np.testing.assert_allclose(
            np.array([d["embedding"] for d in body["data"]]), bundled.encode(texts), atol=1e-5
        )


def test_operations_endpoints(server):
    models = httpx.get(f"{server.url}/v1/models").json()
    card = models["data"][0]
    assert card["id"] == "all-MiniLM-L6-v2"
    assert card["default"] is True
    assert set(card["aliases"]) == {"minilm", "default"}
    assert (card["dimension"], card["max_tokens"]) == (384, 256)
    assert "ubinary" in card["embedding_types"]
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/ready").json()["status"] == "ready"
    assert httpx.get(f"{server.url}/docs").status_code == 200
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert "/v1/embeddings" in spec["paths"]
    metrics = httpx.get(f"{server.url}/metrics").text
    for name in (
        "taskembed_requests_total",
        "taskembed_request_seconds_bucket",
        "taskembed_queue_depth",
        "taskembed_batch_rows_bucket",
        "taskembed_tokens_total",
    ):
        assert name in metrics, name
    assert json.loads(json.dumps(models))
