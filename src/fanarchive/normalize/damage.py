"""Flag damage that cannot be repaired, such as punctuation deleted between words.

Some archives lost characters in a conversion: "been there—and now" became "been thereand now".
The text cannot be repaired safely, but the story can be flagged so an archivist knows. A
whitespace token is suspicious when it is made of two very common English words and is not a
word itself; wordfreq (which ships its data) supplies both frequencies.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import filterfalse

from wordfreq import iter_wordlist, zipf_frequency

from fanarchive.normalize.text import tokens

__all__ = ["clean_tokens", "find_joined_words", "joined_words_in"]

# Two-letter words that really are words; wordfreq's common list also holds fragments such as
# "re", "st", "mr" and "tv" that would make "restart"-like rarities look joined.
_TWO_LETTER = frozenset({
    "am", "an", "as", "at", "be", "by", "do", "go", "he", "hi", "if", "in", "is", "it", "me",
    "my", "no", "of", "oh", "ok", "on", "or", "so", "to", "up", "us", "we",
})
# Surrounding punctuation that does not belong to the word.
_EDGE = "\"'“”‘’()[]{}<>.,;:!?…*_~—–-/\\"
_LOWER = re.compile(r"[a-z]+")
_CAMEL = re.compile(r"([a-z]{2,})([A-Z][a-z]*)")
_CACHE_LIMIT = 500_000


@lru_cache(maxsize=8)
def _common_words(min_zipf: float) -> frozenset[str]:
    common: set[str] = set()
    for word in iter_wordlist("en"):
        if zipf_frequency(word, "en") < min_zipf:
            break  # the list is in frequency order
        if word.isalpha() and word.isascii() and (len(word) > 2 or word in _TWO_LETTER):
            common.add(word)
    return frozenset(common)


class _Detector:
    """Verdicts per distinct token, cached: a corpus repeats its vocabulary endlessly.

    Clean tokens go to a set so that a C-level membership pass skips them; Python only judges
    tokens it has not seen and the few damaged ones.
    """

    def __init__(self, min_zipf: float) -> None:
        self.common = _common_words(min_zipf)
        self.clean: set[str] = set()
        self.joined: dict[str, str] = {}

    def find(self, toks: list[str], limit: int) -> list[str]:
        found: list[str] = []
        for token in filterfalse(self.clean.__contains__, toks):
            word = self.joined.get(token)
            if word is None:
                word = self._judge(token.strip(_EDGE))
                if len(self.clean) + len(self.joined) >= _CACHE_LIMIT:
                    self.clean.clear()
                    self.joined.clear()
                if word is None:
                    self.clean.add(token)
                    continue
                self.joined[token] = word
            if word not in found:
                found.append(word)
                if len(found) >= limit:
                    break
        return found

    def _judge(self, word: str) -> str | None:
        if len(word) < 3 or not word.isascii():
            return None
        common = self.common
        if _LOWER.fullmatch(word):
            if len(word) < 5:
                return None
            # Capitalised words are skipped (names); a known word is never damage however rare.
            for i in range(2, len(word) - 1):
                left, right = word[:i], word[i:]
                if left in common and right in common and left != right:
                    return word if zipf_frequency(word, "en") == 0 else None
            return None
        camel = _CAMEL.fullmatch(word)
        if camel:
            # "youI", "hereWhat": a capital inside a lower-case word is a lost sentence break
            # when both halves are common; real camel-case ("iPod", "McCoy") fails that test.
            left, right = camel.group(1), camel.group(2).lower()
            if left in common and (right in common or right == "i"):
                return word
        return None


@lru_cache(maxsize=8)
def _detector(min_zipf: float) -> _Detector:
    return _Detector(min_zipf)


def clean_tokens(min_zipf: float = 5.0) -> set[str]:
    """Tokens judged free of damage so far (a cache; see :mod:`fanarchive.normalize.scan`)."""
    return _detector(min_zipf).clean


def joined_words_in(toks: list[str], min_zipf: float = 5.0, limit: int = 8) -> list[str]:
    """Joined words among whitespace tokens (see :func:`fanarchive.normalize.text.tokens`)."""
    return _detector(min_zipf).find(toks, limit)


def find_joined_words(text: str, min_zipf: float = 5.0, limit: int = 8) -> list[str]:
    """Words that are unknown whole but split into two very common words ("thereand").

    Lower-case only: capitalised words are usually names. Ordinary compounds ("chainsmoking")
    split into rarer words and fall under ``min_zipf``. The text is never changed.
    """
    return joined_words_in(tokens(text), min_zipf, limit)
