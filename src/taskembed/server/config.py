"""ServerConfig: every `taskembed serve` flag, also readable from a TASKEMBED_* environment variable."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from taskembed.encode.batching import DEFAULT_BATCH_TOKENS
from taskembed.errors import InputError
from taskembed.models.runtime import Runtime

ENV_PREFIX = "TASKEMBED_"
PATH_FIELDS = ("api_key_file", "onnx_cache")


@dataclass(frozen=True)
class ModelSpec:
    """A model to serve: a reference (name, folder or hub id), an optional pinned task and alias.

    A pinned task is merged into the weights: the model then serves that task only, without LoRA cost.
    """

    ref: str
    alias: str | None = None
    task: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """Parse ``REF``, ``REF=ALIAS``, ``REF@TASK`` or ``REF@TASK=ALIAS``."""
        ref, _, alias = text.partition("=")
        ref, at, task = ref.partition("@")
        if not ref.strip() or (at and not task.strip()):
            raise InputError(
                f"--model {text!r}: give a model reference, optionally @TASK to pin one task, then =ALIAS"
            )
        return cls(ref=ref.strip(), alias=alias.strip() or None, task=task.strip() or None)


@dataclass(frozen=True)
class ServerConfig:
    """Limits and addresses of one server; the first model is the default."""

    models: tuple[ModelSpec, ...] = (ModelSpec("default"),)
    host: str = "127.0.0.1"
    port: int = 8080
    api_key_file: Path | None = None
    max_batch_tokens: int = DEFAULT_BATCH_TOKENS
    max_inputs: int = 2048
    max_request_tokens: int = 1_048_576
    max_queue: int = 256
    max_body_bytes: int = 32 * 1024 * 1024
    max_wait_ms: float = 2.0
    workers: int = 1
    backend: str = "torch"
    dtype: str = "fp32"
    threads: int = 0
    onnx_cache: Path | None = None

    def runtime(self) -> Runtime:
        """The engine every served model runs on (validated)."""
        return Runtime.create(
            self.backend, self.dtype, threads=self.threads or None, onnx_cache=self.onnx_cache
        )


HELP = {
    "model": "model to serve as REF, REF=ALIAS or REF@TASK=ALIAS (@TASK pins one task, merging its adapter); "
    "repeat for several (the first is the default)",
    "host": "address to listen on",
    "port": "port to listen on",
    "api_key_file": "file with one API key per line; requests then need 'Authorization: Bearer KEY'",
    "max_batch_tokens": "padded tokens per forward pass",
    "max_inputs": "inputs per request",
    "max_request_tokens": "tokens per request",
    "max_queue": "requests waiting or running per model before 429",
    "max_body_bytes": "request body size",
    "max_wait_ms": "how long a batch waits for more requests",
    "workers": "server processes (each loads the models)",
    "backend": "engine for the backbones: torch or onnx",
    "dtype": "fp32, bf16 (torch, CPUs with native bf16) or int8 (onnx)",
    "threads": "intra-op threads per model (0: every core)",
    "onnx_cache": "folder of exported ONNX graphs (default ~/.cache/taskembed/onnx)",
}


def add_serve_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """Add the serve flags; defaults come from TASKEMBED_* variables in ``env``, else ServerConfig."""
    defaults = ServerConfig()
    model_env = env.get(f"{ENV_PREFIX}MODEL")
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        help=f"{HELP['model']} (env {ENV_PREFIX}MODEL, comma-separated; default: default)",
        metavar="REF[@TASK][=ALIAS]",
    )
    parser.set_defaults(env_models=model_env.split(",") if model_env else None)
    for field in fields(ServerConfig):
        if field.name == "models":
            continue
        flag = "--" + field.name.replace("_", "-")
        env_name = ENV_PREFIX + field.name.upper()
        default = getattr(defaults, field.name)
        kind = {int: int, float: float}.get(type(default), Path if field.name in PATH_FIELDS else str)
        raw = env.get(env_name)
        parser.add_argument(
            flag,
            type=kind,
            default=kind(raw) if raw is not None else default,
            help=f"{HELP[field.name]} (env {env_name}; default: {default})",
        )


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Build a validated ServerConfig from parsed serve arguments."""
    texts: Sequence[str] = args.model or args.env_models or ["default"]
    values = {f.name: getattr(args, f.name) for f in fields(ServerConfig) if f.name != "models"}
    config = ServerConfig(models=tuple(ModelSpec.parse(t) for t in texts), **values)
    _validate(config)
    return config


def _validate(config: ServerConfig) -> None:
    for name in (
        "port",
        "max_batch_tokens",
        "max_inputs",
        "max_request_tokens",
        "max_queue",
        "max_body_bytes",
    ):
        if getattr(config, name) < (0 if name == "port" else 1):
            raise InputError(f"--{name.replace('_', '-')} must be positive, got {getattr(config, name)}")
    if config.threads < 0:
        raise InputError(f"--threads must be 0 (every core) or more, got {config.threads}")
    config.runtime()  # unknown backends and impossible dtypes fail before any model loads
    if config.workers < 1:
        raise InputError(f"--workers must be at least 1, got {config.workers}")
    if config.api_key_file is not None and not config.api_key_file.is_file():
        raise InputError(f"--api-key-file {config.api_key_file} does not exist")
    names = [spec.alias or spec.ref for spec in config.models]
    if len(set(names)) != len(names):
        raise InputError(f"two served models have the same name or alias: {names}")


def environ() -> Mapping[str, str]:
    """The process environment, read when the command starts (never at import)."""
    return dict(os.environ)
