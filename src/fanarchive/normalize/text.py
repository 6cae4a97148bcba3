"""Small text helpers shared by the normalize stage."""

from __future__ import annotations

import html
import re
from itertools import filterfalse

__all__ = ["clean_header", "count_words", "drop_nothing", "one_line", "one_word_tokens",
           "split_list", "tokens",
           "word_count"]

# Each CJK character counts as a word (as AO3 counts them): those scripts use no spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_WORD = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+(?:['’\\-][^\\W_{_CJK}]+)*")
_SPACES = re.compile(r"\s+")
_LIST_SEPARATORS = re.compile(r"\s*[,;]\s*|\s+and\s+")

# Most tokens are exactly one word. Remembering them in a set lets a C-level membership pass
# (itertools.filterfalse) skip them, so Python only looks at new tokens and at the few that are
# not one word ("—", "him—and", "***"): a regex pass over every chapter costs several times more.
_ONE_WORD: set[str] = set()
_WORDS_IN: dict[str, int] = {}
_CACHE_LIMIT = 500_000


def tokens(text: str) -> list[str]:
    """Whitespace-separated tokens, shared by word counts and damage checks."""
    return text.split()


def _words_in(token: str) -> int:
    n = _WORDS_IN.get(token)
    if n is None:
        n = len(_WORD.findall(token))
        if len(_ONE_WORD) + len(_WORDS_IN) >= _CACHE_LIMIT:
            _ONE_WORD.clear()
            _WORDS_IN.clear()
        if n == 1:
            _ONE_WORD.add(token)
        else:
            _WORDS_IN[token] = n
    return n


def one_word_tokens() -> set[str]:
    """The tokens known to be exactly one word (a cache; see :mod:`fanarchive.normalize.scan`)."""
    return _ONE_WORD


def count_words(toks: list[str]) -> int:
    """Words in :func:`tokens`: "him—and" is two, "don't" and "well-known" one, "—" none."""
    others = list(filterfalse(_ONE_WORD.__contains__, toks))
    return len(toks) - len(others) + sum(map(_words_in, others))


def word_count(text: str) -> int:
    return count_words(tokens(text)) if text else 0


def one_line(value: str | None) -> str | None:
    """Multi-line header values are joined with single spaces (the export contract)."""
    if value is None:
        return None
    joined = _SPACES.sub(" ", value).strip()
    return joined or None


_TAG = re.compile(
    r"</?(?:p|br|i|b|em|strong|u|s|strike|span|div|a|font|hr|center|blockquote|sup|sub|small|"
    r"big|li|ul|ol|h[1-6])\b[^>]*>",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def clean_header(value: str | None) -> str | None:
    """A header value as one line of plain text: stray markup dropped, entities decoded.

    Database-backed archives keep summaries as HTML fragments ("&nbsp;<p> </p>Text"); a header
    is plain text in the canonical story.
    """
    if value is None:
        return None
    if "<" in value:
        value = _TAG.sub(" ", value)
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)
    return one_line(value)


def split_list(value: str | list[str] | None) -> list[str]:
    """Split a header list on commas, semicolons and "and"; empty items and repeats dropped."""
    if value is None:
        return []
    items = value if isinstance(value, list) else _LIST_SEPARATORS.split(value)
    out: list[str] = []
    for item in items:
        item = one_line(item) or ""
        if item and item not in out:
            out.append(item)
    return out


# Values that fill a list header only to say it is empty ("Warnings: None").
_NOTHING = frozenset({"none", "n/a", "na", "nil", "nothing", "-", "--", "—", "no", "no warnings",
                      "none apply", "no warnings apply", "not applicable", "none really",
                      "none given", "none that i know of"})


def drop_nothing(items: list[str]) -> list[str]:
    """``items`` without the words that mean "no value": a story whose header says "Warnings:
    None" has no warnings, and a warning named "None" would be wrangled like a real one.

    AO3's "No Archive Warnings Apply" is kept: it is a statement the author chose to make,
    not an empty header.
    """
    return [item for item in items if item.casefold().strip(" .!") not in _NOTHING]
