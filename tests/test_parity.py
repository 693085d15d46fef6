"""taskembed's pipeline equals sentence-transformers on the same weights (cosine >= 0.99999, fp32)."""

from __future__ import annotations

import numpy as np
import pytest

import taskembed

LONG = " ".join(f"Sentence number {i} talks about embeddings, retrieval and search." for i in range(40))
TEXTS = [
    "A man is playing a guitar.",
    "",
    "short",
    LONG,  # > 256 tokens: both cut at the model limit
    "The quick brown fox jumps over the lazy dog. " * 12,
    "Ünïcödé, emoji 🙂 and CJK 漢字 all in one line",
    LONG[: len(LONG) // 3],
    "   leading and trailing spaces   ",
]


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


@pytest.mark.parametrize("batch_tokens", [64, 300, 2048, 100_000])
def test_bundled_model_matches_sentence_transformers(bundled, st_bundled, batch_tokens):
    ours = bundled.encode(TEXTS, batch_tokens=batch_tokens)
    reference = st_bundled.encode(TEXTS, convert_to_numpy=True)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert _min_cosine(ours, reference) >= 0.99999
    np.testing.assert_allclose(ours, reference, atol=2e-5)


def test_long_input_is_cut_at_256_tokens_like_sentence_transformers(bundled):
    result = bundled.embed([LONG, "short"], taskembed.EncodeOptions())
    assert result.truncated == (0,)
    assert result.token_counts.tolist()[0] == 256
    assert result.original_token_counts[0] > 256


@pytest.mark.parametrize(
    ("pooling", "dense", "normalize"),
    [
        ("mean", False, True),
        ("cls", False, True),
        ("max", False, False),
        ("lasttoken", False, True),
        ("weightedmean", True, True),
        ("mean_sqrt_len_tokens", False, False),
        (("cls", "mean"), True, False),
    ],
)
def test_tiny_checkpoints_match_sentence_transformers(make_st_checkpoint, pooling, dense, normalize):
    from sentence_transformers import SentenceTransformer

    folder = make_st_checkpoint(pooling, dense=dense, normalize=normalize)
    reference = SentenceTransformer(str(folder), device="cpu").encode(TEXTS, convert_to_numpy=True)
    ours = taskembed.load(folder).encode(TEXTS, normalized=normalize, batch_tokens=200)
    assert _min_cosine(ours, reference) >= 0.99999
    if not normalize:
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("include_prompt", [True, False])
def test_prompts_match_sentence_transformers(make_st_checkpoint, include_prompt):
    from sentence_transformers import SentenceTransformer

    folder = make_st_checkpoint(
        "mean", prompts={"query": "query: ", "doc": "passage: "}, include_prompt=include_prompt
    )
    model = taskembed.load(folder)
    assert set(model.info.tasks) >= {"query", "doc"}
    reference = SentenceTransformer(str(folder), device="cpu")
    for task in ("query", "doc"):
        expected = reference.encode(TEXTS, prompt_name=task, convert_to_numpy=True)
        assert _min_cosine(model.encode(TEXTS, task=task), expected) >= 0.99999
    custom = reference.encode(TEXTS, prompt="Represent this: ", convert_to_numpy=True)
    assert _min_cosine(model.encode(TEXTS, prompt="Represent this: "), custom) >= 0.99999


def test_max_seq_length_from_the_saved_tokenizer(make_st_checkpoint):
    model = taskembed.load(make_st_checkpoint("mean", max_seq_length=48))
    assert model.info.max_tokens == 48
    assert model.embed([LONG], taskembed.EncodeOptions()).token_counts.tolist() == [48]
