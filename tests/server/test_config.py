"""serve flags and TASKEMBED_* environment variables share names; flags win."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from taskembed.errors import InputError
from taskembed.server.config import ModelSpec, add_serve_arguments, config_from_args


def _config(argv: list[str], env: dict[str, str] | None = None):
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser, env or {})
    return config_from_args(parser.parse_args(argv))


def test_defaults():
    config = _config([])
    assert config.models == (ModelSpec("default"),)
    assert (config.host, config.port, config.workers) == ("127.0.0.1", 8080, 1)


def test_environment_then_flags():
    env = {
        "TASKEMBED_PORT": "9000",
        "TASKEMBED_MAX_INPUTS": "10",
        "TASKEMBED_MODEL": "default=mini,/models/x",
        "TASKEMBED_MAX_WAIT_MS": "7.5",
    }
    config = _config([], env)
    assert (config.port, config.max_inputs, config.max_wait_ms) == (9000, 10, 7.5)
    assert config.models == (ModelSpec("default", "mini"), ModelSpec("/models/x"))
    flagged = _config(["--port", "9100", "--model", "default=a", "--model", "other"], env)
    assert flagged.port == 9100
    assert flagged.models == (ModelSpec("default", "a"), ModelSpec("other"))
    assert flagged.max_inputs == 10


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-inputs", "0"], "--max-inputs must be positive"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--api-key-file", "/nonexistent/keys"], "does not exist"),
        (["--model", "default=x", "--model", "other=x"], "same name or alias"),
        (["--model", "=x"], "give a model reference"),
    ],
)
def test_bad_settings_are_clear_errors(argv, message):
    with pytest.raises(InputError, match=message):
        _config(argv)


def test_api_key_file_is_a_path(tmp_path: Path):
    keys = tmp_path / "k"
    keys.write_text("abc\n")
    assert _config(["--api-key-file", str(keys)]).api_key_file == keys
