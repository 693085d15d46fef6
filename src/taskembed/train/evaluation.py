"""Periodic evaluation during training, through the eval harness (the same code as `taskembed eval`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from taskembed.encode.embedder import Embedder
from taskembed.evaluate.cache import EmbeddingCache
from taskembed.evaluate.specs import TaskSpec, load_spec
from taskembed.evaluate.sweep import Prompts, run_sweep
from taskembed.models.loaded import LoadedModel
from taskembed.train.config import EvalConfig


@dataclass(frozen=True)
class Evaluator:
    """Scores a model view on the configured tasks; ``primary`` picks the best checkpoint.

    ``setup`` names the model tasks each side runs with (stage 2: the adapter's, e.g. retrieval.query).
    """

    specs: tuple[TaskSpec, ...]
    primary: str
    setup: Prompts = field(default_factory=Prompts)

    @classmethod
    def from_config(cls, config: EvalConfig, setup: Prompts | None = None) -> Evaluator:
        """Load the task specs once (names of ready specs, or spec files)."""
        specs = tuple(load_spec(task, config.data_dir) for task in config.tasks)
        names = [spec.name for spec in specs]
        primary = config.primary or names[0]
        if primary not in names:
            raise ValueError(f"eval.primary {primary!r} is not one of the eval tasks {names}")
        return cls(specs, primary, setup or Prompts())

    def __call__(self, model: LoadedModel, modules: nn.Module) -> dict[str, float]:
        """Main score of every task (x 100) for ``model``; ``modules`` are switched to eval mode meanwhile."""
        was_training = modules.training
        modules.eval()
        try:
            rows = run_sweep(
                Embedder(model),
                self.specs,
                [model.info.dimension],
                ["float"],
                cache=EmbeddingCache(None),
                setups=[self.setup],
            )
        finally:
            modules.train(was_training)
        return {row.task: round(100 * row.main, 4) for row in rows}
