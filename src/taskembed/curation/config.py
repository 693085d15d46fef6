"""The curation pipeline file (TOML or YAML): inputs, the steps in order, the output; typed and validated.

Every option is documented in docs/curation.md; relative paths are resolved against the pipeline file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from taskembed.config_files import format_errors, read_config_file, resolve_path
from taskembed.errors import InputError

DEFAULT_CHUNK_ROWS = 10_000


class Section(BaseModel):
    """A config table: unknown keys are errors, so a typo never silently means the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InputConfig(Section):
    """One data file (or BEIR folder) and how to read its rows into records."""

    path: Path
    name: str | None = None
    format: Literal["file", "beir"] = "file"
    split: str = "train"
    header: bool = True
    columns: list[str] | None = None
    delimiter: str | None = None
    quoting: bool = True
    rename: dict[str, str] = Field(default_factory=dict)
    source_field: str | None = None

    @property
    def label(self) -> str:
        """How reports name this input."""
        return self.name or (self.path.name if self.format == "beir" else self.path.stem)


class StepBase(Section):
    """What every step has: the text fields it reads (default: the pipeline's) and its report name."""

    fields: list[str] | None = None
    name: str | None = None


class DedupStep(StepBase):
    """Exact (normalized hash), degenerate (empty or identical sides) and near (MinHash LSH) duplicates."""

    kind: Literal["dedup"]
    exact: bool = True
    degenerate: bool = True
    near: bool = True
    threshold: float = Field(0.8, gt=0.0, lt=1.0)
    num_perm: int = Field(128, ge=16, le=1024)
    shingle: Literal["chars", "words"] = "chars"
    ngram: int = Field(5, ge=1, le=32)
    seed: int = 1


class LangidStep(StepBase):
    """Keep rows whose every field is in one of the allowed languages (ISO 639-1 codes)."""

    kind: Literal["langid"]
    languages: list[str] | dict[str, list[str]] | None = None
    input_languages: dict[str, list[str]] = Field(default_factory=dict)
    candidates: list[str] | None = None
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _some_languages(self) -> LangidStep:
        if self.languages is None and not self.input_languages:
            raise ValueError(
                "langid needs `languages` (per field or for all) or `input_languages` (per input)"
            )
        return self


class ModelOptions(Section):
    """A scoring model and the task or prompt each side is embedded with."""

    model: str = "default"
    query_task: str | None = None
    query_prompt: str | None = None
    document_task: str | None = None
    document_prompt: str | None = None


class ConsistencyStep(StepBase, ModelOptions):
    """Keep (query, positive) when the positive ranks in the top ``top_k`` among sampled passages.

    With ``within_input`` only passages of the row's own input count, as v1 ranks within each data set.
    """

    kind: Literal["consistency"]
    sample: int = Field(1_000_000, ge=2)
    top_k: int = Field(2, ge=1)
    within_input: bool = True
    seed: int = 1


class MarginStep(StepBase, ModelOptions):
    """Keep (query, positive, negative) when sim(q, p) - sim(q, n) > ``margin``; list negatives are pruned."""

    kind: Literal["margin"]
    margin: float = 0.05


class OverlapStep(StepBase):
    """Drop a pair when >= ``ratio`` of the shorter text's words (>= ``min_words``) are in the longer."""

    kind: Literal["overlap"]
    ratio: float = Field(0.8, gt=0.0, le=1.0)
    min_words: int = Field(4, ge=1)


StepConfig = Annotated[
    DedupStep | LangidStep | ConsistencyStep | MarginStep | OverlapStep, Field(discriminator="kind")
]
MODEL_STEPS = ("consistency", "margin")


class PipelineConfig(Section):
    """Inputs -> steps in order -> output, with a work folder that makes every step resumable."""

    input: list[InputConfig] = Field(min_length=1)
    output: Path
    fields: list[str] = Field(default_factory=lambda: ["query", "positive"])
    step: list[StepConfig] = Field(min_length=1)
    work_dir: Path | None = None
    report: Path | None = None
    chunk_rows: int = Field(DEFAULT_CHUNK_ROWS, ge=1)
    samples: int = Field(5, ge=0)
    cache_mib: int = Field(64, ge=1)
    write_dropped: bool = False
    keep_intermediate: bool = False

    @model_validator(mode="after")
    def _names_unique(self) -> PipelineConfig:
        names = [step_name(step, i) for i, step in enumerate(self.step)]
        if len(set(names)) != len(names):
            raise ValueError(f"steps need distinct names (got {names}); set `name` on repeated kinds")
        labels = [source.label for source in self.input]
        if len(set(labels)) != len(labels):
            raise ValueError(f"inputs need distinct names (got {labels}); set `name` on each")
        return self

    @property
    def work(self) -> Path:
        """The folder holding each step's parts and state."""
        return self.work_dir or self.output.with_name(self.output.name + ".work")

    @property
    def report_base(self) -> Path:
        """Report path without suffix: ``.json`` and ``.md`` are written beside each other."""
        base = self.report or self.output.with_name(self.output.stem + ".report")
        return base.with_suffix("") if base.suffix in (".json", ".md") else base


def step_name(step: StepBase, index: int) -> str:
    """The step's report name: its ``name``, else ``NN-kind``."""
    return step.name or f"{index + 1:02d}-{step.kind}"  # type: ignore[attr-defined]


def step_fields(step: StepBase, pipeline: PipelineConfig) -> list[str]:
    """The text fields a step reads."""
    return step.fields or pipeline.fields


def fingerprint(value: BaseModel | list[Any] | dict[str, Any]) -> str:
    """A stable digest of settings, so a work folder is never resumed under different ones."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    for key in ("output", "work_dir", "report"):
        resolve_path(raw, key, base)
    for source in raw.get("input") or []:
        if isinstance(source, dict):
            resolve_path(source, "path", base)
    for step in raw.get("step") or []:
        if isinstance(step, dict) and isinstance(step.get("model"), str) and (base / step["model"]).is_dir():
            step["model"] = str((base / step["model"]).resolve())


def parse_pipeline(raw: dict[str, Any], origin: str = "pipeline") -> PipelineConfig:
    """Validate an already-read pipeline mapping."""
    try:
        return PipelineConfig.model_validate(raw)
    except ValidationError as error:
        raise InputError(format_errors(error, origin, "curation pipeline")) from None


def load_pipeline(path: str | Path) -> PipelineConfig:
    """Read and validate a pipeline file (``.toml``, ``.yaml`` or ``.yml``)."""
    file = Path(path)
    raw = read_config_file(file, "curation pipeline", "curation")
    _resolve_paths(raw, file.resolve().parent)
    return parse_pipeline(raw, str(file))
