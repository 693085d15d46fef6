"""Training (v5 regimen): stage-1 embedding distillation from a teacher, exact resume, DDP under torchrun.

Needs the ``train`` extra: ``pip install 'taskembed[train]'``.
"""

from taskembed.extras import require_extra

require_extra("train", ("pydantic",), "taskembed.train")

from taskembed.train.config import TrainConfig, load_config, parse_config  # noqa: E402
from taskembed.train.run import train  # noqa: E402

__all__ = ["TrainConfig", "load_config", "parse_config", "train"]
