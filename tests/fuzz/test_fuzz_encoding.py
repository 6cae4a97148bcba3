"""The byte decoder: any bytes become clean text, and text that was fine comes back as it was.

Documented normalization (``fanarchive.normalize.encoding``): CRLF and lone CR become LF, text
is NFC, C0/C1 control characters and stray byte-order marks are removed, entities are decoded
in plain text (not in HTML), and lines that look like mojibake are repaired, each repair
flagged.
"""

from __future__ import annotations

import os
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from fanarchive.normalize.encoding import decode_bytes

DEPTH = float(os.environ.get("FANARCHIVE_FUZZ_SCALE", "1"))  # 20: a deeper nightly pass
FUZZ = settings(max_examples=int(150 * DEPTH), deadline=None, derandomize=True, database=None)

# Characters the decoder rewrites on purpose: controls (Cc), surrogates (Cs), the BOM, and "&"
# (entities in plain text). Everything else in valid UTF-8 must come back untouched.
CLEAN = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff&")
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r", "\t"])
CLEAN_TEXT = st.lists(st.one_of(st.text(CLEAN, min_size=1, max_size=20), LINE_ENDS),
                      max_size=30).map("".join)


def expected(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([None, "utf-8", "windows-1252", "latin-1",
                                                  "utf-16", "koi8-r", "shift_jis", "nonsense"]),
       st.booleans())
def test_any_bytes_decode_to_storable_text(data: bytes, declared: str | None,
                                           is_html: bool) -> None:
    decoded = decode_bytes(data, declared=declared, is_html=is_html)
    decoded.text.encode("utf-8")  # no lone surrogates: storable in every database
    assert "\x00" not in decoded.text and "\r" not in decoded.text
    assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in decoded.text)
    assert decode_bytes(data, declared=declared, is_html=is_html) == decoded  # deterministic


@FUZZ
@given(CLEAN_TEXT, st.booleans())
def test_valid_utf8_round_trips(text: str, is_html: bool) -> None:
    decoded = decode_bytes(text.encode("utf-8"), is_html=is_html)
    assert decoded.encoding == "utf-8"
    codes = {flag.code for flag in decoded.flags}
    if "mojibake-repaired" in codes:  # a documented repair of text that looked double-encoded
        return
    assert codes == set(), decoded.flags
    assert decoded.text == expected(text)


@FUZZ
@given(CLEAN_TEXT)
def test_a_byte_order_mark_is_read_and_dropped(text: str) -> None:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                       (b"\xfe\xff", "utf-16-be")):
        decoded = decode_bytes(bom + text.encode(codec))
        if "mojibake-repaired" not in {f.code for f in decoded.flags}:
            assert decoded.text == expected(text), codec


@FUZZ
@given(CLEAN_TEXT)
def test_html_keeps_entities_for_the_html_parser(text: str) -> None:
    source = f"<p>{text} &amp; &eacute;</p>"
    decoded = decode_bytes(source.encode("utf-8"), is_html=True)
    assert decoded.text.endswith(" &amp; &eacute;</p>")


# Western prose in a single-byte file: ASCII words, some with one accented letter inside, as
# French, German or Spanish words have. Such bytes are never valid UTF-8.
_ACCENTED = "éèêàâçëïîôöüùûñáíóúÉÀÇÖÜÑ"
_WORD = st.builds(lambda a, acc, b: a + acc + b,
                  st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6),
                  st.sampled_from(["", *_ACCENTED]),
                  st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6))
WESTERN = st.lists(_WORD, min_size=3, max_size=40).map(" ".join).filter(
    lambda t: any(c in _ACCENTED for c in t))


@FUZZ
@given(WESTERN, st.sampled_from(["cp1252", "latin-1"]))
def test_unlabelled_western_single_byte_text_is_guessed_right(text: str, codec: str) -> None:
    decoded = decode_bytes(text.encode(codec))
    assert decoded.text == text
    assert decoded.encoding == "cp1252"
    assert "encoding-guessed" in {flag.code for flag in decoded.flags}


@FUZZ
@given(WESTERN)
def test_a_latin1_label_on_cp1252_bytes_reads_them_as_cp1252(text: str) -> None:
    quoted = f"\u201c{text}\u201d \u2014 it\u2019s"  # curly quotes, dash: bytes 0x80-0x9F
    decoded = decode_bytes(quoted.encode("cp1252"), declared="ISO-8859-1")
    assert decoded.text == quoted
