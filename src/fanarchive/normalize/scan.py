"""A chapter's word count and damage check in one pass over its tokens.

Both skip the tokens they have seen before with a C-level membership pass; a story repeats its
vocabulary, so one set of tokens known to be a single clean word serves both and the chapter's
tokens are filtered once instead of twice.
"""

from __future__ import annotations

from itertools import filterfalse

from fanarchive.normalize.damage import clean_tokens, joined_words_in
from fanarchive.normalize.text import count_words, one_word_tokens

_PLAIN: dict[float, set[str]] = {}
_CACHE_LIMIT = 500_000


def scan_tokens(toks: list[str], min_zipf: float, limit: int, damage: bool = True
                ) -> tuple[int, list[str]]:
    """(words, joined words) for whitespace tokens; ``damage`` False skips the damage check."""
    plain = _PLAIN.setdefault(min_zipf, set())
    rare = list(filterfalse(plain.__contains__, toks))
    words = len(toks) - len(rare) + count_words(rare)
    joined = joined_words_in(rare, min_zipf, limit) if damage else []
    if len(plain) > _CACHE_LIMIT:
        plain.clear()
    one, clean = one_word_tokens(), clean_tokens(min_zipf)
    plain.update(t for t in rare if t in one and t in clean)
    return words, joined
