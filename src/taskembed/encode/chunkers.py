"""Chunkers: a document -> consecutive character spans that cover it exactly (no gap, no overlap).

``sentences:N`` groups N sentences (a sentence ends at . ! ? or their CJK forms, followed by
whitespace; the whitespace stays with the chunk before it); ``tokens:N`` groups N tokens of the model's
tokenizer; explicit spans are checked and the text between them becomes context-only pieces.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from taskembed.encode.tokenize import TextTokenizer
from taskembed.errors import InputError

_CJK_ENDS = "\u3002\uff01\uff1f"  # ideographic full stop, fullwidth ! and ?
_SENTENCE_END = re.compile(rf"(?<=[.!?{_CJK_ENDS}])\s+|(?<=[{_CJK_ENDS}])")
Span = tuple[int, int]


@dataclass(frozen=True)
class Piece:
    """A consecutive part of the document; ``chunk`` is its index among returned chunks, or None."""

    start: int
    end: int
    chunk: int | None


def _parse(chunker: str) -> tuple[str, int]:
    kind, _, count = chunker.partition(":")
    if kind not in ("sentences", "tokens") or not count.isdigit() or int(count) < 1:
        raise InputError(f"chunker {chunker!r} is not valid; use sentences:N or tokens:N with N >= 1")
    return kind, int(count)


def sentence_spans(text: str, per_chunk: int) -> list[Span]:
    """Spans of ``per_chunk`` sentences each."""
    cuts = sorted({m.end() for m in _SENTENCE_END.finditer(text) if 0 < m.end() < len(text)})
    bounds = [0, *cuts[per_chunk - 1 :: per_chunk], len(text)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def token_spans(text: str, per_chunk: int, tokenizer: TextTokenizer) -> list[Span]:
    """Spans of ``per_chunk`` tokens each; a chunk ends where the next chunk's first token starts."""
    offsets = tokenizer.token_offsets(text)
    starts = [offsets[i][0] for i in range(per_chunk, len(offsets), per_chunk)]
    bounds = [0, *sorted(set(s for s in starts if 0 < s < len(text))), len(text)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def check_spans(text: str, spans: Sequence[Sequence[int]]) -> list[Span]:
    """Explicit spans: integers, inside the text, ascending, not overlapping, not empty."""
    checked: list[Span] = []
    for index, span in enumerate(spans):
        if len(span) != 2 or not all(isinstance(v, int) for v in span):
            raise InputError(f"span {index} must be [start, end] character offsets, got {span!r}")
        start, end = int(span[0]), int(span[1])
        if not 0 <= start < end <= len(text):
            raise InputError(f"span {index} [{start}, {end}] is empty or outside the text (0..{len(text)})")
        if checked and start < checked[-1][1]:
            raise InputError(f"span {index} [{start}, {end}] overlaps or precedes span {index - 1}")
        checked.append((start, end))
    if not checked:
        raise InputError("spans is empty; give at least one [start, end]")
    return checked


def pieces_of(
    text: str,
    tokenizer: TextTokenizer,
    chunker: str | None = None,
    spans: Sequence[Sequence[int]] | None = None,
) -> list[Piece]:
    """The document as consecutive pieces: the chunks, plus context-only gaps between explicit spans."""
    if (chunker is None) == (spans is None):
        raise InputError("give either a chunker (sentences:N or tokens:N) or explicit spans, not both")
    if not text:
        raise InputError("the document is empty")
    if spans is not None:
        chosen = check_spans(text, spans)
    else:
        kind, count = _parse(str(chunker))
        chosen = sentence_spans(text, count) if kind == "sentences" else token_spans(text, count, tokenizer)
    pieces, position = [], 0
    for index, (start, end) in enumerate(chosen):
        if start > position:
            pieces.append(Piece(position, start, None))
        pieces.append(Piece(start, end, index))
        position = end
    if position < len(text):
        pieces.append(Piece(position, len(text), None))
    return pieces
