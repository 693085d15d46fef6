"""Embedder: the one pipeline behind the library, the CLI and the server."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from taskembed.encode import late_chunking, postprocess
from taskembed.encode.batching import DEFAULT_BATCH_TOKENS
from taskembed.encode.chunkers import Piece, pieces_of
from taskembed.encode.inference import embed_tokenized, forward_rows
from taskembed.encode.inputs import check_texts
from taskembed.encode.prompts import apply_prompt, resolve_prompt
from taskembed.encode.tokenize import Tokenized
from taskembed.errors import InputError
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
class Chunk:
    """One chunk of a document: its text, character offsets [start, end) and embedding(s)."""

    index: int
    text: str
    start: int
    end: int
    embedding: np.ndarray | dict[str, np.ndarray]


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
        late_chunking: bool = False,
        window_overlap: int | None = None,
        show_progress: bool = False,
    ) -> np.ndarray | dict[str, np.ndarray]:
        """Embed ``texts``; rows follow input order. A list of types returns a dict of arrays.

        A single string returns one-dimensional arrays. ``ranges`` (shape (2, dimensions)) overrides
        the model's int8/uint8 quantization ranges. ``late_chunking`` treats the texts as consecutive
        chunks of one document (see ``embed_late``).
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
            late_chunking=late_chunking,
            window_overlap=window_overlap,
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
        if options.late_chunking:
            return self.embed_late(texts, options)
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

    def embed_late(self, texts: Iterable[str], options: EncodeOptions) -> EncodeResult:
        """Late chunking: the texts are consecutive chunks of one document, encoded together.

        One vector per text, the mean of its token outputs under the whole document's context. A
        document longer than the model window runs as overlapping macro windows (``window_overlap``
        tokens, default a window / 8), so nothing is cut.
        """
        items = check_texts(texts)
        if not items:
            raise InputError("late chunking needs at least one input (the document's chunks)")
        options = options.validated(self.info)
        task = options.task if options.task is not None else self.info.default_task
        prompt = resolve_prompt(self.info, options.task, options.prompt)
        ids, spans = self.model.tokenizer.tokenize_joined(([prompt] if prompt else []) + items)
        spans = spans[1:] if prompt else spans
        window = self.info.max_tokens
        overlap = (
            late_chunking.default_overlap(window)
            if options.window_overlap is None
            else options.window_overlap
        )
        adapter = self.model.adapter_of(task)
        with torch.inference_mode():
            states = late_chunking.token_states(self.model, ids, adapter, window, overlap)
            pooled = late_chunking.pool_spans(self.model, states, spans)
        counts = np.array([end - start for start, end in spans], dtype=np.int64)
        tokenized = Tokenized(ids=[ids[s:e] for s, e in spans], original_counts=counts, truncated=())
        return self.finish(PreparedInput(options, tokenized, prompt_length=0, adapter=adapter), pooled)

    def embed_chunks(
        self,
        document: str,
        options: EncodeOptions,
        *,
        chunker: str | None = None,
        spans: Sequence[Sequence[int]] | None = None,
    ) -> tuple[list[Piece], EncodeResult]:
        """The document's chunks (``sentences:N``, ``tokens:N`` or character ``spans``) and their embeddings.

        With ``options.late_chunking`` the chunks are embedded in the whole document's context
        (text between explicit spans included); else each chunk on its own.
        """
        if not isinstance(document, str):
            raise InputError(f"the document is {type(document).__name__}, not a string")
        pieces = pieces_of(document, self.model.tokenizer, chunker, spans)
        chunks = [p for p in pieces if p.chunk is not None]
        if not options.late_chunking:
            return chunks, self.embed([document[p.start : p.end] for p in chunks], options)
        result = self.embed_late([document[p.start : p.end] for p in pieces], options)
        rows = np.array([row for row, p in enumerate(pieces) if p.chunk is not None])
        return chunks, EncodeResult(
            embeddings={kind: array[rows] for kind, array in result.embeddings.items()},
            token_counts=result.token_counts[rows],
            original_token_counts=result.original_token_counts[rows],
            truncated=(),
        )

    def encode_chunks(
        self,
        document: str,
        *,
        chunker: str | None = None,
        spans: Sequence[Sequence[int]] | None = None,
        late_chunking: bool = True,
        embedding_type: str | Sequence[str] = "float",
        **options: Any,
    ) -> list[Chunk]:
        """Split ``document`` and embed each chunk (late chunking by default); see ``embed_chunks``.

        Every chunk carries its text and start/end character offsets into ``document``. ``options``
        are ``encode``'s (task, prompt, dimensions, normalized, window_overlap, ...).
        """
        chosen = EncodeOptions.create(embedding_type=embedding_type, late_chunking=late_chunking, **options)
        chunks, result = self.embed_chunks(document, chosen, chunker=chunker, spans=spans)
        output = result.output(chosen.many_types)
        return [
            Chunk(
                index=int(p.chunk or 0),
                text=document[p.start : p.end],
                start=p.start,
                end=p.end,
                embedding={k: v[row] for k, v in output.items()} if isinstance(output, dict) else output[row],
            )
            for row, p in enumerate(chunks)
        ]
