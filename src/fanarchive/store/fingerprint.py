"""Text fingerprints for cross-source identity: an exact hash and a MinHash signature.

The exact hash covers the words only (case, punctuation and spacing folded away), so the
same story re-encoded or re-wrapped by a mirror is still recognised. The MinHash signature over
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
# The text is folded as bytes: one table lookup per byte (str.translate is fast on ASCII
# text only). Non-ASCII punctuation and the Unicode spaces str.split would split on are
# replaced one by one first; they are rare.
_UNICODE_SPACES = ("\x85", "\xa0", "\u1680", *map(chr, range(0x2000, 0x200B)), "\u2028",
                   "\u2029", "\u202f", "\u205f", "\u3000")
_WIDE = tuple(c for c in _PUNCTUATION if not c.isascii()) + _UNICODE_SPACES
_NARROW = "".join(c for c in _PUNCTUATION if c.isascii()) + "\x1c\x1d\x1e\x1f"
_DROP_BYTES = bytes.maketrans(_NARROW.encode(), b" " * len(_NARROW))
_SPACES = b" \t\n\r\x0b\x0c"


def _folded(texts: list[str]) -> bytes:
    """The texts as UTF-8, case folded, every punctuation mark turned into a space."""
    text = "\n".join(texts).casefold()
    if not text.isascii():
        for mark in _WIDE:
            if mark in text:
                text = text.replace(mark, " ")
    return text.encode("utf-8", "surrogatepass").translate(_DROP_BYTES)


def _word_starts(data: bytes) -> np.ndarray:
    """Byte offsets where the words of ``data.split()`` start, without building them."""
    if not data:
        return np.zeros(0, dtype=np.intp)
    byte = np.frombuffer(data, dtype=np.uint8)
    space = (byte == 32) | ((byte >= 9) & (byte <= 13))  # _SPACES, faster than a lookup table
    starts = np.flatnonzero(space[:-1] & ~space[1:]) + 1
    return starts if space[0] else np.concatenate(([0], starts))


_WORD_HASHES: dict[bytes, int] = {}
_MAX_CACHED_WORDS = 500_000


def _word_hashes(words: list[bytes]) -> np.ndarray:
    cache = _WORD_HASHES
    try:
        # A story's vocabulary is mostly known already: try without looking for new words.
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint32, count=len(words))
    except KeyError:
        pass
    if len(cache) > _MAX_CACHED_WORDS:
        cache.clear()
    for word in set(words).difference(cache):
        cache[word] = zlib.crc32(word)
    return np.fromiter(map(cache.__getitem__, words), dtype=np.uint32, count=len(words))


@dataclass(frozen=True)
class Fingerprint:
    text_hash: str
    signature: bytes  # NUM_PERM little-endian uint32
    words: int

    def bands(self) -> list[str]:
        return [hashlib.sha1(bytes([i]) + self.signature[i * ROWS * 4:(i + 1) * ROWS * 4])
                .hexdigest()[:32] for i in range(BANDS)]


def _sample(data: bytes, starts: np.ndarray) -> list[bytes]:
    """The words MinHash reads: all of a short text, else WINDOWS runs of WINDOW words spread
    evenly over it (by word, so wrapping does not move them), never splitting a long text
    whole."""
    words = len(starts)
    if words <= WINDOWS * WINDOW:
        return data.split()
    step = (words - WINDOW) // (WINDOWS - 1)
    picked: list[bytes] = []
    for i in range(WINDOWS):
        first = i * step
        end = int(starts[first + WINDOW]) if first + WINDOW < words else len(data)
        picked += data[int(starts[first]):end].split()
    return picked


def fingerprint(texts: list[str]) -> Fingerprint | None:
    """None for texts too short to identify a story (a stub, a link, an empty chapter).

    The exact hash is over the folded text with every space removed: the same words however
    they are wrapped, punctuated or cased, and a copy that lost its punctuation ("thereand")
    still matches one that kept it ("there—and").
    """
    data = _folded(texts)
    starts = _word_starts(data)
    words = len(starts)
    if words < MIN_WORDS:
        return None
    text_hash = hashlib.sha256(data.translate(None, _SPACES)).hexdigest()
    sample = _sample(data, starts)
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
    return Fingerprint(text_hash, signature, words)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    va = np.frombuffer(a, dtype="<u4")
    vb = np.frombuffer(b, dtype="<u4")
    return float(np.mean(va == vb))
