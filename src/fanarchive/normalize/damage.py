"""Flag damage that cannot be repaired, such as punctuation deleted between words."""

from __future__ import annotations

import re
from functools import lru_cache

from wordfreq import zipf_frequency

_WORD = re.compile(r"(?<![\w'’])[a-z]{5,}(?![\w'’])")


@lru_cache(maxsize=200_000)
def _zipf(word: str) -> float:
    return zipf_frequency(word, "en")


def find_joined_words(text: str, min_zipf: float = 5.0, limit: int = 8) -> list[str]:
    """Words that are unknown whole but split into two very common words ("thereand").

    Lower-case only: capitalised words are usually names. Ordinary compounds ("chainsmoking")
    split into rarer words and fall under ``min_zipf``.
    """
    found: list[str] = []
    for word in dict.fromkeys(_WORD.findall(text)):
        if _zipf(word) > 0:
            continue
        for i in range(2, len(word) - 1):
            if _zipf(word[:i]) >= min_zipf and _zipf(word[i:]) >= min_zipf:
                found.append(word)
                break
        if len(found) >= limit:
            break
    return found
