"""normalize_story end to end, and the single-value fields it relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from fanarchive.config import load_config
from fanarchive.normalize import NormalizeContext, merge_flags, normalize_story
from fanarchive.normalize.fields import parse_date, parse_language, parse_series, parse_status
from fanarchive.parsed import ParsedChapter, ParsedStory, QualityFlag
from fanarchive.story import Author, Rating, Series

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "plaintext" / "seed_following.txt"


@pytest.fixture(scope="module")
def ctx() -> NormalizeContext:
    return NormalizeContext(load_config())


def seed_story() -> ParsedStory:
    text = SEED.read_text(encoding="utf-8")
    body = text.split("Why do your eyes follow me the way they do", 1)[1].strip()
    return ParsedStory(
        raw_headers={"Title": "Following", "Author": "Katjen", "Rating": "Strong PG13",
                     "Pairing": "B/S", "Summary": "Tag to Tabula Rasa - Spike's thoughts and\n"
                     "maybe if I get around to it, Buffy's as well"},
        fields={"title": "Following", "authors": "Katjen", "rating": "Strong PG13",
                "relationships": "B/S",
                "summary": "Tag to Tabula Rasa - Spike's thoughts and\n"
                           "  maybe if I get around to it, Buffy's as well",
                "notes": "Lyrics from \"Following\"\nby the Bangles",
                "disclaimer": "Me no own.\nYou no sue, okay?"},
        chapters=[ParsedChapter(text=body)],
    )


def test_seed_story(ctx: NormalizeContext) -> None:
    parsed = seed_story()
    story = normalize_story(parsed, NormalizeContext(ctx.config, default_fandom="BtVS"))
    assert story.title == "Following"
    assert story.authors == [Author("Katjen")]
    assert story.rating == Rating("Strong PG13", "Teen And Up Audiences")
    assert story.fandoms == ["Buffy the Vampire Slayer"]
    assert story.relationships == ["Buffy Summers/Spike"]
    assert story.summary == ("Tag to Tabula Rasa - Spike's thoughts and maybe if I get around "
                             "to it, Buffy's as well")
    assert story.notes == 'Lyrics from "Following" by the Bangles'
    assert story.disclaimer == "Me no own. You no sue, okay?"
    assert story.raw_headers["Rating"] == "Strong PG13"
    # the chapter text is kept exactly, damage and all
    assert story.chapters[0].text == parsed.chapters[0].text
    assert "thereand" in story.chapters[0].text
    assert 2700 < story.word_count < 2900
    (flag,) = [f for f in story.quality_flags if f.code == "punctuation-lost"]
    for word in ("thereand", "youbut", "backcoming"):
        assert word in flag.detail
    assert "chainsmoking" not in flag.detail


def test_without_fandom_the_pairing_keeps_its_initials(ctx: NormalizeContext) -> None:
    story = normalize_story(seed_story(), ctx)
    assert story.fandoms == []
    assert story.relationships == ["B/S"]


def test_fandom_header_beats_the_default(ctx: NormalizeContext) -> None:
    parsed = ParsedStory(fields={"fandoms": "XF", "relationships": "M/Sc",
                                 "characters": "Mulder, Scully"})
    story = normalize_story(parsed, NormalizeContext(ctx.config, default_fandom="BtVS"))
    assert story.fandoms == ["The X-Files"]
    assert story.relationships == ["Fox Mulder/Dana Scully"]
    assert story.characters == ["Fox Mulder", "Dana Scully"]


def test_empty_story(ctx: NormalizeContext) -> None:
    story = normalize_story(ParsedStory(), ctx)
    assert story.title is None
    assert story.authors == []
    assert story.rating == Rating(None, "Not Rated")
    assert story.chapters == []
    assert story.quality_flags == []
    assert story.series is None


def test_headers_and_chapters(ctx: NormalizeContext) -> None:
    parsed = ParsedStory(
        fields={"title": "Caf&eacute; <i>Stories</i>", "authors": "Katjen",
                "email": "katjen at aol dot com", "series": "Following, part 2 of 5",
                "status": "WIP", "published": "January 18 2022", "updated": "03/04/2005",
                "language": "English", "tags": "angst, hurt/comfort",
                "warnings": ["Major Character Death"], "summary": "&nbsp;<p> &nbsp;</p>Meat."},
        chapters=[ParsedChapter(text="Two words", title=" Chapter  Two ", position=2),
                  ParsedChapter(text="One", title="Chapter One", position=1)],
        flags=[QualityFlag("mojibake-repaired", "a"), QualityFlag("mojibake-repaired", "a"),
               QualityFlag("mojibake-repaired", "b")],
    )
    story = normalize_story(parsed, ctx)
    assert story.title == "Café Stories"
    assert story.authors == [Author("Katjen", "katjen@aol.com")]
    assert story.series == Series("Following", 2, 5)
    assert story.status == "in-progress"
    assert story.published == "2022-01-18"
    assert story.updated is None  # March 4th or April 3rd: not guessed
    assert story.language == "en"
    assert story.tags == ["angst", "hurt/comfort"]
    assert story.warnings == ["Major Character Death"]
    assert story.summary == "Meat."
    assert [(c.position, c.title, c.word_count) for c in story.chapters] == [
        (1, "Chapter One", 1), (2, "Chapter Two", 2)]
    assert story.quality_flags == [QualityFlag("mojibake-repaired", "a; b")]


def test_series_part_from_the_parser_wins(ctx: NormalizeContext) -> None:
    parsed = ParsedStory(fields={"series": "Following"}, part=3, part_of=4)
    assert normalize_story(parsed, ctx).series == Series("Following", 3, 4)


def test_merge_flags() -> None:
    flags = [QualityFlag("a", "x"), QualityFlag("b"), QualityFlag("a", "y"), QualityFlag("a", "x")]
    assert merge_flags(flags) == [QualityFlag("a", "x; y"), QualityFlag("b")]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2006-02-09 22:21:35", "2006-02-09"), ("2006-02-09", "2006-02-09"),
        ("2006-02-09T22:21:35Z", "2006-02-09"), ("Posted 2006-02-09.", "2006-02-09"),
        ("2006/2/9", "2006-02-09"), ("January 18 2022", "2022-01-18"),
        ("January 18, 2022", "2022-01-18"), ("Jan. 18th, 2022", "2022-01-18"),
        ("18 January 2022", "2022-01-18"), ("18th of January, 2022", "2022-01-18"),
        ("Mon, 18 Jan 2022 10:00:00 GMT", "2022-01-18"), ("18-Jan-2022", "2022-01-18"),
        ("Sept 5 1999", "1999-09-05"), ("18.01.2022", "2022-01-18"),
        ("01/18/2022", "2022-01-18"), ("18/01/2022", "2022-01-18"), ("05/05/2005", "2005-05-05"),
        ("03/04/2005", None), ("03/04/05", None), ("2005", None), ("January 2005", None),
        ("February 30 2005", None), ("soon", None), (None, None),
    ],
)
def test_parse_date(raw: str | None, iso: str | None) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Complete", "complete"), ("completed", "complete"), ("Yes", "complete"),
        ("Finished.", "complete"), ("One-shot", "complete"), ("WIP", "in-progress"),
        ("Work in progress", "in-progress"), ("In Progress", "in-progress"),
        ("Incomplete", "in-progress"), ("Not complete", "in-progress"), ("No", "in-progress"),
        ("on hiatus", "in-progress"), ("abandoned", "in-progress"), ("?", None), (None, None),
    ],
)
def test_parse_status(raw: str | None, status: str | None) -> None:
    assert parse_status(raw) == status


@pytest.mark.parametrize(
    ("raw", "series"),
    [
        ("Following", Series("Following")),
        ("Following, part 2", Series("Following", 2)),
        ("Following - Part 2 of 5", Series("Following", 2, 5)),
        ("Following (Part 2/5)", Series("Following", 2, 5)),
        ("Following #3", Series("Following", 3)),
        ("Following, Part II", Series("Following", 2)),
        ("Following 2/5", Series("Following", 2, 5)),
        ("Part 2 of the Following series", Series("Following", 2)),
        ("Part 2 of 5 of Following", Series("Following", 2, 5)),
        ("Seven of Nine Stories", Series("Seven of Nine Stories")),
        ("none", None), ("N/A", None), (None, None),
    ],
)
def test_parse_series(raw: str | None, series: Series | None) -> None:
    assert parse_series(raw) == series


@pytest.mark.parametrize(
    ("raw", "code"),
    [("English", "en"), ("english", "en"), ("Deutsch", "de"), ("en", "en"), ("EN", "en"),
     ("en_US", "en-US"), ("pt-br", "pt-BR"), ("日本語", "ja"), ("Elvish", None), (None, None)],
)
def test_parse_language(raw: str | None, code: str | None) -> None:
    assert parse_language(raw) == code


@pytest.mark.parametrize(
    ("raw", "part", "of", "series"),
    [
        # "Series: The Key Cycle, part 2" on part 1 of a 2-part posting: the series says 2.
        ("The Key Cycle, part 2", 1, 2, Series("The Key Cycle", 2)),
        ("Part 3 of the Salt Roads series", 1, 4, Series("Salt Roads", 3)),
        ("Following 2/5", 3, 4, Series("Following", 2, 5)),
        # A series value without a part still takes the posting's (as before).
        ("Following", 3, 4, Series("Following", 3, 4)),
    ],
)
def test_series_part_written_with_the_series_beats_the_posting_part(
        raw: str, part: int, of: int, series: Series) -> None:
    assert parse_series(raw, part, of) == series


def test_warnings_none_is_no_warning(ctx: NormalizeContext) -> None:
    parsed = ParsedStory(fields={"title": "Tides", "warnings": "None", "categories": "N/A",
                                 "tags": "Angst, none"},
                         raw_headers={"Warnings": "None"})
    story = normalize_story(parsed, ctx)
    assert (story.warnings, story.categories, story.tags) == ([], [], ["Angst"])
    assert story.raw_headers == {"Warnings": "None"}  # what the file said is kept
    assert not [t for t in story.tag_map if t[1].lower() == "none"]
    kept = normalize_story(ParsedStory(fields={"warnings": "Violence, None"}), ctx)
    assert kept.warnings == ["Violence"]
