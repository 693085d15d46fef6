"""Embedder.encode: shapes, order, types, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import taskembed
from taskembed.types import EmbeddingType

TEXTS = ["first text", "a much longer second text with many more words in it", "third"]


def test_output_order_equals_input_order(bundled):
    together = bundled.encode(TEXTS, batch_tokens=16)
    one_by_one = np.stack([bundled.encode([t])[0] for t in TEXTS])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_single_string_gives_one_vector(bundled):
    vector = bundled.encode("hello")
    assert vector.shape == (384,)


@pytest.mark.parametrize(
    ("kind", "shape", "dtype"),
    [
        ("float", (0, 384), np.float32),
        ("binary", (0, 48), np.int8),
        ("ubinary", (0, 48), np.uint8),
        ("int8", (0, 384), np.int8),
        ("uint8", (0, 384), np.uint8),
    ],
)
def test_empty_list_gives_an_empty_result_of_the_right_shape(bundled, kind, shape, dtype):
    out = bundled.encode([], embedding_type=kind)
    assert out.shape == shape
    assert out.dtype == dtype


def test_empty_list_with_dimensions(bundled):
    assert bundled.encode([], dimensions=64, embedding_type="binary").shape == (0, 8)


def test_a_list_of_types_returns_each(bundled):
    out = bundled.encode(TEXTS, embedding_type=["float", "ubinary", "base64", "int8"], dimensions=128)
    assert set(out) == {"float", "ubinary", "base64", "int8"}
    assert out["float"].shape == (3, 128)
    assert out["ubinary"].shape == (3, 16)
    assert out["base64"].shape == (3,)
    np.testing.assert_array_equal(np.packbits(out["float"] > 0, axis=-1), out["ubinary"])


def test_dimensions_truncate_then_normalize(bundled):
    full = bundled.encode(TEXTS, normalized=False)
    small = bundled.encode(TEXTS, dimensions=64)
    expected = full[:, :64] / np.linalg.norm(full[:, :64], axis=1, keepdims=True)
    np.testing.assert_allclose(small, expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(small, axis=1), 1.0, atol=1e-6)


def test_bundled_model_ships_int8_ranges(bundled):
    codes = bundled.encode(TEXTS, embedding_type="int8")
    assert codes.dtype == np.int8
    floats = bundled.encode(TEXTS)
    cosine = (floats * codes.astype(np.float32)).sum(1) / np.linalg.norm(codes.astype(np.float32), axis=1)
    assert cosine.min() > 0.9  # int8 codes still point where the float vectors point


def test_int8_with_caller_ranges(bundled):
    ranges = np.stack([np.full(32, -0.5), np.full(32, 0.5)])
    codes = bundled.encode(TEXTS, dimensions=32, embedding_type="uint8", ranges=ranges)
    floats = bundled.encode(TEXTS, dimensions=32)
    expected = np.clip(np.rint((floats + 0.5) / (1 / 255)), 0, 255)
    np.testing.assert_array_equal(codes, expected.astype(np.uint8))


def test_int8_for_unnormalized_output_needs_explicit_ranges(bundled):
    with pytest.raises(taskembed.InputError, match="quantization ranges"):
        bundled.encode(TEXTS, normalized=False, embedding_type="int8")


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([None, "x"], "input 0 is NoneType"),
        (["ok", 5], "input 1 is int"),
        (["a", b"bytes"], "input 1 is bytes"),
    ],
)
def test_non_strings_are_named_by_index(bundled, texts, message):
    with pytest.raises(taskembed.InputError, match=message):
        bundled.encode(texts)


def test_none_instead_of_a_list(bundled):
    with pytest.raises(taskembed.InputError, match="texts is None"):
        bundled.encode(None)


def test_too_long_without_truncation_names_index_count_and_limit(bundled):
    with pytest.raises(taskembed.InputTooLongError) as caught:
        bundled.encode(["short", "word " * 400], truncate=False)
    assert (caught.value.index, caught.value.tokens, caught.value.limit) == (1, 402, 256)
    assert "input 1 has 402 tokens" in str(caught.value)


def test_truncation_is_reported(bundled):
    with pytest.warns(taskembed.InputTruncatedWarning, match="1 input"):
        bundled.encode(["word " * 400])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "retrieval.query"}, "unknown task 'retrieval.query'.*valid tasks: none"),
        ({"dimensions": 385}, "choose 1..384"),
        ({"dimensions": 0}, "choose 1..384"),
        ({"embedding_type": "int4"}, "valid values: float, base64, binary, ubinary, int8, uint8"),
        ({"embedding_type": []}, "empty list"),
        ({"batch_tokens": 0}, "batch_tokens must be a positive integer"),
    ],
)
def test_bad_options_list_the_valid_values(bundled, kwargs, message):
    with pytest.raises(taskembed.InputError, match=message):
        bundled.encode(TEXTS, **kwargs)


def test_info_describes_the_bundled_model(bundled):
    info = bundled.info
    assert (info.name, info.family, info.dimension, info.max_tokens) == (
        "all-MiniLM-L6-v2",
        "sentence-transformers",
        384,
        256,
    )
    assert info.pooling == ("mean",)
    assert info.normalized
    assert info.as_dict()["tasks"] == []


def test_embed_reports_tokens(bundled):
    result = bundled.embed(["hello world", "a"], taskembed.EncodeOptions.create(embedding_type=["float"]))
    assert result.token_counts.tolist() == [4, 3]
    assert result.total_tokens == 7
    assert list(result.embeddings) == [EmbeddingType.FLOAT]
