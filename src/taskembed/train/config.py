"""The training config (TOML or YAML), validated into typed sections with errors that name the key.

Every option is documented in docs/training.md; relative paths are resolved against the config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from taskembed.config_files import format_errors, read_config_file, resolve_path
from taskembed.errors import InputError

FieldRef = str | int | list[str | int]


class Section(BaseModel):
    """A config table: unknown keys are errors, so a typo never silently means the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TeacherConfig(Section):
    """The model whose embeddings the student learns to reproduce."""

    model: str = "default"
    task: str | None = None
    prompt: str | None = None
    query_task: str | None = None
    query_prompt: str | None = None
    batch_tokens: int = Field(default=8192, gt=0)
    cache: Path | None = None


class StudentConfig(Section):
    """Where the student starts: a checkpoint (optionally a subset of its layers) or a random init."""

    model: str | None = None
    layers: list[int] | None = None
    architecture: dict[str, Any] | None = None
    tokenizer: str | None = None
    pooling: str = "mean"
    normalize: bool = True
    max_tokens: int | None = Field(default=None, gt=0)
    prompt: str | None = None
    freeze: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_start(self) -> StudentConfig:
        if (self.model is None) == (self.architecture is None):
            raise ValueError("set exactly one of student.model (a checkpoint) or student.architecture")
        if self.architecture is not None and self.tokenizer is None:
            raise ValueError("student.architecture needs student.tokenizer (a model folder with a tokenizer)")
        if self.architecture is not None and "model_type" not in self.architecture:
            raise ValueError("student.architecture needs model_type (e.g. 'bert')")
        if self.layers is not None and (not self.layers or len(set(self.layers)) != len(self.layers)):
            raise ValueError("student.layers must list distinct layer indices")
        return self


class SourceConfig(Section):
    """One data file: which fields hold the texts of a row (one text or a pair) and how often to draw it."""

    path: Path
    fields: list[FieldRef] = Field(min_length=1)
    targets: list[FieldRef] | None = None
    score: str | int | None = None
    label: str | int | None = None
    name: str | None = None
    weight: float = Field(default=1.0, gt=0)
    header: bool = True
    quoting: bool = True
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    limit: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _targets_fit(self) -> SourceConfig:
        if self.targets is not None and len(self.targets) != len(self.fields):
            raise ValueError("targets needs one field per entry of fields (the teacher text of each)")
        return self

    @property
    def label_name(self) -> str:
        """The source's name in logs: ``name`` or the file name."""
        return self.name or self.path.name


class DistillConfig(Section):
    """Stage 1: embedding distillation through a learned student -> teacher projection."""

    dimensions: list[int] = Field(default_factory=list)
    dimension_weights: list[float] | None = None
    projection_init: Literal["auto", "identity", "random"] = "auto"
    keep_projection: bool = False

    @model_validator(mode="after")
    def _weights_fit(self) -> DistillConfig:
        if self.dimension_weights is not None and len(self.dimension_weights) != len(self.dimensions):
            raise ValueError("distill.dimension_weights needs one weight per entry of distill.dimensions")
        if any(d <= 0 for d in self.dimensions):
            raise ValueError("distill.dimensions must be positive")
        return self


TaskName = Literal["retrieval", "text-matching", "clustering", "classification"]


class LossWeights(Section):
    """Overrides of a task recipe's loss weights (unset = the recipe's; 0 turns a loss off)."""

    infonce: float | None = Field(default=None, ge=0)
    distill: float | None = Field(default=None, ge=0)
    gor: float | None = Field(default=None, ge=0)
    cosent: float | None = Field(default=None, ge=0)
    rkd: float | None = Field(default=None, ge=0)


class AdapterConfig(Section):
    """Stage 2: one LoRA task adapter on the frozen stage-1 model, trained with the task's recipe."""

    task: TaskName
    rank: int = Field(default=32, gt=0)
    alpha: int = Field(default=32, gt=0)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    target_modules: list[str] | None = None
    weights: LossWeights = LossWeights()
    temperature: float = Field(default=0.02, gt=0)
    learn_temperature: bool = True
    bidirectional: bool | None = None
    cosent_temperature: float = Field(default=0.05, gt=0)
    negatives: int | None = Field(default=None, ge=0)
    class_negatives: int = Field(default=7, gt=0)
    query_prompt: str | None = None
    document_prompt: str | None = None
    train_projection: bool = False
    average_last: int = Field(default=1, ge=1)


class OptimConfig(Section):
    """Optimizer, schedule, batch and precision."""

    batch_size: int = Field(default=32, gt=0)
    micro_batch_size: int | None = Field(default=None, gt=0)
    steps: int | None = Field(default=None, gt=0)
    epochs: float | None = Field(default=None, gt=0)
    learning_rate: float = Field(default=5e-5, gt=0)
    projection_learning_rate: float | None = Field(default=None, gt=0)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    max_grad_norm: float | None = Field(default=1.0, gt=0)
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    gradient_checkpointing: bool = False
    log_every: int = Field(default=10, gt=0)
    checkpoint_every: int = Field(default=500, gt=0)
    keep_checkpoints: int = Field(default=2, gt=0)

    @model_validator(mode="after")
    def _length(self) -> OptimConfig:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("set exactly one of train.steps or train.epochs")
        return self


class EvalConfig(Section):
    """Periodic evaluation through the eval harness; the best checkpoint by ``primary`` is kept."""

    tasks: list[str] = Field(min_length=1)
    data_dir: Path = Path("../shared/data")
    every: int = Field(default=500, gt=0)
    primary: str | None = None


class TrainConfig(Section):
    """A whole training run."""

    stage: Literal["distill", "adapter"] = "distill"
    output: Path
    seed: int = 0
    teacher: TeacherConfig = TeacherConfig()
    student: StudentConfig
    data: list[SourceConfig] = Field(min_length=1)
    distill: DistillConfig = DistillConfig()
    adapter: AdapterConfig | None = None
    train: OptimConfig
    eval: EvalConfig | None = None
    calibration_texts: int = Field(default=2000, ge=0)

    @model_validator(mode="after")
    def _stage_fits(self) -> TrainConfig:
        if self.stage == "adapter":
            if self.adapter is None:
                raise ValueError("stage 'adapter' needs an [adapter] section (at least adapter.task)")
            if self.student.model is None or self.student.layers is not None:
                raise ValueError("stage 'adapter' trains on a whole existing model: set student.model only")
            if self.adapter.average_last > self.train.keep_checkpoints:
                raise ValueError("adapter.average_last cannot exceed train.keep_checkpoints")
        elif self.adapter is not None:
            raise ValueError("an [adapter] section needs stage = 'adapter'")
        return self


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    """Make the config's relative paths relative to the config file's folder."""
    resolve_path(raw, "output", base)
    for source in raw.get("data") or []:
        if isinstance(source, dict):
            resolve_path(source, "path", base)
    for section, key in (("teacher", "cache"), ("eval", "data_dir")):
        if isinstance(raw.get(section), dict):
            resolve_path(raw[section], key, base)
    _resolve_references(raw, base)


def _resolve_references(raw: dict[str, Any], base: Path) -> None:
    """Spec files and model folders named relative to the config file (names like 'default' stay)."""
    evaluation = raw.get("eval")
    if isinstance(evaluation, dict) and isinstance(evaluation.get("tasks"), list):
        evaluation["tasks"] = [
            str((base / task).resolve()) if str(task).endswith(".toml") and (base / task).is_file() else task
            for task in evaluation["tasks"]
        ]
    for section in ("teacher", "student"):
        table = raw.get(section)
        for key in ("model", "tokenizer"):
            if isinstance(table, dict) and isinstance(table.get(key), str) and (base / table[key]).is_dir():
                table[key] = str((base / table[key]).resolve())


def load_config(path: str | Path) -> TrainConfig:
    """Read and validate a training config file (``.toml``, ``.yaml`` or ``.yml``)."""
    file = Path(path)
    raw = read_config_file(file, "training config", "train")
    _resolve_paths(raw, file.resolve().parent)
    return parse_config(raw, str(file))


def parse_config(raw: dict[str, Any], origin: str = "config") -> TrainConfig:
    """Validate an already-read config mapping."""
    try:
        config = TrainConfig.model_validate(raw)
    except ValidationError as error:
        raise InputError(format_errors(error, origin, "training config")) from None
    for source in config.data:
        if not source.path.is_file():
            raise InputError(f"{origin}: data file {source.path} does not exist")
    return config
