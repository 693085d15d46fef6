"""Start uvicorn for a ServerConfig; several workers re-read the config from the environment."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from taskembed.server.app import create_app
from taskembed.server.config import ModelSpec, ServerConfig

CONFIG_ENV = "TASKEMBED_SERVER_CONFIG"


def _config_to_env(config: ServerConfig) -> str:
    data = asdict(config)
    data["api_key_file"] = str(config.api_key_file) if config.api_key_file else None
    return json.dumps(data)


def app_from_environment() -> FastAPI:
    """App factory for uvicorn's worker processes."""
    data = json.loads(os.environ[CONFIG_ENV])
    data["models"] = tuple(ModelSpec(**m) for m in data["models"])
    data["api_key_file"] = Path(data["api_key_file"]) if data["api_key_file"] else None
    return create_app(ServerConfig(**data))


def serve(config: ServerConfig) -> None:
    """Run the server until SIGINT/SIGTERM; in-flight requests finish before it exits."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    common = {"host": config.host, "port": config.port, "access_log": False, "timeout_graceful_shutdown": 30}
    if config.workers == 1:
        uvicorn.run(create_app(config), **common)  # type: ignore[arg-type]
        return
    os.environ[CONFIG_ENV] = _config_to_env(config)
    uvicorn.run("taskembed.server.run:app_from_environment", factory=True, workers=config.workers, **common)  # type: ignore[arg-type]
