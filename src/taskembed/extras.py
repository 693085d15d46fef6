"""Optional extras: a clear error naming the pip line when a feature's packages are missing."""

from __future__ import annotations

import importlib.util

from taskembed.errors import TaskembedError


def require_extra(
    extra: str, packages: tuple[str, ...], feature: str, error: type[TaskembedError] = TaskembedError
) -> None:
    """Raise ``error`` ("FEATURE needs A, B: pip install 'taskembed[EXTRA]'") when a package is missing."""
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        raise error(f"{feature} needs {', '.join(missing)}: pip install 'taskembed[{extra}]'")
