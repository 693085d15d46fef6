"""The HTTP routes: embeddings, models, health, readiness and metrics."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from taskembed.options import EncodeOptions
from taskembed.server.auth import bearer_token, key_is_valid
from taskembed.server.batcher import QueueFullError
from taskembed.server.errors import ApiError
from taskembed.server.models import ServedModel
from taskembed.server.requests import (
    chunk_options,
    chunks_body,
    request_options,
    request_texts,
    response_body,
)
from taskembed.server.schemas import (
    ChunkRequest,
    ChunkResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ErrorBody,
    ModelList,
)
from taskembed.server.state import ServerState

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in [
        (401, "missing or invalid API key"),
        (404, "unknown model"),
        (413, "request too large"),
        (422, "invalid input"),
        (429, "queue full"),
        (503, "not ready"),
    ]
}


def state_of(request: Request) -> ServerState:
    """The server state the app was built with."""
    state: ServerState = request.app.state.taskembed
    return state


def require_api_key(request: Request) -> None:
    """401 unless the request carries a valid key (when the server has keys)."""
    state = state_of(request)
    if not state.api_keys:
        return
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise ApiError(
            401, "missing API key: send 'Authorization: Bearer KEY'", headers={"WWW-Authenticate": "Bearer"}
        )
    if not key_is_valid(token, state.api_keys):
        raise ApiError(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})


api = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses=ERRORS)
ops = APIRouter()


@api.post("/embeddings", response_model=EmbeddingResponse)
async def create_embeddings(body: EmbeddingRequest, request: Request) -> Response:
    """Embed the inputs (Jina or OpenAI request shape)."""
    state = state_of(request)
    state.require_ready()
    served = state.registry.get(body.model)
    texts = request_texts(body, state.config.max_inputs)
    options = request_options(body)
    if options.late_chunking:
        return await _late_chunking(state, served, texts, options)
    with state.metrics.stage.labels(served.name, "pre").time():
        prepared = await run_in_threadpool(served.embedder.prepare, texts, options)
    _check_request_tokens(state, int(prepared.tokenized.lengths.sum()))
    state.metrics.queue_depth.labels(served.name).set(served.batcher.depth)
    with _queue_full_as_429(served):
        pooled = await served.batcher.pooled(prepared)
    with state.metrics.stage.labels(served.name, "post").time():
        result = await run_in_threadpool(served.embedder.finish, prepared, pooled)
    body_out = functools.partial(response_body, served.name, result, prepared.options.many_types)
    return await _counted_json(state, served, body_out, tokens=result.total_tokens, inputs=len(texts))


async def _counted_json(
    state: ServerState, served: ServedModel, build: Callable[[], dict[str, Any]], *, tokens: int, inputs: int
) -> Response:
    """Count the work in the metrics, then build and serialize the body off the event loop."""
    state.metrics.tokens.labels(served.name).inc(tokens)
    state.metrics.inputs.labels(served.name).inc(inputs)
    payload = await run_in_threadpool(lambda: json.dumps(build(), separators=(",", ":")))
    return Response(payload, media_type="application/json")


def _check_request_tokens(state: ServerState, tokens: int) -> None:
    if tokens > state.config.max_request_tokens:
        raise ApiError(
            413,
            f"the request has {tokens} tokens; this server accepts at most "
            f"{state.config.max_request_tokens} per request: split it",
        )


@contextlib.contextmanager
def _queue_full_as_429(served: ServedModel) -> Iterator[None]:
    try:
        yield
    except QueueFullError:
        raise ApiError(
            429,
            f"{served.batcher.depth} requests are queued for {served.name}; retry shortly",
            headers={"Retry-After": "1"},
        ) from None


async def _exclusive(served: ServedModel, function: Callable[..., Any], *args: Any) -> Any:
    with _queue_full_as_429(served):
        return await served.batcher.exclusive(function, *args)


async def _late_chunking(
    state: ServerState, served: ServedModel, texts: list[str], options: EncodeOptions
) -> Response:
    """All inputs are chunks of one document: one forward (or macro windows) on the forward thread."""
    counts = await run_in_threadpool(served.embedder.model.tokenizer.count_tokens, texts)
    _check_request_tokens(state, int(counts.sum()))
    result = await _exclusive(served, served.embedder.embed_late, texts, options)
    body_out = functools.partial(response_body, served.name, result, options.many_types)
    return await _counted_json(state, served, body_out, tokens=result.total_tokens, inputs=len(texts))


@api.post("/chunks", response_model=ChunkResponse)
async def create_chunks(body: ChunkRequest, request: Request) -> Response:
    """Split one document (chunker or spans) and embed every chunk, late-chunked by default."""
    state = state_of(request)
    state.require_ready()
    served = state.registry.get(body.model)
    embedder = served.embedder
    tokens = int((await run_in_threadpool(embedder.model.tokenizer.count_tokens, [body.input]))[0])
    _check_request_tokens(state, tokens)
    options = chunk_options(body)
    run = functools.partial(
        embedder.embed_chunks, body.input, options, chunker=body.chunker, spans=body.spans
    )
    chunks, result = await _exclusive(served, run)

    def body_out() -> dict[str, Any]:
        embedded = response_body(served.name, result, options.many_types)
        return chunks_body(served.name, body.input, chunks, embedded)

    return await _counted_json(state, served, body_out, tokens=tokens, inputs=len(chunks))


@api.get("/models", response_model=ModelList)
async def list_models(request: Request) -> ModelList:
    """The served models; the first is the default."""
    state = state_of(request)
    state.require_ready()
    return ModelList(data=[m.card(default=i == 0) for i, m in enumerate(state.registry.models)])


@ops.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@ops.get("/ready", responses={503: {"model": ErrorBody}})
async def ready(request: Request) -> JSONResponse:
    """Readiness: models loaded and warmed up, and not shutting down."""
    state = state_of(request)
    state.require_ready()
    return JSONResponse({"status": "ready", "models": [m.name for m in state.registry.models]})


@ops.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    state = state_of(request)
    for model in state.registry.models:
        state.metrics.queue_depth.labels(model.name).set(model.batcher.depth)
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
