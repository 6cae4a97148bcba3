"""Single header values: dates, status, series, language."""

from __future__ import annotations

import re
from datetime import date

from fanarchive.normalize.text import one_line
from fanarchive.story import Series

__all__ = ["parse_date", "parse_language", "parse_series", "parse_status"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
# Digits must not continue on either side; a letter may ("2006-02-09T22:21:35").
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?[\s\-]+(?:of\s+)?{_MONTH}[\s,\-]+(\d{{4}})\b", re.IGNORECASE
)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b",
                             re.IGNORECASE)
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")  # 18.01.2022 is always day first
_SLASHED = re.compile(r"\b(\d{1,2})[/\-](\d{1,2})[/\-](\d{4})\b")


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(raw: str | None) -> str | None:
    """An ISO 8601 date when the value says unambiguously which day; otherwise None.

    "03/04/2005" could be March or April: None (the raw header is kept). Two-digit years are
    refused for the same reason.
    """
    if not raw:
        return None
    m = _ISO.search(raw)
    if m:
        return _iso(int(m[1]), int(m[2]), int(m[3]))
    m = _MONTH_DAY_YEAR.search(raw)
    if m:
        return _iso(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    m = _DAY_MONTH_YEAR.search(raw)
    if m:
        return _iso(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    m = _DOTTED.search(raw)
    if m:
        return _iso(int(m[3]), int(m[2]), int(m[1]))
    m = _SLASHED.search(raw)
    if m:
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if first > 12 >= second:
            return _iso(year, second, first)
        if second > 12 >= first or first == second:
            return _iso(year, first, second)
    return None


_IN_PROGRESS = re.compile(
    r"\b(?:in[- ]progress|incomplete|not (?:yet )?(?:complete|finished)|unfinished|wip|"
    r"ongoing|on[- ]going|hiatus|on hold|abandoned|tbc|to be continued|continuing|"
    r"work in progress|no|n)\b",
    re.IGNORECASE,
)
_COMPLETE = re.compile(r"\b(?:complete|completed|finished|done|one[- ]?shot|yes|y|the end)\b",
                       re.IGNORECASE)


def parse_status(raw: str | None) -> str | None:
    """"complete", "in-progress" or None."""
    if not raw:
        return None
    if _IN_PROGRESS.search(raw):
        return "in-progress"
    if _COMPLETE.search(raw):
        return "complete"
    return None


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10, "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15}
_NUMBER = r"(\d+|[ivx]{1,4})"
_PART_SUFFIX = re.compile(
    rf"\s*[,:(\[\-–—]?\s*(?:part|pt\.?|book|story|episode|no\.?|#)\s*{_NUMBER}"
    rf"(?:\s*(?:/|of)\s*(\d+))?\s*[)\]]?\s*$",
    re.IGNORECASE,
)
_FRACTION_SUFFIX = re.compile(r"\s*[,(\[\-–—]?\s*(\d+)\s*/\s*(\d+)\s*[)\]]?\s*$")
_PART_PREFIX = re.compile(
    rf"^(?:part|book|story)\s+{_NUMBER}(?:\s+of\s+(\d+))?\s+(?:of|in)\s+(?:the\s+)?(.+?)"
    r"(?:\s+series)?$",
    re.IGNORECASE,
)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else _ROMAN.get(text.lower())


def parse_series(raw: str | None, part: int | None = None, of: int | None = None) -> Series | None:
    """A series title with its part ("Following, part 2 of 5", "Part 2 of the X series").

    ``part``/``of`` (a parser's part of a multi-part posting) fill in only when the series
    value names no part itself. The two count different things: "Series: The Key Cycle, part
    2" with "Part: 1 of 2" is the first posting of the series' second story, so the number
    written beside the series name wins.
    """
    title = one_line(raw)
    if not title or title.lower() in ("none", "n/a", "no", "-"):
        return None
    prefix = _PART_PREFIX.match(title)
    if prefix and not prefix[3].isdigit():
        found_part = _number(prefix[1])
        if found_part is not None:
            return Series(prefix[3], found_part, int(prefix[2]) if prefix[2] else None)
        return Series(prefix[3], part, of)
    suffix = _PART_SUFFIX.search(title) or _FRACTION_SUFFIX.search(title)
    if suffix and suffix.start() > 0:
        found_part = _number(suffix[1])
        found_of = int(suffix[2]) if suffix[2] else None
        name = title[: suffix.start()].strip(" ,:-–—")
        if found_part is not None:
            return Series(name, found_part, found_of)
        return Series(name, part, of)
    return Series(title, part, of)


_LANGUAGES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "français": "fr",
    "francais": "fr", "spanish": "es", "español": "es", "espanol": "es", "italian": "it",
    "italiano": "it", "portuguese": "pt", "português": "pt", "dutch": "nl", "nederlands": "nl",
    "russian": "ru", "русский": "ru", "japanese": "ja", "日本語": "ja", "chinese": "zh",
    "中文": "zh", "korean": "ko", "한국어": "ko", "polish": "pl", "polski": "pl",
    "swedish": "sv", "svenska": "sv", "finnish": "fi", "suomi": "fi", "norwegian": "no",
    "norsk": "no", "danish": "da", "dansk": "da", "czech": "cs", "čeština": "cs",
    "hungarian": "hu", "magyar": "hu", "greek": "el", "turkish": "tr", "türkçe": "tr",
    "hebrew": "he", "arabic": "ar", "latin": "la", "indonesian": "id", "vietnamese": "vi",
    "tagalog": "tl", "filipino": "fil", "catalan": "ca", "català": "ca", "ukrainian": "uk",
    "romanian": "ro", "croatian": "hr", "serbian": "sr", "slovak": "sk", "slovenian": "sl",
    "bulgarian": "bg", "thai": "th", "hindi": "hi", "welsh": "cy", "irish": "ga",
    "esperanto": "eo", "klingon": "tlh",
}
_CODES = frozenset(_LANGUAGES.values())
_TAG = re.compile(r"^([a-z]{2,3})(?:[-_]([a-z0-9]{2,8}))*$", re.IGNORECASE)


def parse_language(raw: str | None) -> str | None:
    """A BCP 47 code from "English", "en", "en_US" or "pt-br"; None when unknown."""
    value = one_line(raw)
    if not value:
        return None
    lowered = value.lower()
    if lowered in _LANGUAGES:
        return _LANGUAGES[lowered]
    if _TAG.match(value):
        parts = re.split(r"[-_]", value)
        if parts[0].lower() in _CODES:
            subtags = [p.upper() if len(p) == 2 else p.lower() for p in parts[1:]]
            return "-".join([parts[0].lower(), *subtags])
    return None
