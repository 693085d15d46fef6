"""Wiring only: build the FastAPI app from a ServerConfig and load the models in the background."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

import taskembed
from taskembed.encode.embedder import Embedder, InputTruncatedWarning
from taskembed.models.load import load_model
from taskembed.server.auth import read_api_keys
from taskembed.server.batcher import Batcher
from taskembed.server.config import ModelSpec, ServerConfig
from taskembed.server.errors import install_error_handlers
from taskembed.server.middleware import RequestContext
from taskembed.server.models import ServedModel
from taskembed.server.routes import api, ops
from taskembed.server.state import ServerState

log = logging.getLogger("taskembed.server")


def load_served(spec: ModelSpec, config: ServerConfig) -> Embedder:
    """Load one served model on the server's runtime (backend, dtype, threads)."""
    return Embedder(load_model(spec.ref, task=spec.task, runtime=config.runtime()))


async def _serve_model(state: ServerState, spec: ModelSpec, preloaded: Embedder | None) -> None:
    embedder = (
        preloaded if preloaded is not None else await asyncio.to_thread(load_served, spec, state.config)
    )
    await asyncio.to_thread(embedder.encode, ["warm-up", "a second, longer warm-up sentence"])
    name = embedder.info.name
    aliases = tuple(dict.fromkeys(a for a in (spec.alias, spec.ref) if a and a != name))
    metrics = state.metrics

    def observe(rows: int, tokens: int, seconds: float) -> None:
        metrics.stage.labels(name, "core").observe(seconds)
        metrics.batch_rows.labels(name).observe(rows)
        metrics.batch_tokens.labels(name).observe(tokens)

    batcher = Batcher(
        embedder,
        max_batch_tokens=state.config.max_batch_tokens,
        max_wait_s=state.config.max_wait_ms / 1000,
        max_queue=state.config.max_queue,
        observe_batch=observe,
    )
    batcher.start()
    state.registry.add(ServedModel(name=name, embedder=embedder, batcher=batcher, aliases=aliases))
    log.info("serving %s (aliases: %s)", name, ", ".join(aliases) or "none")


async def _load_all(state: ServerState, preloaded: Mapping[str, Embedder]) -> None:
    try:
        for spec in state.config.models:
            await _serve_model(state, spec, preloaded.get(spec.ref))
    except Exception as error:
        state.load_error = f"{type(error).__name__}: {error}"
        log.exception("loading the models failed")
        return
    state.ready = True
    log.info("ready")


def create_app(config: ServerConfig, *, preloaded: Mapping[str, Embedder] | None = None) -> FastAPI:
    """The app for ``config``; ``preloaded`` maps model references to already loaded embedders (tests)."""
    keys = read_api_keys(config.api_key_file) if config.api_key_file else ()
    state = ServerState(config=config, api_keys=keys)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warnings.filterwarnings("ignore", category=InputTruncatedWarning)  # reported in the response instead
        loading = asyncio.create_task(_load_all(state, preloaded or {}))
        yield
        state.draining = True
        await loading
        await asyncio.gather(*(model.batcher.stop() for model in state.registry.models))

    app = FastAPI(
        title="taskembed",
        version=taskembed.__version__,
        description="Jina- and OpenAI-compatible text embeddings, self-hosted.",
        lifespan=lifespan,
    )
    app.state.taskembed = state
    install_error_handlers(app)
    app.include_router(api)
    app.include_router(ops)
    app.add_middleware(RequestContext, max_body_bytes=config.max_body_bytes, metrics=state.metrics)
    return app
