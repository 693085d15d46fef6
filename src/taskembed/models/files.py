"""Reading the small JSON files that describe a model, with errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from taskembed.errors import ModelLoadError


def read_json(path: Path) -> Any:
    """Parse a JSON file; a missing or corrupt file is a ModelLoadError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"missing file {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelLoadError(f"cannot read {path}: {error}") from error


def read_optional_json(path: Path) -> dict[str, Any]:
    """Parse a JSON object file if it exists, else return an empty dict."""
    if not path.is_file():
        return {}
    data = read_json(path)
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path} must hold a JSON object")
    return data
