"""Optional API keys: `Authorization: Bearer KEY`, compared in constant time."""

from __future__ import annotations

import hmac
from pathlib import Path

from taskembed.errors import InputError


def read_api_keys(path: Path) -> tuple[bytes, ...]:
    """One key per line; blank lines and lines starting with '#' are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    keys = tuple(
        line.strip().encode() for line in lines if line.strip() and not line.lstrip().startswith("#")
    )
    if not keys:
        raise InputError(f"{path} holds no API key (one key per line)")
    return keys


def bearer_token(header: str | None) -> bytes | None:
    """The token of an `Authorization: Bearer TOKEN` header, or None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip().encode() if scheme.lower() == "bearer" and token.strip() else None


def key_is_valid(token: bytes, keys: tuple[bytes, ...]) -> bool:
    """Compare against every key in constant time (no early exit that would leak which key matched)."""
    matches = [hmac.compare_digest(token, key) for key in keys]
    return any(matches)
