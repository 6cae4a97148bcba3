"""Part numbers of multi-part postings: "Part 2/3", "2 of 3", "(2/3)", "Chapter Two"."""

from __future__ import annotations

import re

_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen", "twenty"]
_WORD_VALUES = {word: i for i, word in enumerate(_WORDS, start=1)}
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}

# A part number after a keyword may be written out ("Part Two", "Part IV").
_ANY_NUM = r"(?:\d{1,3}|[ivxlc]{1,7}|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b"
_KEYWORD = r"\b(?:part|pt\.?|chapter|chap\.?|ch\.)"
_OF = r"\s*(?:/|\bof\b|\bout\s+of\b)\s*"

_TITLE_PART = re.compile(
    rf"""[\s,:;.\-–—~]*
    (?:
        [(\[]\s*{_KEYWORD}\s*(?P<k1>{_ANY_NUM})(?:{_OF}(?P<k2>{_ANY_NUM}|\?))?\s*[)\]]
      | [(\[]\s*(?P<p1>\d{{1,3}}){_OF}(?P<p2>\d{{1,3}}|\?)\s*[)\]]
      | {_KEYWORD}\s*(?P<w1>{_ANY_NUM})(?:{_OF}(?P<w2>{_ANY_NUM}|\?))?
      | (?<![\w/])(?P<b1>\d{{1,3}})\s*/\s*(?P<b2>\d{{1,3}}|\?)
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_PART_VALUE = re.compile(
    rf"\s*(?:{_KEYWORD}\s*|\#\s*)?(?P<n>{_ANY_NUM})(?:\s*\(?{_OF}(?P<of>{_ANY_NUM}|\?)\)?)?",
    re.IGNORECASE,
)


def _number(token: str | None) -> int | None:
    if token is None or token == "?":
        return None
    token = token.lower().rstrip(".")
    if token.isdigit():
        return int(token)
    if token in _WORD_VALUES:
        return _WORD_VALUES[token]
    total = 0
    values = [_ROMAN_VALUES[ch] for ch in token if ch in _ROMAN_VALUES]
    if len(values) != len(token):
        return None
    for i, value in enumerate(values):
        total += -value if i + 1 < len(values) and values[i + 1] > value else value
    return total


def _valid(part: int | None, of: int | None) -> bool:
    if part is None or not 1 <= part <= 999:
        return False
    return of is None or part <= of <= 999


def parse_part_value(value: str) -> tuple[int | None, int | None]:
    """Numbers from a ``Part:`` header value ("3/7", "3 of 7", "Three", "3"); (None, None)."""
    match = _PART_VALUE.match(value)
    if match is None:
        return None, None
    part, of = _number(match["n"]), _number(match["of"])
    return (part, of) if _valid(part, of) else (None, None)


def split_title_part(title: str) -> tuple[str, int | None, int | None]:
    """``("Following, Part 2/3")`` -> ``("Following", 2, 3)``; titles without a marker unchanged.

    A bare trailing number is never a part ("Catch 22"), and "24/7" is not part 24 of 7.
    """
    match = _TITLE_PART.search(title)
    if match is None:
        return title, None, None
    groups = match.groupdict()
    for first, second in (("k1", "k2"), ("p1", "p2"), ("w1", "w2"), ("b1", "b2")):
        if groups[first] is not None:
            part, of = _number(groups[first]), _number(groups[second])
            break
    rest = title[: match.start()].strip()
    if not rest or not _valid(part, of):
        return title, None, None
    return rest, part, of
