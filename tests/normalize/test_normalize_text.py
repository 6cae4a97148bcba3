"""Word counts and small header helpers."""

from __future__ import annotations

import pytest

from fanarchive.normalize.text import clean_header, drop_nothing, one_line, split_list, word_count


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("one two three", 3),
        ("don't well-known it’s", 3),
        ("him—and then -- nothing ... at all", 6),
        ("him—and", 2),
        ("* * *\n\n~~~", 0),
        ("He said, \"Stop.\"\n\nShe didn't.", 5),
        ("日本語の文章", 6),
        ("Lořem ipsúm", 2),
    ],
)
def test_word_count(text: str, count: int) -> None:
    assert word_count(text) == count


def test_word_count_is_stable_across_calls() -> None:
    text = "the same words — the same words again"
    assert word_count(text) == word_count(text) == 7


def test_one_line_joins_with_single_spaces() -> None:
    joined = "Tag to Tabula Rasa - Spike's thoughts"
    assert one_line("  Tag to Tabula Rasa -\n  Spike's\tthoughts  ") == joined
    assert one_line("  \n ") is None
    assert one_line(None) is None


def test_clean_header_drops_markup_and_decodes_entities() -> None:
    assert clean_header("&nbsp;<p> &nbsp;</p>Meat-related text.") == "Meat-related text."
    cleaned = clean_header("A <i>very</i> short<br/>summary &amp; more")
    assert cleaned == "A very short summary & more"
    assert clean_header("Buffy & Spike <3 forever") == "Buffy & Spike <3 forever"


def test_split_list() -> None:
    assert split_list("Angst, Romance; Humor and Drama") == ["Angst", "Romance", "Humor", "Drama"]
    assert split_list(["Angst", " Angst ", "", "Hurt/Comfort"]) == ["Angst", "Hurt/Comfort"]
    assert split_list(None) == []


def test_drop_nothing_removes_empty_markers_only() -> None:
    assert drop_nothing(["None"]) == []
    assert drop_nothing(split_list("none.")) == []
    assert drop_nothing(["N/A", "-", "No warnings", "Nothing"]) == []
    assert drop_nothing(["Violence", "None"]) == ["Violence"]
    # AO3's own tags say something, and so do words that merely contain "none".
    assert drop_nothing(["No Archive Warnings Apply", "Nonesuch"]) == [
        "No Archive Warnings Apply", "Nonesuch"]
