"""The HTTP server: transport, batching, limits and errors around the one pipeline.

Needs the ``server`` extra: ``pip install 'taskembed[server]'``. (``config`` needs nothing extra, so the
CLI can describe the serve flags without it.)
"""

from __future__ import annotations

import importlib.util

from taskembed.errors import TaskembedError

SERVER_PACKAGES = ("fastapi", "uvicorn", "prometheus_client", "pydantic")


def check_server_extra() -> None:
    """Raise a clear error naming the pip install line when the server extra is missing."""
    missing = [name for name in SERVER_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise TaskembedError(f"the server needs {', '.join(missing)}: pip install 'taskembed[server]'")
