"""`taskembed serve` as a user runs it: configured by environment, graceful on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_from_environment_and_drain_on_sigterm(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "TASKEMBED_PORT": str(port),
        "TASKEMBED_MODEL": "default=mini",
        "TASKEMBED_MAX_INPUTS": "5000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "taskembed.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        models = httpx.get(f"{url}/v1/models").json()["data"]
        assert models[0]["aliases"] == ["mini", "default"]

        result: dict[str, httpx.Response] = {}

        def long_request() -> None:
            texts = [f"sentence number {i} about graceful shutdown " * 8 for i in range(600)]
            result["response"] = httpx.post(
                f"{url}/v1/embeddings", json={"input": texts, "model": "mini"}, timeout=120
            )

        client = threading.Thread(target=long_request)
        client.start()
        time.sleep(1.5)  # the request is in flight
        process.send_signal(signal.SIGTERM)
        client.join(timeout=120)
        assert result["response"].status_code == 200
        assert len(result["response"].json()["data"]) == 600
        # uvicorn finishes in-flight requests, shuts the app down, then re-raises SIGTERM (exit -15)
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
    log = process.stdout.read() if process.stdout else ""
    assert '"path": "/v1/embeddings", "status": 200' in log
    assert "Application shutdown complete" in log
