"""Output types on known vectors: exact bit layouts, base64 bytes, truncate-then-normalize, int8 steps."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from taskembed.encode import postprocess
from taskembed.quantization_ranges import QuantizationRanges, calibrate
from taskembed.types import EmbeddingType

KNOWN = np.array(
    [
        [0.5, -1.0, 0.0, 2.0, -0.1, 0.3, 0.0, 1.0, 0.7, -0.2],
        [-0.5, 1.0, 0.2, -2.0, 0.1, -0.3, 0.4, -1.0, -0.7, 0.2],
    ],
    dtype=np.float32,
)


def test_ubinary_packs_sign_bits_most_significant_first():
    # row 0 signs > 0: 1 0 0 1 0 1 0 1 | 1 0 -> 0b10010101 = 149, then 0b10000000 = 128 (zero padded)
    # row 1 signs > 0: 0 1 1 0 1 0 1 0 | 0 1 -> 0b01101010 = 106, then 0b01000000 = 64
    packed = postprocess.to_ubinary(KNOWN)
    assert packed.dtype == np.uint8
    assert packed.tolist() == [[149, 128], [106, 64]]


def test_binary_is_packbits_minus_128_as_int8():
    packed = postprocess.to_binary(KNOWN)
    assert packed.dtype == np.int8
    assert packed.tolist() == [[149 - 128, 0], [106 - 128, 64 - 128]]


def test_zero_is_a_zero_bit():
    assert postprocess.to_ubinary(np.zeros((1, 8), np.float32)).tolist() == [[0]]


def test_base64_is_little_endian_float32():
    encoded = postprocess.to_base64(KNOWN)
    assert encoded.shape == (2,)
    raw = base64.b64decode(encoded[0])
    assert len(raw) == 4 * KNOWN.shape[1]
    assert raw[:4] == b"\x00\x00\x00\x3f"  # 0.5 as little-endian IEEE 754
    np.testing.assert_array_equal(np.frombuffer(raw, dtype="<f4"), KNOWN[0])


def test_truncate_happens_before_normalize():
    vectors = np.array([[3.0, 4.0, 100.0]], dtype=np.float32)
    out = postprocess.finish(vectors, dimensions=2, normalized=True, types=(EmbeddingType.FLOAT,))
    np.testing.assert_allclose(out[EmbeddingType.FLOAT], [[0.6, 0.8]], rtol=1e-6)


def test_unnormalized_output_keeps_the_scale():
    out = postprocess.finish(KNOWN, dimensions=4, normalized=False, types=(EmbeddingType.FLOAT,))
    np.testing.assert_array_equal(out[EmbeddingType.FLOAT], KNOWN[:, :4])


def test_several_types_in_one_call():
    ranges = QuantizationRanges.from_array([[-1.0] * 10, [1.0] * 10])
    types = tuple(EmbeddingType)
    out = postprocess.finish(KNOWN, dimensions=10, normalized=True, types=types, ranges=ranges)
    assert list(out) == list(types)
    assert out[EmbeddingType.INT8].dtype == np.int8
    assert out[EmbeddingType.UINT8].dtype == np.uint8


@pytest.mark.parametrize("kind", [EmbeddingType.INT8, EmbeddingType.UINT8])
def test_scalar_quantization_round_trips_within_one_step(kind):
    rng = np.random.default_rng(0)
    vectors = postprocess.l2_normalize(rng.normal(size=(500, 24)).astype(np.float32))
    ranges = calibrate(vectors)
    codes = postprocess.ENCODERS[kind](vectors, ranges)
    restored = postprocess.dequantize(codes, ranges)
    step = (ranges.maximum - ranges.minimum) / 255
    assert np.all(np.abs(restored - vectors) <= step / 2 + 1e-6)
    assert codes.min() == (-128 if kind is EmbeddingType.INT8 else 0)
    assert codes.max() == (127 if kind is EmbeddingType.INT8 else 255)


def test_values_outside_the_ranges_are_clipped():
    ranges = QuantizationRanges.from_array([[0.0, 0.0], [1.0, 1.0]])
    codes = postprocess.to_int8(np.array([[-5.0, 5.0]], np.float32), ranges)
    assert codes.tolist() == [[-128, 127]]


def test_int8_without_ranges_says_how_to_get_them():
    with pytest.raises(ValueError, match="taskembed calibrate"):
        postprocess.to_int8(KNOWN, None)


def test_ranges_of_the_wrong_width_are_refused():
    with pytest.raises(ValueError, match="cover 3 dimensions"):
        postprocess.to_uint8(KNOWN, QuantizationRanges.from_array([[0, 0, 0], [1, 1, 1]]))
