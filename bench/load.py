"""Load test: N concurrent clients for T seconds against `taskembed serve` on loopback.

Each client sends requests of 1-16 real texts (the benchmark corpus) back to back. Prints requests/s,
tokens/s (from the responses' usage), p50/p95/p99 latency and the error count per client count.
Starts its own server unless --url is given; with --replicas N (N > 1), N servers of --threads threads
each behind nginx (examples/serving/nginx.conf), as docs/scaling.md describes.

    .venv/bin/python bench/load.py [--clients 1 16 64] [--seconds 20] [--url http://127.0.0.1:8080]
    .venv/bin/python bench/load.py --replicas 2 --threads 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from corpus import load_corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for examples/
from examples.serving.replicas import free_ports, running, stop, wait_ready


async def _client(url: str, texts: list[str], seed: int, until: float, out: dict[str, list]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=300) as client:
        while time.perf_counter() < until:
            batch = rng.sample(texts, rng.randint(1, 16))
            start = time.perf_counter()
            try:
                response = await client.post(f"{url}/v1/embeddings", json={"input": batch, "truncate": True})
            except httpx.HTTPError:
                out["errors"].append(1)
                continue
            out["latency"].append(time.perf_counter() - start)
            if response.status_code == 200:
                out["tokens"].append(response.json()["usage"]["total_tokens"])
            else:
                out["errors"].append(response.status_code)


async def _run(url: str, texts: list[str], clients: int, seconds: float) -> dict[str, float]:
    out: dict[str, list] = {"latency": [], "tokens": [], "errors": []}
    start = time.perf_counter()
    await asyncio.gather(*(_client(url, texts, seed, start + seconds, out) for seed in range(clients)))
    elapsed = time.perf_counter() - start
    latency = sorted(out["latency"])

    def pct(p: float) -> float:
        return latency[min(len(latency) - 1, int(p * len(latency)))] * 1000 if latency else float("nan")

    return {
        "clients": clients,
        "requests_per_s": len(out["tokens"]) / elapsed,
        "tokens_per_s": sum(out["tokens"]) / elapsed,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latency) * 1000 if latency else float("nan"),
        "errors": len(out["errors"]),
    }


def _start_server(threads: int, stack: ExitStack) -> str:
    """One `taskembed serve` on a free loopback port, stopped when ``stack`` closes; its URL once ready."""
    (port,) = free_ports(1)
    env = {**os.environ, "TASKEMBED_PORT": str(port), "TASKEMBED_MAX_QUEUE": "1024"}
    env["TASKEMBED_THREADS"] = str(threads)
    process = subprocess.Popen(
        [sys.executable, "-m", "taskembed.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack.callback(stop, process)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return url


def main() -> None:
    """Run the load for each client count and print one row each."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--url", default=None)
    parser.add_argument("--replicas", type=int, default=1, help="servers behind nginx (default: 1, no nginx)")
    parser.add_argument("--threads", type=int, default=0, help="threads per server (default: every core)")
    args = parser.parse_args()
    texts = load_corpus()
    with ExitStack() as stack:
        if args.url:
            url = args.url
        elif args.replicas > 1:
            port, *ports = free_ports(args.replicas + 1)
            serve_args = ["--max-queue", "1024"]
            url = stack.enter_context(running(port, ports, threads=args.threads, serve_args=serve_args)).url
        else:
            url = _start_server(args.threads, stack)
        name = f"load-{args.replicas}x{args.threads or 'all'}.json"
        _measure(url, texts, args.clients, args.seconds, name)


def _measure(url: str, texts: list[str], client_counts: list[int], seconds: float, name: str) -> None:
    """Print one row per client count and write them to bench/results/NAME."""
    print(f"{'clients':>8}{'req/s':>9}{'tokens/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    rows = []
    for clients in client_counts:
        row = asyncio.run(_run(url, texts, clients, seconds))
        rows.append(row)
        print(
            f"{clients:>8}{row['requests_per_s']:>9.1f}{row['tokens_per_s']:>10,.0f}{row['p50_ms']:>9.0f}"
            f"{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}{row['errors']:>8}"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / name).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
