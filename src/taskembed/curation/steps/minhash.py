"""MinHash signatures of texts (datasketch, affine32 scheme) and their LSH band keys.

Shingles are character or word n-grams of the normalized text, hashed to 32 bits in numpy (stable across
processes, unlike Python's ``hash``); datasketch applies the permutations. The band layout (b bands of r
rows) is the one datasketch's ``MinHashLSH`` picks for the threshold, so candidates match its behaviour.
"""

from __future__ import annotations

import hashlib

import numpy as np

from taskembed.errors import InputError
from taskembed.extras import require_extra

_PRIME = np.uint64(1099511628211)  # FNV-1a 64-bit prime: a polynomial hash of the n-gram's code points


def _identity(value: int) -> int:
    return value


class Signer:
    """Text -> MinHash signature (uint32[num_perm]) -> band keys (one int64 per band)."""

    def __init__(self, num_perm: int, seed: int, threshold: float, shingle: str, ngram: int) -> None:
        require_extra("curation", ("datasketch",), "near-duplicate removal")
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self._permutations = MinHash(num_perm=num_perm, seed=seed).permutations
        try:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        except ValueError as error:  # e.g. too few bands for a threshold near 1
            raise InputError(
                f"dedup: threshold {threshold} with num_perm {num_perm} gives no usable LSH bands ({error}); "
                "lower the threshold or raise num_perm"
            ) from None
        self.bands, self.rows = int(lsh.b), int(lsh.r)
        self.num_perm, self.seed, self.shingle, self.ngram = num_perm, seed, shingle, ngram
        self._powers = _PRIME ** np.arange(ngram - 1, -1, -1, dtype=np.uint64)

    def shingles(self, text: str) -> np.ndarray:
        """32-bit hashes of the text's n-grams (the whole text when shorter than one n-gram)."""
        if self.shingle == "words":
            codes = np.array(
                [
                    int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
                    for w in text.split()
                ]
                or [0],
                dtype=np.uint64,
            )
        else:
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        if len(codes) < self.ngram:
            codes = np.concatenate([codes, np.zeros(self.ngram - len(codes), dtype=np.uint64)])
        windows = np.lib.stride_tricks.sliding_window_view(codes, self.ngram)
        return (windows * self._powers).sum(axis=1) >> np.uint64(32)  # uint64 arithmetic wraps: intended

    def signature(self, text: str) -> np.ndarray:
        """The MinHash signature of ``text``."""
        minhash = self._minhash(
            num_perm=self.num_perm,
            seed=self.seed,
            hashfunc=_identity,
            permutations=self._permutations,
            scheme="affine32",
        )
        minhash.update_batch(self.shingles(text))
        return np.asarray(minhash.hashvalues, dtype=np.uint32)

    def band_keys(self, signature: np.ndarray, field: int = 0) -> list[int]:
        """One 64-bit key per band: a hash of (field number, band number, the band's values)."""
        keys = []
        for band in range(self.bands):
            values = signature[band * self.rows : (band + 1) * self.rows].tobytes()
            prefix = field.to_bytes(2, "little") + band.to_bytes(2, "little")
            digest = hashlib.blake2b(prefix + values, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "little", signed=True))
        return keys


def jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """The Jaccard estimate of two signatures: the share of equal positions."""
    return float(np.mean(first == second))
