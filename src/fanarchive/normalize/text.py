"""Small text helpers shared by the normalize stage."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_SPACES = re.compile(r"\s+")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def one_line(value: str | None) -> str | None:
    """Multi-line header values are joined with single spaces (the export contract)."""
    if value is None:
        return None
    joined = _SPACES.sub(" ", value).strip()
    return joined or None


def split_list(value: str | list[str] | None) -> list[str]:
    """Split a header list on commas, semicolons and a final "and"."""
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"\s*[,;]\s*|\s+and\s+", value)
    out: list[str] = []
    for item in items:
        item = one_line(item) or ""
        if item and item not in out:
            out.append(item)
    return out
