"""Text fingerprints for cross-source identity: an exact hash and a MinHash signature.

The exact hash covers the words only (case, punctuation and spacing folded), so the same
story re-encoded or re-wrapped by a mirror is still recognised. The MinHash signature over
5-word shingles estimates Jaccard similarity for near-duplicates (edited copies on mirror
sites); it is computed with numpy from per-word hashes because hashing every shingle with
datasketch's default hash costs several milliseconds per story, more than the whole import.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

import numpy as np

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 5
MIN_WORDS = 50
# MinHash reads at most WINDOWS windows of WINDOW words spread over the text: a bounded cost
# per story whatever its length, and every part of the story still counts.
WINDOWS = 8
WINDOW = 128
_rng = np.random.RandomState(20261125)
_A = (_rng.randint(0, 1 << 31, size=NUM_PERM, dtype=np.int64) * 2 + 1).astype(np.uint32)
_B = _rng.randint(0, 1 << 31, size=NUM_PERM, dtype=np.int64).astype(np.uint32)
_MULT = np.uint32(0x9E3779B1)
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»…–—•"
_DROP = str.maketrans(dict.fromkeys(_PUNCTUATION, " "))
# str.translate is fast on ASCII text only: other text goes through bytes.translate, which is
# a plain table lookup, after the few non-ASCII marks are replaced one by one.
_WIDE_PUNCTUATION = tuple(c for c in _PUNCTUATION if not c.isascii())
_DROP_BYTES = bytes.maketrans(b"".join(c.encode() for c in _PUNCTUATION if c.isascii()),
                              b" " * sum(c.isascii() for c in _PUNCTUATION))


def _drop_punctuation(text: str) -> str:
    if text.isascii():
        return text.translate(_DROP)
    for mark in _WIDE_PUNCTUATION:
        if mark in text:
            text = text.replace(mark, " ")
    return text.encode("utf-8", "surrogatepass").translate(_DROP_BYTES).decode(
        "utf-8", "surrogatepass")


_WORD_HASHES: dict[str, int] = {}
_MAX_CACHED_WORDS = 500_000


def _word_hashes(words: list[str]) -> np.ndarray:
    cache = _WORD_HASHES
    if len(cache) > _MAX_CACHED_WORDS:
        cache.clear()
    for word in set(words).difference(cache):
        cache[word] = zlib.crc32(word.encode("utf-8"))
    return np.array([cache[w] for w in words], dtype=np.uint32)


@dataclass(frozen=True)
class Fingerprint:
    text_hash: str
    signature: bytes  # NUM_PERM little-endian uint32
    words: int

    def bands(self) -> list[str]:
        return [hashlib.sha1(bytes([i]) + self.signature[i * ROWS * 4:(i + 1) * ROWS * 4])
                .hexdigest()[:32] for i in range(BANDS)]


def _windows(words: list[str]) -> list[str]:
    if len(words) <= WINDOWS * WINDOW:
        return words
    step = (len(words) - WINDOW) // (WINDOWS - 1)
    picked: list[str] = []
    for i in range(WINDOWS):
        picked += words[i * step:i * step + WINDOW]
    return picked


def fingerprint(texts: list[str]) -> Fingerprint | None:
    """None for texts too short to identify a story (a stub, a link, an empty chapter)."""
    text = "\n".join(texts).casefold()
    words = _drop_punctuation(text).split()
    if len(words) < MIN_WORDS:
        return None
    text_hash = hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
    sample = _windows(words)
    hashes = _word_hashes(sample)
    with np.errstate(over="ignore"):  # arithmetic mod 2**32 is the point
        n = len(sample) - SHINGLE + 1
        shingles = np.zeros(n, dtype=np.uint32)
        for k in range(SHINGLE):
            shingles = shingles * _MULT + hashes[k:n + k]
        # One row per permutation, built in place: a repeated shingle cannot change a
        # minimum, so there is no need to sort them unique first.
        permuted = np.multiply.outer(_A, shingles)
        permuted += _B[:, None]
    signature = permuted.min(axis=1).astype("<u4").tobytes()
    return Fingerprint(text_hash, signature, len(words))


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    va = np.frombuffer(a, dtype="<u4")
    vb = np.frombuffer(b, dtype="<u4")
    return float(np.mean(va == vb))
