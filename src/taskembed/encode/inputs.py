"""Checking the texts a caller passed before any work is done."""

from __future__ import annotations

from collections.abc import Iterable

from taskembed.errors import InputError


def check_texts(texts: Iterable[str]) -> list[str]:
    """Return ``texts`` as a list of strings; raise an InputError naming the first bad entry."""
    if texts is None:
        raise InputError("texts is None; pass a string or a list of strings")
    items = list(texts)
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise InputError(
                f"input {index} is {type(text).__name__}, not a string; every input must be text"
            )
    return items
