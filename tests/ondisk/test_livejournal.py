"""LiveJournal / Dreamwidth entries saved as HTML, in several page styles."""

from __future__ import annotations

from pathlib import Path

import pytest
from fanarchive_parsers.livejournal import LiveJournalParser
from fanarchive_parsers.livejournal.page import parse_lj_date

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.normalize import NormalizeContext, normalize_story
from fanarchive.parsed import ParseResult

PARSER = LiveJournalParser()


def load(fixtures_dir: Path, name: str, url: str | None = None) -> Document:
    path = fixtures_dir / "livejournal" / name
    return Document(content=path.read_bytes(), locator=str(path), path=str(path), url=url,
                    media_type="text/html")


def parse(doc: Document) -> ParseResult:
    assert PARSER.detect(doc) >= 0.85, doc.locator
    return PARSER.parse(doc)


def test_dreamwidth_s2_entry_part_one(fixtures_dir: Path, config: Config) -> None:
    result = parse(load(fixtures_dir, "dw_entry_part1.html"))
    (story,) = result.stories
    assert story.fields["title"] == "Following" and story.fields["authors"] == "Katjen"
    assert story.fields["rating"] == "PG-13" and story.fields["relationships"] == "Buffy/Spike"
    assert story.fields["fandoms"] == "Buffy the Vampire Slayer"
    assert (story.part, story.part_of) == (1, 2)
    assert story.fields["published"] == "2009-03-05"
    assert story.raw_headers["_journal_tags"] == "fic: btvs, pairing: buffy/spike"
    assert result.links == ["https://kat-writes.dreamwidth.org/1567.html"]
    text = story.chapters[0].text
    assert text.startswith("He has left a groove") and text.endswith('"I am home, Slayer."')
    for leftover in ("Part 2", "eleven out of ten", "Add Memory", "Title:", "comments"):
        assert leftover not in text
    normalized = normalize_story(story, NormalizeContext(config=config))
    assert normalized.rating.canonical == "Teen And Up Audiences"
    assert normalized.disclaimer == "Joss owns them; I just borrow."


def test_livejournal_expressive_part_two(fixtures_dir: Path) -> None:
    result = parse(load(fixtures_dir, "lj_expressive_part2.html"))
    (story,) = result.stories
    assert story.fields["title"] == "Following" and (story.part, story.part_of) == (2, 2)
    assert story.fields["published"] == "2009-03-07"
    assert story.raw_headers["_poster"] == "katjen"
    assert story.raw_headers["_url"] == "http://katjen.livejournal.com/5678.html"
    assert result.links == ["http://katjen.livejournal.com/1234.html"]
    assert story.chapters[0].text == (
        "She finds him on the porch at dawn, the cigarette burned down to nothing.\n\n"
        "\"You could come in,\" she says, and means it.\n\nThe end.")


def test_cut_on_a_friends_page_is_flagged_truncated(fixtures_dir: Path) -> None:
    result = parse(load(fixtures_dir, "lj_friends_cut.html"))
    (story,) = result.stories
    assert story.fields["title"] == "The Long Way Round"
    assert [f.code for f in story.flags] == ["truncated", "no-text"]
    assert result.links == ["http://katjen.livejournal.com/9999.html"]
    assert not story.chapters


def test_generator_table_layout_with_lj_cut(fixtures_dir: Path) -> None:
    (story,) = parse(load(fixtures_dir, "lj_generator.html")).stories
    assert story.fields["title"] == "Sunnydale Nights"
    assert story.fields["relationships"] == "Faith & Buffy"
    assert story.fields["published"] == "2003-10-31"
    assert story.part is None
    text = story.chapters[0].text
    assert text.startswith("The cemetery was quiet") and "fledge" in text
    assert "comments" not in text and "Onward" not in text


def test_old_s1_talkread_page(fixtures_dir: Path) -> None:
    doc = load(fixtures_dir, "lj_s1_talkread.html")
    result = parse(doc)
    (story,) = result.stories
    assert story.fields["title"] == "Five By Five" and (story.part, story.part_of) == (1, None)
    assert story.fields["authors"] == "Boston Girl" and story.fields["rating"] == "NC-17"
    assert story.fields["characters"] == "Faith, Wood"
    text = story.chapters[0].text
    assert text.startswith("The bus out of Boston") and text.endswith("She thought about "
                                                                      "everything anyway.")
    assert "Not a header" not in text and "Post a new comment" not in text
    assert result.links == ["http://www.livejournal.com/community/faithfic/22222.html"]


def test_personal_post_is_not_a_story(fixtures_dir: Path) -> None:
    result = parse(load(fixtures_dir, "lj_personal_post.html"))
    assert result.page_kind == "post" and result.stories == []


@pytest.mark.parametrize("html", [
    b"<html><body><div class='entry-content'><p>Title: Blog</p></div></body></html>",
    b"<html><body><p>A story about livejournal.</p></body></html>",
])
def test_not_livejournal(html: bytes) -> None:
    assert PARSER.detect(Document(content=html, locator="x.html")) == 0.0
    assert PARSER.detect(Document(content=b"Title: x", locator="x.txt")) == 0.0


def test_detect_by_url() -> None:
    doc = Document(content=b"<html><body>x</body></html>", locator="a",
                   url="https://someone.livejournal.com/123.html", media_type="text/html")
    assert PARSER.detect(doc) == 0.9


def test_dates() -> None:
    assert parse_lj_date("Mar. 5th, 2009 at 10:15 pm") == "2009-03-05"
    assert parse_lj_date("@ 2002-07-14 02:30:00") == "2002-07-14"
    assert parse_lj_date("5 March 2009") == "2009-03-05"
    assert parse_lj_date("yesterday") is None


def test_archive_pages_are_not_livejournal(site_pages: list) -> None:  # type: ignore[type-arg]
    for page in site_pages:
        doc = Document(content=page.body, locator=page.url, url=page.url,
                       media_type="text/html")
        assert PARSER.detect(doc) == 0.0, page.url
