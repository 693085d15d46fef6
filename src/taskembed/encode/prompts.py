"""Prompts: the text prefix a task or the caller puts before every input."""

from __future__ import annotations

from taskembed.models.info import ModelInfo


def resolve_prompt(info: ModelInfo, task: str | None, prompt: str | None) -> str:
    """The prefix to use: an explicit prompt wins, then the task's prompt, then the model's default task."""
    if prompt is not None:
        return prompt
    name = task if task is not None else info.default_task
    return info.prompts.get(name, "") if name is not None else ""


def apply_prompt(prompt: str, texts: list[str]) -> list[str]:
    """Prefix every text with ``prompt``."""
    return [prompt + text for text in texts] if prompt else texts
