"""One ASGI middleware for every request: request id, body size limit, access log and metrics."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from taskembed.server.metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("taskembed.access")


class _BodyTooLargeError(Exception):
    pass


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _default_to_json(scope: Scope) -> None:
    kind = _header(scope, b"content-type")
    if scope.get("method") == "POST" and (
        kind is None or kind.startswith("application/x-www-form-urlencoded")
    ):
        headers = [h for h in scope.get("headers", []) if h[0].lower() != b"content-type"]
        scope["headers"] = [*headers, (b"content-type", b"application/json")]


class RequestContext:
    """Request id, body limit, JSON default, access log and metrics for every request.

    Each request gets an id (a valid X-Request-ID is kept), a body over the limit gets a 413, a POST
    without a JSON content type (``curl -d``) is read as JSON, and status, latency and an access-log line
    are recorded.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and len(given) <= 64 and given.isascii() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        _default_to_json(scope)
        status = {"code": 500, "started": False}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self._call_limited(scope, receive, send_with_id)
        except _BodyTooLargeError:
            if not status["started"]:
                await self._too_large(send_with_id, request_id)
        finally:
            self._record(scope, request_id, int(status["code"]), time.perf_counter() - started)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _BodyTooLargeError
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLargeError
            return message

        await self.app(scope, limited_receive, send)

    async def _too_large(self, send: Send, request_id: str) -> None:
        detail = f"request body is over {self.max_body_bytes} bytes; send fewer or shorter inputs per request"
        body = json.dumps({"code": "payload_too_large", "detail": detail, "request_id": request_id}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        path = str(scope.get("path", ""))
        route = path if path in KNOWN_PATHS else "other"
        self.metrics.requests.labels(route, str(status)).inc()
        self.metrics.latency.labels(route).observe(seconds)
        line = {
            "request_id": request_id,
            "method": scope.get("method"),
            "path": path,
            "status": status,
            "ms": round(seconds * 1000, 2),
        }
        access_log.info(json.dumps(line))


KNOWN_PATHS = frozenset(
    {"/v1/embeddings", "/v1/models", "/health", "/ready", "/metrics", "/docs", "/openapi.json"}
)
