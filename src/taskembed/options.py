"""EncodeOptions: the one options type shared by the library, the CLI and the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from taskembed.errors import InputError
from taskembed.quantization_ranges import QuantizationRanges
from taskembed.types import EmbeddingType, valid_values

if TYPE_CHECKING:
    from taskembed.models.info import ModelInfo


def parse_embedding_types(
    value: str | EmbeddingType | Sequence[str | EmbeddingType],
) -> tuple[EmbeddingType, ...]:
    """Parse one type name or a list of them; raise an InputError listing valid names."""
    names = [value] if isinstance(value, str) else list(value)
    if not names:
        raise InputError(
            f"embedding_type is an empty list; give one or more of: {valid_values(EmbeddingType)}"
        )
    types: list[EmbeddingType] = []
    for name in names:
        try:
            parsed = EmbeddingType(name)
        except ValueError:
            raise InputError(
                f"unknown embedding_type {name!r}; valid values: {valid_values(EmbeddingType)}"
            ) from None
        if parsed not in types:
            types.append(parsed)
    return tuple(types)


@dataclass(frozen=True)
class EncodeOptions:
    """What to compute for a list of texts; the same names in Python, on the CLI and over HTTP.

    ``embedding_types`` holds one or more output types; ``many_types`` says whether the caller asked
    with a list (then results come back as a dict keyed by type name).
    """

    task: str | None = None
    prompt: str | None = None
    dimensions: int | None = None
    normalized: bool = True
    embedding_types: tuple[EmbeddingType, ...] = (EmbeddingType.FLOAT,)
    many_types: bool = False
    truncate: bool = True
    batch_tokens: int | None = None
    ranges: QuantizationRanges | None = field(default=None, compare=False)
    late_chunking: bool = False
    window_overlap: int | None = None

    @classmethod
    def create(
        cls,
        *,
        embedding_type: str | EmbeddingType | Sequence[str | EmbeddingType] = EmbeddingType.FLOAT,
        **kwargs: object,
    ) -> EncodeOptions:
        """Build options from user-facing names (``embedding_type`` may be a name or a list)."""
        types = parse_embedding_types(embedding_type)
        return cls(embedding_types=types, many_types=not isinstance(embedding_type, str), **kwargs)  # type: ignore[arg-type]

    def validated(self, info: ModelInfo) -> EncodeOptions:
        """Check the options against a model; return them with the model's defaults filled in."""
        if self.task is not None and self.task not in info.tasks:
            valid = ", ".join(info.tasks) if info.tasks else "none (this model has no tasks; omit task)"
            raise InputError(f"unknown task {self.task!r} for model {info.name}; valid tasks: {valid}")
        if self.dimensions is not None:
            _check_dimensions(self.dimensions, info)
        if self.batch_tokens is not None and (
            not isinstance(self.batch_tokens, int) or self.batch_tokens < 1
        ):
            raise InputError(f"batch_tokens must be a positive integer, got {self.batch_tokens!r}")
        if self.window_overlap is not None and not 0 <= self.window_overlap < info.max_tokens:
            raise InputError(
                f"window_overlap must be in [0, {info.max_tokens}) tokens for {info.name}, "
                f"got {self.window_overlap}"
            )
        return replace(self, dimensions=self.dimensions or info.dimension)


def _check_dimensions(dimensions: int, info: ModelInfo) -> None:
    if isinstance(dimensions, bool) or not isinstance(dimensions, int):
        raise InputError(f"dimensions must be an integer, got {dimensions!r}")
    if not 1 <= dimensions <= info.dimension:
        hint = (
            f" (trained Matryoshka sizes: {list(info.matryoshka_dimensions)})"
            if info.matryoshka_dimensions
            else ""
        )
        raise InputError(
            f"dimensions={dimensions} is out of range for model {info.name}: choose 1..{info.dimension}{hint}"
        )
