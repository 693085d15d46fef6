"""Late chunking over HTTP: /v1/embeddings with late_chunking, and /v1/chunks with offsets."""

from __future__ import annotations

import httpx
import numpy as np
from tests.test_late_chunking import BERLIN

DOCUMENT = " ".join(BERLIN)


def test_late_chunking_in_embeddings_equals_the_library(server, bundled):
    body = {"input": BERLIN, "late_chunking": True, "dimensions": 128}
    response = httpx.post(f"{server.url}/v1/embeddings", json=body, timeout=60)
    assert response.status_code == 200, response.text
    vectors = np.array([item["embedding"] for item in response.json()["data"]])
    np.testing.assert_allclose(vectors, bundled.encode(BERLIN, late_chunking=True, dimensions=128), atol=1e-5)
    usage = response.json()["usage"]
    assert usage["total_tokens"] == int(sum(bundled.model.tokenizer.count_tokens(BERLIN) - 2))


def test_chunks_endpoint_returns_offsets_and_vectors(server, bundled):
    body = {"input": DOCUMENT, "chunker": "sentences:1", "embedding_type": ["float", "ubinary"]}
    response = httpx.post(f"{server.url}/v1/chunks", json=body, timeout=60)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [DOCUMENT[c["start"] : c["end"]] for c in data] == [c["text"] for c in data]
    assert [c["text"].strip() for c in data] == BERLIN
    expected = bundled.encode_chunks(DOCUMENT, chunker="sentences:1")
    for item, chunk in zip(data, expected, strict=True):
        np.testing.assert_allclose(item["embedding"]["float"], chunk.embedding, atol=1e-5)
        assert len(item["embedding"]["ubinary"]) == 48


def test_chunks_endpoint_with_spans_and_errors(server):
    body = {"input": DOCUMENT, "spans": [[0, 6], [100, 120]], "late_chunking": False}
    response = httpx.post(f"{server.url}/v1/chunks", json=body, timeout=60)
    assert response.status_code == 200, response.text
    assert [(c["start"], c["end"], c["text"]) for c in response.json()["data"]] == [
        (0, 6, "Berlin"),
        (100, 120, DOCUMENT[100:120]),
    ]
    for bad, phrase in (
        ({"input": DOCUMENT}, "either a chunker"),
        ({"input": DOCUMENT, "chunker": "paragraphs:2"}, "sentences:N or tokens:N"),
        ({"input": DOCUMENT, "spans": [[5, 2]]}, "span 0"),
    ):
        response = httpx.post(f"{server.url}/v1/chunks", json=bad, timeout=60)
        assert response.status_code == 422 and phrase in response.json()["detail"], response.text
