"""Whatever comes in, the normalize helpers return clean values and never raise."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fanarchive.config import load_config
from fanarchive.normalize.authors import parse_authors
from fanarchive.normalize.encoding import decode_bytes
from fanarchive.normalize.fandoms import FandomMap
from fanarchive.normalize.ratings import map_rating
from fanarchive.story import RATINGS

CONFIG = load_config()
RATING_SCALES: dict[str, Any] = CONFIG.section("ratings")
FANDOMS = FandomMap(CONFIG.section("fandoms"))
BAD_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, "iso-8859-1", "utf-8", "shift_jis",
                                                  "bogus"]), st.booleans())
def test_decode_bytes_never_fails_and_leaves_no_controls(data: bytes, declared: str | None,
                                                         is_html: bool) -> None:
    decoded = decode_bytes(data, declared=declared, is_html=is_html)
    assert not BAD_CHARS.search(decoded.text)
    decoded.text.encode("utf-8")  # storable


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_without_a_flag_only_line_ends_and_nfc_change(text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")
    decoded = decode_bytes(data)
    if not decoded.flags and not text.startswith("\ufeff"):
        expected = text.replace("\r\n", "\n").replace("\r", "\n")
        assert decoded.text == unicodedata.normalize("NFC", expected)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_rating_is_always_canonical(raw: str) -> None:
    rating = map_rating(raw, RATING_SCALES)
    assert rating.canonical in RATINGS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.none() | st.text(max_size=40))
def test_authors_have_names(raw: str, email: str | None) -> None:
    for author in parse_authors(raw, email):
        assert author.name.strip()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.lists(st.sampled_from(["BtVS", "XF", "TOS", "Nope"]),
                                      max_size=2))
def test_relationships_and_fandoms_never_fail(raw: str, fandoms: list[str]) -> None:
    names = FANDOMS.fandoms(fandoms)
    for rel in FANDOMS.relationships(raw, names):
        assert rel.strip()
    FANDOMS.fandoms(raw)
    FANDOMS.characters(raw, names)
