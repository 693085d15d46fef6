"""Errors a user can act on. Each message says what was wrong and what to do."""

from __future__ import annotations


class TaskembedError(Exception):
    """Base class of every error taskembed raises on purpose."""


class InputError(TaskembedError, ValueError):
    """A text or an option the caller passed cannot be used."""


class InputTooLongError(InputError):
    """An input has more tokens than the model accepts and truncation is off."""

    def __init__(self, index: int, tokens: int, limit: int) -> None:
        self.index = index
        self.tokens = tokens
        self.limit = limit
        super().__init__(
            f"input {index} has {tokens} tokens, more than the model's limit of {limit}; "
            "shorten or split it, or enable truncate to cut it at the limit"
        )


class ModelLoadError(TaskembedError):
    """A model reference could not be resolved or its files could not be loaded."""


class UnsafeModelError(ModelLoadError):
    """A model asks for something taskembed refuses to run (pickle weights, remote code)."""
