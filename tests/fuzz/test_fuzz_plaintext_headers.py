"""The plain-text header parser over arbitrary text and over generated header blocks.

Generated blocks use every label of the synonym table, every separator style the parser
documents (``Label: v``, ``Label : v``, ``LABEL - v``, ``*Label*: v``, ``**Label:** v``,
``_Label_: v``, ``[Label]: v``), any case, headers on consecutive lines or apart, and a rule
line or a blank line before the story. Every value must come back exactly in ``raw_headers``
under its label, and every word of the story must come back in the chapters (or epigraph).
"""

from __future__ import annotations

import os
import re

from fanarchive_parsers.plaintext import PlainTextParser
from fanarchive_parsers.plaintext.headers import scan_headers
from fanarchive_parsers.plaintext.labels import LABELS, field_for, label_key
from hypothesis import given, settings
from hypothesis import strategies as st

from fanarchive.document import Document
from fanarchive.errors import ParseError

DEPTH = float(os.environ.get("FANARCHIVE_FUZZ_SCALE", "1"))  # 20: a deeper nightly pass
FUZZ = settings(max_examples=int(80 * DEPTH), deadline=None, derandomize=True, database=None)

_WORD = re.compile(r"[A-Za-z]{2,}")


def parse(text: str, name: str = "story.txt") -> object:
    document = Document(content=text.encode("utf-8"), locator=f"/fuzz/{name}")
    parser = PlainTextParser()
    assert 0.0 <= parser.detect(document) <= 1.0
    return parser.parse(document)


def refused_only_when_blank(text: str) -> None:
    """Parsing never raises anything but ParseError, and that only for a text with nothing in
    it once decoded (the decoder drops control characters and byte-order marks)."""
    scan_headers(text)
    try:
        parse(text)
    except ParseError:
        decoded = Document(content=text.encode("utf-8"), locator="/fuzz/x.txt").text
        assert not decoded.replace("\ufeff", "").strip(), repr(decoded[:200])


@FUZZ
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=600))
def test_arbitrary_text_never_crashes_the_parser(text: str) -> None:
    refused_only_when_blank(text)


@FUZZ
@given(st.lists(st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=100),
    st.sampled_from(["Title:", "Title: x", "Summary:", "", "----", "Chapter 1", "Chapter 99999",
                     "-- ", "by Someone", "\ufeff", "\r", "Part 1/2", "A/N: x"])),
    max_size=60))
def test_arbitrary_lines_never_crash_the_parser(lines: list[str]) -> None:
    refused_only_when_blank("\n".join(lines))


# -- generated header blocks ----------------------------------------------------------------

SYNONYMS = sorted(LABELS)  # every label the table knows, lower case


def _cased(label: str, style: int) -> str:
    if style == 0:
        return label.title().replace("'S", "'s")
    if style == 1:
        return label.upper()
    return label[:1].upper() + label[1:]


SEPARATORS = [
    "{label}: {value}", "{label} : {value}", "{label}:{value}", "{label} - {value}",
    "*{label}*: {value}", "**{label}:** {value}", "_{label}_: {value}", "[{label}]: {value}",
    "{label}:   {value}", "\t{label}: {value}",
]
# Values: words of letters and digits with the punctuation header values carry. They end in a
# letter or digit, so that no value reads like a sentence ("Note: the door was locked.").
_VALUE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éü"
VALUE_WORD = st.text(_VALUE_CHARS, min_size=1, max_size=10)
VALUE = st.builds(
    lambda first, rest: " ".join([first, *rest]),
    VALUE_WORD,
    st.lists(st.one_of(VALUE_WORD, st.sampled_from(["&", "/", "(x)", "3/7", "B/S", "PG-13",
                                                     "K+", "<a@b.example>", "-", "'n'",
                                                     "x:y", "100%", "#2"])), max_size=8),
).map(lambda v: v if v[-1].isalnum() else v + "z")

BODY_WORDS = st.lists(st.sampled_from([
    "the", "night", "was", "quiet", "she", "walked", "home", "alone", "under", "stars",
    "Willow", "waited", "by", "door", "remembering", "everything", "said", "winter"]),
    min_size=8, max_size=40)


@st.composite
def stories(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str]:
    labels = draw(st.lists(st.sampled_from(SYNONYMS), min_size=1, max_size=10,
                           unique_by=lambda label: field_for(label_key(label)) or label))
    headers = []
    lines = []
    apart = draw(st.booleans())  # headers separated by blank lines
    for label in labels:
        written = _cased(label, draw(st.integers(0, 2)))
        value = draw(VALUE)
        template = draw(st.sampled_from(SEPARATORS))
        if " - " in template and not label[-1].isalpha():
            template = "{label}: {value}"  # "A/N. - x" is not a header anywhere
        lines.append(template.format(label=written, value=value))
        if apart:
            lines.append("")
        headers.append((written, value))
    ending = draw(st.sampled_from(["", "----------", "~*~*~", "* * *", "=========="]))
    paragraphs = [" ".join(draw(BODY_WORDS)).capitalize() + "."
                  for _ in range(draw(st.integers(1, 4)))]
    body = "\n\n".join(paragraphs)
    text = "\n".join(lines) + ("\n" if apart else "\n\n") + (f"{ending}\n\n" if ending else "")
    return text + body + "\n", headers, body


@FUZZ
@given(stories())
def test_generated_header_values_come_back_exactly(story: tuple[str, list[tuple[str, str]], str]
                                                   ) -> None:
    text, headers, body = story
    [parsed] = parse(text).stories  # type: ignore[attr-defined]
    for label, value in headers:
        assert parsed.raw_headers.get(label) == value, (label, value, parsed.raw_headers, text)


@FUZZ
@given(stories())
def test_body_words_are_never_dropped(story: tuple[str, list[tuple[str, str]], str]) -> None:
    text, headers, body = story
    [parsed] = parse(text).stories  # type: ignore[attr-defined]
    kept = " ".join([parsed.epigraph or ""] + [c.text for c in parsed.chapters])
    assert _WORD.findall(body) == _WORD.findall(kept), (text, kept)


@FUZZ
@given(stories(), st.sampled_from(["\r\n", "\r"]))
def test_line_ends_do_not_change_what_is_parsed(story: tuple[str, list[tuple[str, str]], str],
                                                newline: str) -> None:
    text, headers, body = story
    [unix] = parse(text).stories  # type: ignore[attr-defined]
    [other] = parse(text.replace("\n", newline)).stories  # type: ignore[attr-defined]
    assert other.raw_headers == unix.raw_headers
    assert [c.text for c in other.chapters] == [c.text for c in unix.chapters]
