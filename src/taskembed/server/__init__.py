"""The HTTP server: transport, batching, limits and errors around the one pipeline.

Needs the ``server`` extra: ``pip install 'taskembed[server]'``. (``config`` needs nothing extra, so the
CLI can describe the serve flags without it.)
"""

from __future__ import annotations

from taskembed.extras import require_extra

SERVER_PACKAGES = ("fastapi", "uvicorn", "prometheus_client", "pydantic")


def check_server_extra() -> None:
    """Raise a clear error naming the pip install line when the server extra is missing."""
    require_extra("server", SERVER_PACKAGES, "the server")
