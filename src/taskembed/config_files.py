"""Reading TOML/YAML config files into mappings, and pydantic errors as one line per problem."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taskembed.errors import InputError

if TYPE_CHECKING:
    from pydantic import ValidationError

CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")


def read_config_file(path: Path, what: str, extra: str) -> dict[str, Any]:
    """The mapping in a TOML/YAML file; ``what`` names it in errors, ``extra`` is the one with pyyaml."""
    if path.suffix not in CONFIG_SUFFIXES:
        raise InputError(f"{what} {path} must be .toml, .yaml or .yml")
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path} is not valid TOML: {error}") from None
    try:
        import yaml
    except ImportError:
        raise InputError(f"YAML configs need pyyaml: pip install 'taskembed[{extra}]'") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InputError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a mapping of sections")
    return data


def format_errors(error: ValidationError, origin: str, what: str) -> str:
    """One line per problem: where in the config, and what is wrong."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {where}: {problem['msg']}")
    return f"{origin} is not a valid {what}:\n" + "\n".join(lines)


def resolve_path(table: dict[str, Any], key: str, base: Path) -> None:
    """Make ``table[key]``, a relative path, relative to ``base`` (the config file's folder)."""
    value = table.get(key)
    if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
        table[key] = str((base / value).resolve())
