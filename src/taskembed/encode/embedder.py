"""Embedder: the one pipeline behind the library, the CLI and the server."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from taskembed.encode import postprocess
from taskembed.encode.batching import DEFAULT_BATCH_TOKENS
from taskembed.encode.inference import embed_tokenized, forward_rows
from taskembed.encode.inputs import check_texts
from taskembed.encode.prompts import apply_prompt, resolve_prompt
from taskembed.encode.tokenize import Tokenized
from taskembed.models.info import ModelInfo
from taskembed.models.loaded import LoadedModel
from taskembed.options import EncodeOptions
from taskembed.quantization_ranges import QuantizationRanges
from taskembed.types import EmbeddingType


class InputTruncatedWarning(UserWarning):
    """Some inputs were cut at the model's token limit (``truncate=True``)."""


@dataclass(frozen=True)
class EncodeResult:
    """Embeddings per output type plus what the model saw: token counts and which inputs were cut."""

    embeddings: dict[EmbeddingType, np.ndarray]
    token_counts: np.ndarray
    original_token_counts: np.ndarray
    truncated: tuple[int, ...]

    @property
    def total_tokens(self) -> int:
        """Tokens the model processed for this call (after truncation)."""
        return int(self.token_counts.sum())

    def output(self, many_types: bool) -> np.ndarray | dict[str, np.ndarray]:
        """The arrays as ``encode`` returns them: one array, or a dict keyed by type name."""
        if many_types:
            return {kind.value: array for kind, array in self.embeddings.items()}
        return next(iter(self.embeddings.values()))


@dataclass(frozen=True)
class PreparedInput:
    """Texts checked, prompted and tokenized under validated options: ready for forward passes."""

    options: EncodeOptions
    tokenized: Tokenized
    prompt_length: int
    adapter: int = -1  # the task adapter every row runs with (-1: base weights)


class Embedder:
    """Turns texts into embeddings with a loaded model."""

    def __init__(self, model: LoadedModel, *, batch_tokens: int = DEFAULT_BATCH_TOKENS) -> None:
        self.model = model
        self.batch_tokens = batch_tokens

    @property
    def info(self) -> ModelInfo:
        """Name, family, dimension, token limit, tasks, Matryoshka sizes, pooling and prompts."""
        return self.model.info

    def encode(
        self,
        texts: str | Iterable[str],
        *,
        task: str | None = None,
        prompt: str | None = None,
        dimensions: int | None = None,
        normalized: bool = True,
        embedding_type: str | Sequence[str] = "float",
        truncate: bool = True,
        batch_tokens: int | None = None,
        ranges: QuantizationRanges | np.ndarray | None = None,
        show_progress: bool = False,
    ) -> np.ndarray | dict[str, np.ndarray]:
        """Embed ``texts``; rows follow input order. A list of types returns a dict of arrays.

        A single string returns one-dimensional arrays. ``ranges`` (shape (2, dimensions)) overrides
        the model's int8/uint8 quantization ranges.
        """
        if ranges is not None and not isinstance(ranges, QuantizationRanges):
            ranges = QuantizationRanges.from_array(ranges)
        options = EncodeOptions.create(
            embedding_type=embedding_type,
            task=task,
            prompt=prompt,
            dimensions=dimensions,
            normalized=normalized,
            truncate=truncate,
            batch_tokens=batch_tokens,
            ranges=ranges,
        )
        single = isinstance(texts, str)
        result = self.embed(
            [texts] if isinstance(texts, str) else texts, options, show_progress=show_progress
        )
        output = result.output(options.many_types)
        if not single:
            return output
        return {k: v[0] for k, v in output.items()} if isinstance(output, dict) else output[0]

    def prepare(self, texts: Iterable[str], options: EncodeOptions) -> PreparedInput:
        """Check texts and options, apply the prompt and tokenize: everything before the forward pass."""
        items = check_texts(texts)
        options = options.validated(self.info)
        prompt = resolve_prompt(self.info, options.task, options.prompt)
        tokenized = self.model.tokenizer.tokenize(
            apply_prompt(prompt, items), limit=self.info.max_tokens, truncate=options.truncate
        )
        if tokenized.truncated:
            warnings.warn(
                f"{len(tokenized.truncated)} input(s) were cut at {self.info.max_tokens} tokens "
                f"(first: input {tokenized.truncated[0]})",
                InputTruncatedWarning,
                stacklevel=3,
            )
        prompt_length = self.model.tokenizer.prompt_length(prompt) if prompt else 0
        adapter = self.model.adapter_of(options.task if options.task is not None else self.info.default_task)
        return PreparedInput(
            options=options, tokenized=tokenized, prompt_length=prompt_length, adapter=adapter
        )

    def forward(
        self, rows: list[np.ndarray], prompt_lengths: np.ndarray, adapters: np.ndarray | None = None
    ) -> np.ndarray:
        """Pooled vectors (before normalization) of token rows that may come from several requests.

        ``adapters`` gives each row's task adapter (``PreparedInput.adapter``); rows of different
        tasks share the pass.
        """
        return forward_rows(self.model, rows, prompt_lengths, adapters)

    def finish(self, prepared: PreparedInput, pooled: np.ndarray) -> EncodeResult:
        """Truncate, normalize and encode pooled vectors (rows in input order) into the output types."""
        options = prepared.options
        dims = options.dimensions or self.info.dimension
        embeddings = postprocess.finish(
            pooled,
            dimensions=dims,
            normalized=options.normalized,
            types=options.embedding_types,
            ranges=options.ranges or (self.model.ranges.get(dims) if options.normalized else None),
        )
        tokenized = prepared.tokenized
        return EncodeResult(
            embeddings=embeddings,
            token_counts=tokenized.lengths,
            original_token_counts=tokenized.original_counts,
            truncated=tokenized.truncated,
        )

    def embed(
        self,
        texts: Iterable[str],
        options: EncodeOptions,
        *,
        show_progress: bool = False,
        on_rows: Callable[[int], None] | None = None,
    ) -> EncodeResult:
        """Run the whole pipeline with explicit options; returns arrays plus token accounting.

        ``on_rows`` is called with the number of rows of every finished batch (for progress bars).
        """
        prepared = self.prepare(texts, options)
        pooled = embed_tokenized(
            self.model,
            prepared.tokenized,
            batch_tokens=prepared.options.batch_tokens or self.batch_tokens,
            prompt_length=prepared.prompt_length,
            adapter=prepared.adapter,
            progress=show_progress,
            on_rows=on_rows,
        )
        return self.finish(prepared, pooled)
