"""File names from titles: legal on every filesystem, unique, never empty."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from fanarchive.export.filenames import UniqueNames, ascii_slug, safe_stem


def test_illegal_characters_and_controls_are_replaced() -> None:
    stem = safe_stem('A/B\\C:D*E?F"G<H>I|J\x00K\x1fL\x7fM')
    assert stem == "A_B_C_D_E_F_G_H_I_J_K L_M"  # \x1f is a separator, like a space


def test_trailing_dots_spaces_and_reserved_names() -> None:
    assert safe_stem("  The End...  ") == "The End"
    assert safe_stem("CON") == "_CON"
    assert safe_stem("nul.txt") == "_nul.txt"
    assert safe_stem("Com1") == "_Com1"
    assert safe_stem("Console") == "Console"


def test_empty_and_unusable_titles_fall_back() -> None:
    assert safe_stem(None) == "untitled"
    assert safe_stem("") == "untitled"
    assert safe_stem("///") == "untitled"
    assert safe_stem("...", fallback="abc123") == "abc123"


def test_very_long_titles_fit_in_bytes_without_breaking_characters() -> None:
    stem = safe_stem("ü" * 500)
    assert len(stem.encode("utf-8")) <= 150
    assert stem == "ü" * 75
    emoji = safe_stem("🦊" * 100)
    assert emoji == "🦊" * 37


def test_duplicates_get_numbers_case_and_normalization_insensitive() -> None:
    names = UniqueNames()
    assert names.claim("Story", ".epub") == "Story.epub"
    assert names.claim("Story", ".epub") == "Story (2).epub"
    assert names.claim("STORY", ".epub") == "STORY (3).epub"
    assert names.claim("Cafe\u0301", ".epub") == "Cafe\u0301.epub"
    assert names.claim("Caf\u00e9", ".epub") == "Caf\u00e9 (2).epub"


def test_ascii_slug() -> None:
    assert ascii_slug("Déjà Vu: Part 2!") == "deja-vu-part-2"
    assert ascii_slug("日本語") == ""
    assert len(ascii_slug("x" * 200)) == 50


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_every_title_makes_a_file_that_can_be_created(tmp_path_factory, title: str) -> None:
    stem = safe_stem(title)
    assert stem and len(stem.encode("utf-8")) <= 150
    assert not any(c in stem for c in '/\\:*?"<>|\x00')
    folder = tmp_path_factory.mktemp("names")
    path = Path(folder) / (stem + ".epub")
    path.write_bytes(b"x")
    assert path.read_bytes() == b"x"
