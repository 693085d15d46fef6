"""Texts -> token ids, with exact token counts and truncation you can see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

from taskembed.errors import InputTooLongError, ModelLoadError


@dataclass(frozen=True)
class Tokenized:
    """Token ids per text (special tokens included) and what truncation did."""

    ids: list[np.ndarray]
    original_counts: np.ndarray
    truncated: tuple[int, ...]

    @property
    def lengths(self) -> np.ndarray:
        """Token count of every text as fed to the model."""
        return np.fromiter((len(row) for row in self.ids), dtype=np.int64, count=len(self.ids))


class TextTokenizer:
    """A fast (Rust) tokenizer that counts tokens before cutting, so no cut is silent."""

    def __init__(
        self,
        backend: Tokenizer,
        *,
        pad_id: int,
        token_type_ids: bool,
        lowercase: bool = False,
        eos_id: int | None = None,
    ) -> None:
        """``eos_id``: a token appended to every input after the tokenizer's own special tokens."""
        self._backend = Tokenizer.from_str(backend.to_str())
        self._backend.no_padding()
        self._backend.no_truncation()
        self._suffix = [] if eos_id is None else [eos_id]
        self._specials = self._backend.num_special_tokens_to_add(False) + len(self._suffix)
        probe = self._backend.post_process(self._backend.encode("a", add_special_tokens=False))
        self._leading = probe.special_tokens_mask.index(0) if 0 in probe.special_tokens_mask else 0
        self.pad_id = pad_id
        self.token_type_ids = token_type_ids
        self.lowercase = lowercase

    @classmethod
    def from_folder(cls, folder: Path, *, lowercase: bool = False, append_eos: bool = False) -> TextTokenizer:
        """Load the tokenizer saved in a model folder (tokenizer.json or a convertible vocabulary).

        ``append_eos`` adds the EOS token to every input (for models trained that way).
        """
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # it warns about model types it does not know; the tokenizer is fine
        try:
            hf = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"cannot load the tokenizer in {folder}: {error}") from error
        finally:
            hf_logging.set_verbosity(verbosity)
        backend = getattr(hf, "backend_tokenizer", None)
        if backend is None:
            raise ModelLoadError(f"{folder}: taskembed needs a fast tokenizer (tokenizer.json)")
        pad_id = hf.pad_token_id if hf.pad_token_id is not None else 0
        if append_eos and hf.eos_token_id is None:
            raise ModelLoadError(f"{folder}: append_eos is set but the tokenizer has no EOS token")
        return cls(
            backend,
            pad_id=pad_id,
            token_type_ids="token_type_ids" in hf.model_input_names,
            lowercase=lowercase,
            eos_id=hf.eos_token_id if append_eos else None,
        )

    @property
    def vocab_size(self) -> int:
        """Number of token ids, added tokens included."""
        return int(self._backend.get_vocab_size(with_added_tokens=True))

    def _encode_content(self, texts: list[str]) -> list[Encoding]:
        """Encode without special tokens, padding or truncation."""
        if self.lowercase:
            texts = [text.lower() for text in texts]
        return self._backend.encode_batch(texts, add_special_tokens=False)

    def tokenize(self, texts: list[str], *, limit: int, truncate: bool) -> Tokenized:
        """Tokenize ``texts``; cut at ``limit`` tokens when ``truncate``, else raise naming the input."""
        encodings = self._encode_content(texts)
        counts = np.fromiter(
            (len(e.ids) + self._specials for e in encodings), dtype=np.int64, count=len(texts)
        )
        over = np.flatnonzero(counts > limit)
        if over.size and not truncate:
            raise InputTooLongError(int(over[0]), int(counts[over[0]]), limit)
        for index in over:
            encodings[index].truncate(limit - self._specials)
        ids = [
            np.asarray(self._backend.post_process(e).ids + self._suffix, dtype=np.int64) for e in encodings
        ]
        return Tokenized(ids=ids, original_counts=counts, truncated=tuple(int(i) for i in over))

    def tokenize_joined(self, pieces: list[str]) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """One sequence of consecutive pieces (special tokens around the whole) and each piece's token span.

        Each piece is tokenized on its own, so spans are exact; nothing is cut.
        """
        encodings = self._encode_content(pieces)
        processed = self._backend.post_process(Encoding.merge(encodings, growing_offsets=True))
        spans, position = [], self._leading
        for encoding in encodings:
            spans.append((position, position + len(encoding.ids)))
            position += len(encoding.ids)
        return np.asarray(processed.ids + self._suffix, dtype=np.int64), spans

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character (start, end) of every content token of ``text``."""
        return list(self._encode_content([text])[0].offsets)

    def count_tokens(self, texts: list[str]) -> np.ndarray:
        """Token counts (special tokens included) without cutting anything."""
        encodings = self._encode_content(texts)
        return np.fromiter((len(e.ids) + self._specials for e in encodings), dtype=np.int64, count=len(texts))

    def prompt_length(self, prompt: str) -> int:
        """Tokens a prompt occupies at the start of a sequence (leading special tokens included).

        As sentence-transformers counts it: the prompt tokenized alone, minus the trailing special token.
        """
        encoding = self._backend.encode(prompt.lower() if self.lowercase else prompt)
        return max(len(encoding.ids) - 1, 0)
