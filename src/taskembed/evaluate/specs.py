"""Task spec files (TOML): which data, in which layout, evaluated as which task type."""

from __future__ import annotations

import hashlib
import importlib.resources
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from taskembed.errors import InputError

TYPES = {
    "sts": ("stsbenchmark", "sts-csv", "table"),
    "retrieval": ("beir",),
    "negation": ("triples-jsonl", "table"),
    "bitext": ("table",),
    "classification": ("table",),
    "clustering": ("table",),
    "reranking": ("table",),
    "pair_classification": ("table",),
}
# Field names a "table" spec reads unless its [fields] maps them to other column names (MTEB's names).
DEFAULT_FIELDS = {
    "sts": ("sentence1", "sentence2", "score"),
    "negation": ("anchor", "entailment", "negative"),
    "bitext": ("sentence1", "sentence2"),
    "classification": ("text", "label"),
    "clustering": ("text", "label"),
    "reranking": ("query", "positive", "negative"),
    "pair_classification": ("sentence1", "sentence2", "label"),
}


@dataclass(frozen=True)
class TaskSpec:
    """A task: its name, type, data layout, data path (file or folder), split and languages.

    ``train_path`` is the training table of a classification task; ``fields`` maps the type's field
    names (``DEFAULT_FIELDS``) to the columns of the data files.
    """

    name: str
    type: str
    format: str
    path: Path
    split: str = "test"
    languages: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    train_path: Path | None = None

    def column(self, name: str) -> str:
        """The column that holds the type's field ``name``."""
        return self.fields.get(name, name)

    def data_hash(self) -> str:
        """sha256 of the data files, for reports."""
        digest = hashlib.sha256()
        files = sorted(p for p in self.path.rglob("*") if p.is_file()) if self.path.is_dir() else [self.path]
        files += [self.train_path] if self.train_path else []
        for file in files:
            digest.update(file.read_bytes())
        return digest.hexdigest()


def _specs_dir() -> Path:
    return Path(str(importlib.resources.files("taskembed.evaluate") / "specs"))


def builtin_names() -> list[str]:
    """Names of the ready specs shipped with taskembed."""
    return sorted(tomllib.loads(p.read_text(encoding="utf-8"))["name"] for p in _specs_dir().glob("*.toml"))


def parse_spec(text: str, origin: str, base: Path) -> TaskSpec:
    """Validate a TOML spec; a relative ``path`` is resolved against ``base``."""
    try:
        raw = tomllib.loads(text)
        spec = TaskSpec(
            name=str(raw["name"]),
            type=str(raw["type"]),
            format=str(raw["format"]),
            path=(base / str(raw["path"])).resolve(),
            split=str(raw.get("split", "test")),
            languages=tuple(raw.get("languages", ())),
            fields={str(k): str(v) for k, v in raw.get("fields", {}).items()},
            train_path=(base / str(raw["train_path"])).resolve() if "train_path" in raw else None,
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise InputError(
            f"{origin}: not a valid task spec ({type(error).__name__}: {error}); "
            "it needs name, type, format and path"
        ) from error
    if spec.type not in TYPES or spec.format not in TYPES[spec.type]:
        valid = "; ".join(f"{t}: {', '.join(f)}" for t, f in TYPES.items())
        raise InputError(
            f"{origin}: type {spec.type!r} with format {spec.format!r} is not supported ({valid})"
        )
    unknown = sorted(set(spec.fields) - set(DEFAULT_FIELDS.get(spec.type, ())))
    if unknown:
        known = ", ".join(DEFAULT_FIELDS.get(spec.type, ())) or "none"
        raise InputError(f"{origin}: unknown field {unknown[0]!r} for type {spec.type} (its fields: {known})")
    if spec.type == "classification" and spec.train_path is None:
        raise InputError(f"{origin}: a classification task needs train_path (the table to fit on)")
    for path in (spec.path, spec.train_path):
        if path is not None and not path.exists():
            raise InputError(f"{origin}: data not found at {path} (set --data-dir or fix the path)")
    return spec


def load_spec(ref: str, data_dir: Path) -> TaskSpec:
    """A spec file path, or the name of a ready spec (case-insensitive) whose paths start at ``data_dir``."""
    path = Path(ref)
    if path.suffix == ".toml" and path.is_file():
        return parse_spec(path.read_text(encoding="utf-8"), str(path), path.parent)
    for file in _specs_dir().glob("*.toml"):
        text = file.read_text(encoding="utf-8")
        if tomllib.loads(text)["name"].lower() == ref.lower():
            return parse_spec(text, f"ready spec {ref}", data_dir)
    raise InputError(f"no task {ref!r}: pass a .toml spec file or one of {', '.join(builtin_names())}")
