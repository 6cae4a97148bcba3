"""Properties of the plain-text parser over generated files: it never crashes and never loses
words (each one ends up in a header, the epigraph, a chapter title or text, or the signature
or list footer kept with the headers)."""

from __future__ import annotations

import re
import string

from fanarchive_parsers.plaintext import PlainTextParser
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fanarchive.document import Document
from fanarchive.errors import ParseError

# No "m" or "y": random words must not spell a mailing-list footer marker ("msn", "yahoo"),
# which is dropped on purpose.
_ALPHABET = "".join(c for c in string.ascii_letters if c not in "mMyY") + " .,!?'\"-:*_~#="
_LINES = st.one_of(
    st.sampled_from([
        "Title: A Story", "Author: Someone", "Rating: PG", "Note: the door was locked.",
        "Summary:", "Beta: Lisa", "BUFFY: Hi.", "by Someone", "* * *", "----", "~*~*~", "-- ",
        "--", "", "", "", "Chapter 1", "Chapter 2", '"Run."', "Part: 2/3", "Title: X (2/3)",
        "*Title*: Decorated", "Lyrics from a song", "-- A. Poet",
    ]),
    st.text(alphabet=_ALPHABET, max_size=140),
)
_WORD = re.compile(r"[A-Za-z]{2,}")


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=40))
@example(["TO UNSUBSCRIBE"])  # found in CI: a text that is all list footer was emptied
@example(["Title: A Story", "", "Some prose here.", "", "To unsubscribe send mail to x"])
def test_never_crashes_and_never_loses_words(lines: list[str]) -> None:
    text = "\n".join(lines)
    document = Document(content=text.encode("utf-8"), locator="/x/gen.txt")
    parser = PlainTextParser()
    assert 0.0 <= parser.detect(document) <= 1.0
    try:
        result = parser.parse(document)
    except ParseError:
        assert not text.strip()
        return
    [story] = result.stories
    kept = [*story.raw_headers, *story.raw_headers.values(), story.epigraph or ""]
    for chapter in story.chapters:
        kept += [chapter.title or "", chapter.text]
        assert chapter.text and chapter.text == chapter.text.strip()
        assert "\n\n\n" not in chapter.text
    found = set(_WORD.findall(" ".join(kept)))
    assert set(_WORD.findall(text)) <= found
