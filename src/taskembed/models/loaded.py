"""LoadedModel: everything the pipeline needs from a checkpoint, whatever its family."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from taskembed.encode.tokenize import TextTokenizer
from taskembed.models.info import ModelInfo
from taskembed.quantization_ranges import QuantizationRanges
from taskembed.types import Pooling


@dataclass
class LoadedModel:
    """A backbone with its tokenizer, pooling, optional heads (Dense) and quantization ranges."""

    info: ModelInfo
    tokenizer: TextTokenizer
    backbone: nn.Module
    pooling: tuple[Pooling, ...]
    include_prompt: bool = True
    heads: tuple[nn.Module, ...] = ()
    ranges: dict[int, QuantizationRanges] = field(default_factory=dict)
