"""Text normalization and stable hashes for duplicate detection."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")
SEPARATOR = "\x1f"  # joins the fields of a row; normalization never leaves it in a text (\\s matches it)


def normalize(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed to single spaces and trimmed: 'The  CAT ' -> 'the cat'."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def stable_hash(text: str) -> int:
    """A 64-bit signed hash of ``text``, the same in every process and on every machine (SQLite INTEGER)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True
    )
