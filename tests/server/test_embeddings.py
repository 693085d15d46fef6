"""POST /v1/embeddings on a live server equals the library, in Jina's and OpenAI's shapes."""

from __future__ import annotations

import base64
import itertools

import httpx
import numpy as np
import pytest

TEXTS = [
    "A man is playing a guitar.",
    "The quick brown fox jumps over the lazy dog again and again, " * 4,
    "short",
    "",
    "Ünïcödé and 漢字",
]
LONG = "word " * 300


def _post(server, payload, **kwargs) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/embeddings", json=payload, timeout=60, **kwargs)


def _close(served: np.ndarray, local: np.ndarray, kind: str) -> None:
    """Batches differ between server and library, so floats differ by ~1e-7: a value near a threshold may
    land in the neighbouring code. Floats must agree closely; codes may differ by one step, rarely."""
    if kind in ("float", "base64"):
        np.testing.assert_allclose(served, local, atol=1e-5)
    elif kind in ("binary", "ubinary"):
        bits = np.unpackbits(served.astype(np.uint8), axis=-1) != np.unpackbits(
            local.astype(np.uint8), axis=-1
        )
        assert bits.mean() < 0.005
    else:
        assert np.abs(served.astype(int) - local.astype(int)).max() <= 1


def _decode(value, kind: str) -> np.ndarray:
    if kind == "base64":
        return np.frombuffer(base64.b64decode(value), dtype="<f4")
    return np.array(value)


KINDS = ["float", "base64", "binary", "ubinary", "int8", "uint8"]


@pytest.mark.parametrize(
    ("kind", "dimensions", "normalized"),
    [
        (k, d, n)
        for k, d, n in itertools.product(KINDS, [None, 64], [True, False])
        if n or k not in ("int8", "uint8")
    ],
)
def test_jina_request_equals_library(server, bundled, kind, dimensions, normalized):
    payload = {"input": TEXTS, "embedding_type": kind, "normalized": normalized}
    if dimensions:
        payload["dimensions"] = dimensions
    response = _post(server, payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    assert body["model"] == "all-MiniLM-L6-v2"
    assert [d["index"] for d in body["data"]] == list(range(len(TEXTS)))
    served = np.stack([_decode(d["embedding"], kind) for d in body["data"]])
    local = bundled.encode(TEXTS, embedding_type=kind, dimensions=dimensions, normalized=normalized)
    if kind == "base64":
        local = np.stack([_decode(v, kind) for v in local])
    _close(served, local, kind)


def test_a_list_of_types_gives_an_object_per_input(server, bundled):
    body = _post(
        server, {"input": TEXTS, "embedding_type": ["float", "ubinary", "int8"], "dimensions": 32}
    ).json()
    first = body["data"][0]["embedding"]
    assert set(first) == {"float", "ubinary", "int8"}
    assert len(first["float"]) == 32
    assert len(first["ubinary"]) == 4
    _close(
        np.array([d["embedding"]["float"] for d in body["data"]]),
        bundled.encode(TEXTS, dimensions=32),
        "float",
    )


def test_jina_text_objects_and_a_single_string(server, bundled):
    objects = _post(server, {"input": [{"text": t} for t in TEXTS]}).json()
    _close(np.array([d["embedding"] for d in objects["data"]]), bundled.encode(TEXTS), "float")
    single = _post(server, {"input": "just one"}).json()
    assert len(single["data"]) == 1
    _close(np.array(single["data"][0]["embedding"]), bundled.encode("just one"), "float")


def test_usage_counts_tokens_like_the_library(server, bundled):
    import taskembed

    body = _post(server, {"input": TEXTS}).json()
    expected = bundled.embed(TEXTS, taskembed.EncodeOptions()).total_tokens
    assert body["usage"] == {"total_tokens": expected, "prompt_tokens": expected}


def test_model_by_name_and_alias(server):
    for name in ("all-MiniLM-L6-v2", "minilm", "default"):
        assert _post(server, {"input": "x", "model": name}).json()["model"] == "all-MiniLM-L6-v2"


def test_over_long_input_is_a_422_by_default(server):
    response = _post(server, {"input": ["fine", LONG]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert "input 1 has 302 tokens" in body["detail"]
    assert "256" in body["detail"]


def test_truncate_true_cuts_and_says_so(server):
    body = _post(server, {"input": ["fine", LONG], "truncate": True}).json()
    assert body["usage"]["truncated_inputs"] == [1]
    assert body["usage"]["total_tokens"] == 3 + 256


def test_empty_input_list(server):
    body = _post(server, {"input": []}).json()
    assert body["data"] == []
    assert body["usage"]["total_tokens"] == 0


def test_openai_client_unchanged(server, bundled):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    default = client.embeddings.create(model="minilm", input=TEXTS)  # the client asks for base64 by default
    _close(np.array([d.embedding for d in default.data]), bundled.encode(TEXTS), "float")
    floats = client.embeddings.create(model="minilm", input=TEXTS, encoding_format="float", dimensions=64)
    _close(np.array([d.embedding for d in floats.data]), bundled.encode(TEXTS, dimensions=64), "float")
    assert floats.usage.total_tokens > 0
    one = client.embeddings.create(model="all-MiniLM-L6-v2", input="single", encoding_format="base64")
    _close(_decode(one.data[0].embedding, "base64"), bundled.encode("single"), "float")  # asked: not decoded


def test_request_id_is_echoed_or_created(server):
    given = _post(server, {"input": "x"}, headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    assert len(_post(server, {"input": "x"}).headers["x-request-id"]) == 32


def test_curl_without_a_content_type_is_read_as_json(server):
    response = httpx.post(f"{server.url}/v1/embeddings", content=b'{"input": "x"}', timeout=30)
    assert response.status_code == 200
