"""jina-embeddings-v2 (JinaBERT) against a deliberately plain reference written here from the spec.

The reference runs one text at a time in float64, with explicit loops over heads and positions for the
ALiBi bias and slopes from the original ALiBi formula, so it shares no code with taskembed's module.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tests.factories.jina_v2 import write_v2
from transformers import AutoTokenizer

import taskembed
from taskembed.models import jinabert

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "a fox?",
    "Foxes are small omnivorous mammals that live on every continent except Antarctica, "
    "and they adapt well to cities, farms and forests alike.",
]
PUBLISHED_12 = [2**-k for k in range(1, 9)] + [2**-0.5, 2**-1.5, 2**-2.5, 2**-3.5]


def _alibi_paper_slopes(n: int) -> list[float]:
    """The original ALiBi code's formula (geometric from 2^(-8/n)), written independently of ours."""

    def power_of_2(n: int) -> list[float]:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + _alibi_paper_slopes(2 * closest)[0::2][: n - closest]


def _reference(
    tensors: dict[str, torch.Tensor], ids: list[int], *, heads: int, code: bool, act: str
) -> np.ndarray:
    w = {key: value.double() for key, value in tensors.items()}
    hidden = w["embeddings.word_embeddings.weight"].shape[1]
    d = hidden // heads
    slopes = _alibi_paper_slopes(heads)

    def ln(x: torch.Tensor, name: str) -> torch.Tensor:
        return torch.nn.functional.layer_norm(x, (hidden,), w[f"{name}.weight"], w[f"{name}.bias"], eps=1e-12)

    def linear(x: torch.Tensor, name: str, bias: bool = True) -> torch.Tensor:
        y = x @ w[f"{name}.weight"].T
        return y + w[f"{name}.bias"] if bias else y

    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, "embeddings.LayerNorm")
    length = len(ids)
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in w:
        p = f"encoder.layer.{layer}."
        q, k, v = (linear(x, f"{p}attention.self.{part}") for part in ("query", "key", "value"))
        if code:
            q, k = ln(q, f"{p}attention.self.layer_norm_q"), ln(k, f"{p}attention.self.layer_norm_k")
        outputs = []
        for h in range(heads):
            qh, kh, vh = (t[:, h * d : (h + 1) * d] for t in (q, k, v))
            scores = qh @ kh.T / math.sqrt(d)
            for i in range(length):
                for j in range(length):
                    scores[i, j] -= slopes[h] * abs(i - j)
            outputs.append(torch.softmax(scores, dim=-1) @ vh)
        o = ln(
            linear(torch.cat(outputs, dim=-1), f"{p}attention.output.dense") + x,
            f"{p}attention.output.LayerNorm",
        )
        if code:
            r = ln(x + o, f"{p}layer_norm_1")
            u = linear(r, f"{p}mlp.up_gated_layer", bias=False)
            inner = u.shape[1] // 2
            x = ln(
                r + linear(u[:, :inner] * torch.nn.functional.gelu(u[:, inner:]), f"{p}mlp.down_layer"),
                f"{p}layer_norm_2",
            )
        else:
            g = linear(o, f"{p}mlp.gated_layers", bias=False)
            inner = g.shape[1] // 2
            gate = torch.relu(g[:, :inner]) if act == "reglu" else torch.nn.functional.gelu(g[:, :inner])
            x = ln(linear(gate * g[:, inner:], f"{p}mlp.wo") + o, f"{p}mlp.layernorm")
        layer += 1
    return x.mean(dim=0).numpy()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_slopes_for_12_heads_are_the_published_sequence():
    assert jinabert.alibi_slopes(12) == pytest.approx(PUBLISHED_12, rel=1e-12)
    assert _alibi_paper_slopes(12) == pytest.approx(PUBLISHED_12, rel=1e-12)
    for heads in (4, 8, 12, 16, 6, 20):
        assert jinabert.alibi_slopes(heads) == pytest.approx(_alibi_paper_slopes(heads), rel=1e-12)


@pytest.mark.parametrize(
    ("style", "options"),
    [
        ("en-geglu-12-heads", {"heads": 12, "prefix": "bert."}),
        ("en-reglu", {"heads": 12, "feed_forward": "reglu"}),
        ("code", {"code": True, "heads": 4, "hidden": 32}),
    ],
)
def test_equals_the_plain_reference(tmp_path, style, options):
    folder, tensors = write_v2(tmp_path / style, **options)
    model = taskembed.load(str(folder))
    assert model.info.family == "jina-embeddings-v2"
    assert model.info.max_tokens == 8192
    assert model.info.pooling == ("mean",)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    act = options.get("feed_forward", "geglu")
    heads, code = options["heads"], options.get("code", False)
    expected = np.stack(
        [_reference(tensors, tokenizer(text)["input_ids"], heads=heads, code=code, act=act) for text in TEXTS]
    )
    got = model.encode(TEXTS, normalized=False)
    assert _cosines(got, expected).min() >= 0.99999
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_a_mixed_batch_equals_one_text_at_a_time_across_query_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(jinabert, "QUERY_BLOCK", 16)  # long texts run in several blocks of queries
    folder, _ = write_v2(tmp_path / "v2", heads=12)
    model = taskembed.load(str(folder))
    texts = [*TEXTS, " ".join(["fox"] * 70)]
    batch = model.encode(texts)
    alone = np.stack([model.encode([text])[0] for text in texts])
    assert _cosines(batch, alone).min() >= 0.99999
    np.testing.assert_allclose(batch, alone, atol=1e-5)


def test_downstream_options_work_unchanged(tmp_path):
    folder, _ = write_v2(tmp_path / "v2", heads=12)
    model = taskembed.load(str(folder))
    codes = model.encode(TEXTS, dimensions=16, embedding_type=["ubinary", "float"])
    assert codes["ubinary"].shape == (3, 2) and codes["float"].shape == (3, 16)
    document = " ".join(TEXTS)
    pieces, result = model.embed_chunks(
        document, taskembed.EncodeOptions(late_chunking=True), chunker="sentences:1"
    )
    assert len(pieces) >= 2 and next(iter(result.embeddings.values())).shape == (len(pieces), 48)


def test_an_unknown_feed_forward_type_is_refused(tmp_path):
    folder, _ = write_v2(tmp_path / "v2", heads=4, hidden=32, feed_forward="swiglu")
    with pytest.raises(taskembed.ModelLoadError, match="feed_forward_type 'swiglu'"):
        taskembed.load(str(folder))


def test_onnx_is_refused_with_what_to_use_instead(tmp_path):
    folder, _ = write_v2(tmp_path / "v2", heads=4, hidden=32)
    with pytest.raises(taskembed.ModelLoadError, match="use --backend torch"):
        taskembed.load(str(folder), backend="onnx")
    bf16 = taskembed.load(str(folder), dtype="bf16")  # autocast runs the same module
    fp32 = taskembed.load(str(folder))
    assert float(np.min(np.sum(bf16.encode(TEXTS) * fp32.encode(TEXTS), axis=1))) > 0.99


def test_served_unchanged_with_late_chunking(tmp_path):
    import httpx
    from tests.server.live import LiveServer

    from taskembed.server.app import create_app
    from taskembed.server.config import ModelSpec, ServerConfig

    folder, _ = write_v2(tmp_path / "v2", heads=12)
    model = taskembed.load(str(folder))
    live = LiveServer(
        create_app(ServerConfig(models=(ModelSpec(str(folder), alias="v2"),)), preloaded={str(folder): model})
    )
    live.start()
    try:
        body = {"model": "v2", "input": TEXTS, "dimensions": 16, "late_chunking": True}
        response = httpx.post(f"{live.url}/v1/embeddings", json=body, timeout=60)
        assert response.status_code == 200, response.text
        assert [len(row["embedding"]) for row in response.json()["data"]] == [16, 16, 16]
        info = httpx.get(f"{live.url}/v1/models").json()["data"][0]
        assert info["family"] == "jina-embeddings-v2" and info["max_tokens"] == 8192
    finally:
        live.stop()
