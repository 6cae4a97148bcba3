"""eFiction pages: recorded real pages, the served eFiction-like site, access pages, bad HTML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fanarchive_parsers.efiction import EfictionParser, fanarchive_parsers
from fanarchive_parsers.htmlstory import HtmlStoryParser
from fanarchive_parsers.listing import ListingParser

from fanarchive.config import load_config
from fanarchive.document import Document
from fanarchive.normalize import NormalizeContext, normalize_story
from fanarchive.parsed import ParsedStory, ParseResult
from tests.sites.content import ArchiveModel
from tests.sites.efiction import EFictionSite
from tests.sites.launch import start_site
from tests.sites.server import ArchiveServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "efiction-html"
WORK_URL = "https://www.giantessworld.net/viewstory.php?sid=11369&index=1"
CHAPTER_URL = "https://www.giantessworld.net/viewstory.php?sid=11369&chapter=1"
GATE_URL = "https://www.narutofic.org/viewstory.php?sid=11545"
PARSER = EfictionParser()


def _sample(name: str, url: str, **extra: Any) -> Document:
    return Document(content=(FIXTURES / name).read_bytes(), locator=url, url=url, **extra)


def _page(body: str, url: str = "http://archive.example/viewstory.php?sid=7",
          head: str = "") -> Document:
    """A page in eFiction's default skin around ``body``."""
    html = (
        f"<html><head><title>Archive</title>{head}</head><body><div id='menu'><ul>"
        "<li><a href='index.php'>Home</a></li><li><a href='browse.php?type=titles'>Titles</a>"
        "</li><li><a href='user.php?action=login'>Login</a></li></ul></div>"
        f"<div id='content'>{body}</div><div id='footer'>Powered by eFiction</div></body></html>"
    )
    return Document(content=html.encode(), locator=url, url=url)


# ---- the recorded real pages ---------------------------------------------------------------


def test_story_index_page_has_every_metadata_field() -> None:
    result = PARSER.parse(_sample("giantessworld-work.html", WORK_URL))
    assert result.page_kind == "index"
    (story,) = result.stories
    assert story.identity == "efiction:giantessworld.net:11369"
    f = story.fields
    assert f["title"] == "The Philosopher Boned"
    assert f["authors"] == ["LMeir3"]
    assert f["rating"] == "X"
    assert f["categories"] == [
        "Young Adult  20-29", "Breasts", "Breast Enlargement", "Entrapment", "Fantasy", "Gentle",
        "Humiliation", "Insertion", "Mouth Play", "New World Order", "Vore"]
    assert "characters" not in f  # "None"
    assert f["warnings"] == [
        "Following story may contain inappropriate material for certain audiences"]
    assert f["tags"] == ["Titan (101 ft. to 500 ft.)", "FF/m"]  # site class types, unsplit
    assert "series" not in f
    assert f["status"] == "Yes"
    assert f["word_count"] == "27507"
    assert f["published"] == f["updated"] == "January 18 2022"
    assert f["summary"].startswith("Markus has recently learned of the dark hunger")
    assert "\n\nMarkus tries to work" in f["summary"]  # <br /><br /> is a paragraph break
    assert f["summary"].endswith("feel free to ask questions about it.")
    assert "notes" not in f
    raw = story.raw_headers
    assert raw["Rated"] == "X" and raw["Size Roles"] == "FF/m" and raw["Shrink"] == "None"
    assert raw["Characters"] == "None" and raw["Challenges"] == "None"
    assert raw["Series"] == "None" and raw["Chapters"] == "13" and raw["Read"] == "288663"
    assert raw["Categories"].startswith("Young Adult  20-29, Breasts,")
    assert [c.title for c in story.chapters] == [f"Chapter {n}" for n in range(1, 14)]
    assert [c.position for c in story.chapters] == list(range(1, 14))
    assert all(c.text == "" for c in story.chapters)
    assert story.chapters[0].notes == ("Introductions, both for the charectars and the world "
                                       "they inhabit.")
    assert story.chapters[1].notes == "The terrible secret is revealed."
    assert story.chapters[12].notes == "The Hotspring Special Episode"


def test_story_index_links_to_the_printer_view_first_and_not_to_each_chapter() -> None:
    result = PARSER.parse(_sample("giantessworld-work.html", WORK_URL))
    assert result.links[0] == ("https://www.giantessworld.net/viewstory.php?action=printable"
                               "&textsize=0&sid=11369&chapter=all")
    assert not any("chapter=" in link and "printable" not in link for link in result.links)
    assert "https://www.giantessworld.net/viewuser.php?uid=128866" in result.links
    assert "https://www.giantessworld.net/browse.php?type=categories&catid=34" in result.links
    assert not any("reviews.php" in link or "user.php" in link.split("/")[-1][:8]
                   for link in result.links)


def test_story_index_normalizes() -> None:
    story = normalize_story(PARSER.parse(_sample("giantessworld-work.html", WORK_URL)).stories[0],
                            NormalizeContext(load_config()))
    assert story.rating.canonical == "Explicit"
    assert story.status == "complete"
    assert story.published == story.updated == "2022-01-18"


def test_chapter_page_text_and_notes() -> None:
    result = PARSER.parse(_sample("giantessworld-chapter-1.html", CHAPTER_URL))
    assert result.page_kind == "story"
    (story,) = result.stories
    assert story.identity == "efiction:giantessworld.net:11369"
    assert (story.part, story.part_of) == (1, 13)
    assert story.fields["title"] == "The Philosopher Boned"
    assert story.fields["authors"] == ["LMeir3"]
    assert story.fields["tags"] == ["Titan (101 ft. to 500 ft.)", "FF/m"]  # plain-text values
    assert "notes" not in story.fields  # the author's note belongs to the chapter
    (chapter,) = story.chapters
    assert chapter.position == 1
    assert chapter.title == "Chapter 1"
    assert chapter.notes == ("Introductions, both for the charectars and the world they "
                             "inhabit.")
    assert chapter.end_notes.startswith("Fun fact, I was originally just posting this on")
    text = chapter.text
    assert text.startswith("62nd of Sunspeak, 3418, Somewhere in South Wlyette, Markus' Journal"
                           "\n\nOn the whole, my life isn't so bad.")
    assert text.endswith("all my companions shared an uproarious laugh at that.")
    assert "\n\n\n" not in text and "Disclaimer" not in text and "archived at" not in text
    assert "Fun fact" not in text and "Introductions, both" not in text
    assert "it's actually more comfortable" in text  # <u>more</u> joined inline
    assert "<u>more</u>" in chapter.html
    assert story.fields["disclaimer"].startswith("All publicly recognizable characters")


def test_age_gate_is_a_gate_with_the_consent_link_first() -> None:
    document = _sample("narutofic-content-warning.html", GATE_URL,
                       declared_charset="ISO-8859-1")
    assert PARSER.detect(document) > HtmlStoryParser().detect(document)
    result = PARSER.parse(document)
    assert result.page_kind == "gate"
    assert result.links[0] == "https://www.narutofic.org/viewstory.php?sid=11545&warning=6"
    assert not any("rivkashome" in link or "sourceforge" in link for link in result.links)
    assert [f.code for f in result.flags] == ["gate"]
    assert "legal age" in result.flags[0].detail
    (stub,) = result.stories
    assert stub.identity == "efiction:narutofic.org:11545"
    assert stub.raw_headers["Gate"] == "age-consent"
    assert stub.fields["title"] == "Today I had Another Threesome"
    assert stub.fields["authors"] == ["DiverseFortress"]
    # The skin prints the summary unescaped into a single-quoted attribute; read it whole.
    assert stub.fields["summary"] == (
        "Naruto, Sasuke & Gaara met online looking for understanding and an outlet to their "
        "fetish's. Watch one of there meetups unfold, full of sex games, sex toys, fetish's and "
        "fun.")
    assert stub.chapters == []


@pytest.mark.parametrize("name", ["giantessworld-work.html", "giantessworld-chapter-1.html",
                                  "narutofic-content-warning.html"])
def test_detection_without_urls_or_generator(name: str) -> None:
    document = Document(content=(FIXTURES / name).read_bytes(), locator=name, path=name)
    score = PARSER.detect(document)
    assert score >= 0.7
    assert score > HtmlStoryParser().detect(document)
    assert score > ListingParser().detect(document)


def test_saved_printer_page_takes_its_host_from_the_archived_at_link() -> None:
    document = Document(content=(FIXTURES / "giantessworld-chapter-1.html").read_bytes(),
                        locator="saved/chapter.html", path="saved/chapter.html")
    (story,) = PARSER.parse(document).stories
    assert story.identity == "efiction:giantessworld.net:11369"


def test_plain_text_is_not_efiction() -> None:
    document = Document(content=b"Title: viewstory.php?sid=1\nAuthor: eFiction\n\nText.",
                        locator="story.txt")
    assert PARSER.detect(document) == 0.0
    assert HtmlStoryParser().detect(document) == 0.0
    assert ListingParser().detect(document) == 0.0


def test_hook_returns_the_parser() -> None:
    (parser,) = fanarchive_parsers()
    assert parser.name == "efiction" and parser.version and parser.description


# ---- notes: story notes are not the first notes block --------------------------------------

_NOTES = ("<div class='notes'><div class='title'><span class='label'>{label}</div>"
          "<div class='noteinfo'>{text}</div></div>")


def _notes(label: str, text: str) -> str:
    return _NOTES.format(label=label, text=text)


def test_printer_view_of_all_chapters_sorts_every_notes_block() -> None:
    body = (
        "<div id='pagetitle'><a href='viewstory.php?sid=7'>Seven</a> by "
        "<a href='viewuser.php?uid=2'>Writer</a></div>"
        "<div class='infobox'><div class='content'><span class='label'>Summary: </span>S.<br />"
        "<span class='label'>Rated:</span> PG<br /><span class='label'>Chapters: </span> 2 "
        "<span class='label'>Completed:</span> No</div></div>"
        + _notes("Story Notes:", "About the whole story.")
        + "<div class='chaptertitle'>Arrival by Writer</div>"
        + _notes("Author's Notes:", "Note for one.")
        + "<div class='chapter'><p>One.</p></div>"
        + _notes("End Notes:", "After one.")
        + "<div class='chaptertitle'>Departure by Writer</div>"
        + "<div class='chapter'><p>Two.</p></div>"
        + _notes("End Notes:", "After two.")
        + "<div id='copyright'>Disclaimer: not mine.</div>"
    )
    url = "http://archive.example/viewstory.php?action=printable&sid=7&chapter=all"
    (story,) = PARSER.parse(_page(body, url)).stories
    assert story.fields["notes"] == "About the whole story."
    assert story.part is None
    one, two = story.chapters
    assert (one.title, one.notes, one.text, one.end_notes) == (
        "Arrival", "Note for one.", "One.", "After one.")
    assert (two.title, two.notes, two.text, two.end_notes) == (
        "Departure", None, "Two.", "After two.")
    assert story.fields["disclaimer"] == "not mine."


def test_reading_view_chapter_notes_are_not_story_notes() -> None:
    """The mistake FanFicFare makes: the first notes block on chapter 3 is chapter 3's note."""
    body = (
        "<div id='pagetitle'><a href='viewstory.php?sid=7'>Seven</a> by "
        "<a href='viewuser.php?uid=2'>Writer</a></div>"
        "<div class='jumpmenu'><select name='chapter'><option value='1'>1. Arrival</option>"
        "<option value='2'>2. Middle</option><option value='3' selected>3. Departure</option>"
        "</select></div>"
        + _notes("Author's Chapter Notes:", "Only about chapter three.")
        + "<div id='story'><p>Three.</p></div>"
        + _notes("Chapter End Notes:", "Thanks for reading.")
    )
    result = PARSER.parse(_page(body, "http://archive.example/viewstory.php?sid=7&chapter=3"))
    (story,) = result.stories
    assert "notes" not in story.fields
    (chapter,) = story.chapters
    assert (chapter.position, chapter.title) == (3, "Departure")
    assert (story.part, story.part_of) == (3, 3)
    assert chapter.notes == "Only about chapter three."
    assert chapter.end_notes == "Thanks for reading."
    # No printer view on this site: the other chapters (from the menu's script) are the way on.
    assert result.links[:3] == ["http://archive.example/viewstory.php?sid=7",
                                "http://archive.example/viewstory.php?sid=7&chapter=1",
                                "http://archive.example/viewstory.php?sid=7&chapter=2"]


def test_unlabelled_notes_are_placed_by_position() -> None:
    body = (
        "<div id='pagetitle'><a href='viewstory.php?sid=7'>Seven</a> by "
        "<a href='viewuser.php?uid=2'>Writer</a></div>"
        + _notes("Blah:", "First: the story's.")
        + _notes("Meh:", "Second: the chapter's.")
        + "<div id='story'><p>Text.</p></div>"
        + _notes("Psst:", "After the text.")
        + "<div id='next'><a href='viewstory.php?sid=7&amp;chapter=2'>Next</a></div>"
    )
    result = PARSER.parse(_page(body, "http://archive.example/viewstory.php?sid=7&chapter=1"))
    (story,) = result.stories
    assert story.fields["notes"] == "First: the story's."
    assert story.chapters[0].notes == "Second: the chapter's."
    assert story.chapters[0].end_notes == "After the text."
    assert result.links[0] == "http://archive.example/viewstory.php?sid=7&chapter=2"


# ---- access pages ------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "kind"), [
    ("<div id='pagetitle'>Seven</div><div class='errortext'>Registered Users Only<br />"
     "Please <a href='user.php?action=login'>log in</a>.</div>", "login"),
    ("<div id='pagetitle'>Member Login</div><div class='errortext'>Access denied.</div>"
     "<form><input type='password' name='password'></form>", "login"),
    ("<div class='errortext'>Story not found.</div>", "error"),
    ("<b>A fatal MySQL error was encountered.</b><br />Query: SELECT * FROM fanfiction_stories"
     "<br />Error: (1040) Too many connections", "error"),
    ("<h1>Down for maintenance</h1><p>The archive will be back in an hour.</p>",
     "maintenance"),
])
def test_access_pages_served_with_200(body: str, kind: str) -> None:
    result = PARSER.parse(_page(body))
    assert result.page_kind == kind
    assert result.stories == []
    assert result.flags[-1].code == kind


def test_gates_without_a_message_box() -> None:
    linked = _page("<div id='pagetitle'>Seven</div><p>Mature content ahead. "
                   "<a href='viewstory.php?sid=7&amp;ageconsent=ok&amp;warning=3'>I am 18</a></p>")
    result = PARSER.parse(linked)
    assert result.page_kind == "gate"
    assert result.links[0] == "http://archive.example/viewstory.php?sid=7&ageconsent=ok&warning=3"
    form = _page("<div id='pagetitle'>Seven</div><h3>Age Consent Required</h3><form method='post'>"
                 "<input type='checkbox' name='ageconsent'> <input type='submit'></form>")
    result = PARSER.parse(form)
    assert result.page_kind == "gate"
    assert result.stories[0].raw_headers["Gate"] == "age-consent"
    assert result.links == []  # nothing a crawler could mistake for the consent link


def test_cloudflare_challenge() -> None:
    document = Document(
        content=b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
                b"<div id='cf-browser-verification'>Checking your browser before accessing "
                b"archive.example.</div><script src='/cdn-cgi/challenge-platform/h/b/orch"
                b"estrate/jsch/v1'></script></body></html>",
        locator="http://archive.example/viewstory.php?sid=1",
        url="http://archive.example/viewstory.php?sid=1", http_status=403)
    assert PARSER.parse(document).page_kind == "challenge"


def test_listing_links_through_javascript_gates() -> None:
    """Real eFiction listings wrap rated stories in javascript:if(confirm(...)) links."""
    body = (
        "<div id='pagetitle'>Titles</div><div class='listbox'><div class='title'>"
        "<a href=\"javascript:if(confirm('Age Consent Required')) location = "
        "'viewstory.php?sid=12&amp;ageconsent=ok&amp;warning=5'\">Rated Story</a> by "
        "<a href='viewuser.php?uid=3'>Someone</a> <span class='label'>Rated:</span> NC-17 "
        "[<a href='reviews.php?type=ST&amp;item=12'>Reviews</a> - 4]</div>"
        "<div class='content'><span class='label'>Summary: </span>Hot.<br />"
        "<span class='label'>Categories:</span> <a href='browse.php?type=categories&amp;"
        "catid=1'>Het</a> <br /><span class='label'>Completed:</span> Yes</div></div>"
        "<div id='pagelinks'><a href='browse.php?type=titles&amp;offset=15&amp;PHPSESSID=abc'>"
        "[Next]</a></div>"
    )
    result = PARSER.parse(_page(body, "http://archive.example/browse.php?type=titles"))
    assert result.page_kind == "index"
    # The listing links the story's printer view of every chapter, the consent kept.
    assert ("http://archive.example/viewstory.php?sid=12&ageconsent=ok&warning=5"
            "&action=printable&textsize=0&chapter=all" in result.links)
    assert "http://archive.example/browse.php?type=titles&offset=15" in result.links
    (stub,) = result.stories
    assert stub.identity == "efiction:archive.example:12"
    assert stub.fields["title"] == "Rated Story"
    assert stub.fields["rating"] == "NC-17"
    assert stub.fields["categories"] == ["Het"]
    assert stub.chapters == []


def test_skins_with_bold_labels() -> None:
    """Some skins (Sommerbrise) print <b>Rated:</b> instead of <span class="label">."""
    body = (
        "<div id='pagetitle'>Most Recent</div><div class='listbox odd clearfix'>"
        "<h2><a href='viewstory.php?sid=31'>Bold Move</a> by <a href='viewuser.php?uid=9'>Ink</a>"
        "</h2><b>Rated:</b> Teen &bull; 3 <a href='reviews.php?type=ST&amp;item=31'>Reviews</a>"
        "<br /><b>Summary:</b> Brave.<br /><div class='storyinfo'><b>Categories:</b> "
        "<a href='browse.php?type=categories&amp;catid=2'>Gen</a><br /><b>Characters:</b> None"
        "<br /><b>Genre:</b> <a href='browse.php?type=class&amp;type_id=1&amp;classid=4'>"
        "Hurt/Comfort</a><br /><b>Series:</b> None<br /><b>Chapters:</b> 2 | <b>Completed:</b> "
        "No | <b>Words:</b> 900 | <b>Published:</b> May 01 2004 | <b>Updated:</b> May 02 2004"
        "<br /></div></div>"
    )
    result = PARSER.parse(_page(body, "http://archive.example/browse.php?type=recent"))
    (stub,) = result.stories
    assert stub.identity == "efiction:archive.example:31"
    assert stub.fields["title"] == "Bold Move" and stub.fields["authors"] == ["Ink"]
    assert stub.fields["rating"] == stub.raw_headers["Rated"] == "Teen"
    assert stub.fields["summary"] == "Brave."
    assert stub.fields["categories"] == ["Gen"] and stub.fields["tags"] == ["Hurt/Comfort"]
    assert stub.fields["word_count"] == "900"
    assert stub.fields["status"] == "No"
    assert stub.fields["published"] == "May 01 2004"
    assert stub.fields["updated"] == "May 02 2004"
    assert stub.raw_headers["Chapters"] == "2"


# ---- bad HTML ----------------------------------------------------------------------------


def test_hundred_thousand_nested_tags_do_not_crash() -> None:
    nested = "<span>" * 100_000 + "deep words" + "</span>" * 100_000
    body = ("<div id='pagetitle'><a href='viewstory.php?sid=7'>Seven</a> by "
            f"<a href='viewuser.php?uid=2'>Writer</a></div><div id='story'><p>Start.</p>{nested}"
            "<p>End.</p></div>")
    result = PARSER.parse(_page(body))
    assert result.page_kind == "story"
    assert "html-too-deep" in [f.code for f in result.flags]
    text = result.stories[0].chapters[0].text
    assert text.startswith("Start.") and "deep words" in text and text.endswith("End.")


def test_unclosed_tags_and_missing_body() -> None:
    document = Document(
        content=b"<html><head><title>Seven by Writer</title><div id=pagetitle><a href="
                b"viewstory.php?sid=7>Seven</a> by <a href=viewuser.php?uid=2>Writer</a>"
                b"<div class=chapter><p>One <i>two <b>three<p>Four",
        locator="http://archive.example/viewstory.php?sid=7&chapter=1",
        url="http://archive.example/viewstory.php?sid=7&chapter=1")
    result = PARSER.parse(document)
    assert result.page_kind == "story"
    (story,) = result.stories
    assert story.fields["title"] == "Seven"
    assert story.chapters[0].text == "One two three\n\nFour"


def test_huge_printer_page_parses_quickly() -> None:
    import time

    paragraph = "<p>" + "word " * 200 + "</p>\n"
    body = ("<div id='pagetitle'><a href='viewstory.php?sid=7'>Seven</a> by "
            "<a href='viewuser.php?uid=2'>Writer</a></div>"
            + "".join(f"<div class='chaptertitle'>Part {n} by Writer</div>"
                      f"<div class='chapter'>{paragraph * 200}</div>" for n in range(1, 26)))
    document = _page(body, "http://archive.example/viewstory.php?action=printable&sid=7&"
                           "chapter=all")
    assert len(document.content) > 5_000_000
    assert document.text  # decode first: decoding is the normalize stage's cost
    started = time.process_time()
    (story,) = PARSER.parse(document).stories
    assert time.process_time() - started < 5
    assert len(story.chapters) == 25
    assert story.chapters[24].text.count("\n\n") == 199


# ---- the served eFiction-like archive ------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[ArchiveServer]:
    server = start_site("efiction", stories=24, max_chapters=6)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


def _site(server: ArchiveServer) -> EFictionSite:
    assert isinstance(server.site, EFictionSite)
    return server.site


def _fetch(site: ArchiveServer, client: httpx.Client, path: str) -> tuple[Document, ParseResult]:
    url = site.url + path
    response = client.get(url)
    document = Document(content=response.content, locator=url, url=str(response.url),
                        media_type=response.headers.get("content-type"),
                        http_status=response.status_code)
    assert PARSER.detect(document) > HtmlStoryParser().detect(document)
    return document, PARSER.parse(document)


def _open_stories(model: ArchiveModel) -> list[int]:
    return [s.sid for s in model.visible_stories() if model.access(s) == "open"]


def _check_metadata(story: ParsedStory, expected: dict[str, Any], host: str) -> None:
    f = story.fields
    assert story.identity == f"efiction:{host}:{expected['sid']}"
    assert f["title"] == expected["title"]
    assert f["authors"] == [expected["author"]["penname"]]
    assert f["rating"] == expected["rating"]
    assert f["categories"] == expected["categories"]
    assert f.get("characters", []) == expected["characters"]
    assert f.get("tags", []) == expected["genres"]
    assert f.get("warnings", []) == expected["warnings"]
    series = expected["series"]
    assert f.get("series") == (series["title"] if series else None)
    assert f["status"] == ("Yes" if expected["completed"] else "No")
    assert f["word_count"] == str(expected["word_count"])
    assert f["published"] == expected["published"].strftime("%B %d %Y")
    assert f["updated"] == expected["updated"].strftime("%B %d %Y")
    assert f["summary"] == expected["summary"]
    assert f.get("notes") == expected["notes"]
    assert story.raw_headers["Chapters"] == str(expected["chapter_count"])


def _check_chapter(chapter: Any, expected: dict[str, Any]) -> None:
    assert chapter.position == expected["number"]
    assert chapter.title == expected["title"]
    assert chapter.text == expected["text"]
    assert chapter.notes == expected["notes"]
    assert chapter.end_notes == expected["end_notes"]
    assert chapter.html


def test_served_printer_view_is_the_whole_story(site: ArchiveServer,
                                                client: httpx.Client) -> None:
    host = site.url.split("://", 1)[1]
    for sid in _open_stories(site.model)[:8]:
        expected = site.model.expected(sid)
        _, result = _fetch(site, client, _site(site).printable_path(sid))
        assert result.page_kind == "story"
        (story,) = result.stories
        _check_metadata(story, expected, host)
        assert story.part is None
        assert len(story.chapters) == expected["chapter_count"]
        for chapter, want in zip(story.chapters, expected["chapters"], strict=True):
            _check_chapter(chapter, want)
        assert story.fields["disclaimer"].startswith("All publicly recognizable")


def test_served_story_index_and_chapter_pages(site: ArchiveServer, client: httpx.Client) -> None:
    host = site.url.split("://", 1)[1]
    for sid in _open_stories(site.model)[:6]:
        expected = site.model.expected(sid)
        _, toc = _fetch(site, client, _site(site).index_path(sid))
        assert toc.page_kind == "index"
        (stub,) = toc.stories
        _check_metadata(stub, expected, host)
        assert [c.title for c in stub.chapters] == [c["title"] for c in expected["chapters"]]
        assert [c.notes for c in stub.chapters] == [c["notes"] for c in expected["chapters"]]
        printable = f"{site.url}/viewstory.php?action=printable&textsize=0&sid={sid}&chapter=all"
        assert toc.links[0] == printable
        for want in expected["chapters"][:3]:
            _, page = _fetch(site, client, _site(site).chapter_path(sid, want["number"]))
            assert page.page_kind == "story"
            (story,) = page.stories
            assert story.identity == f"efiction:{host}:{sid}"
            assert story.fields["title"] == expected["title"]
            if expected["chapter_count"] > 1:
                assert (story.part, story.part_of) == (want["number"],
                                                       expected["chapter_count"])
            (chapter,) = story.chapters
            _check_chapter(chapter, want)
            # Story notes live on chapter 1 only, and never become a chapter's notes.
            assert story.fields.get("notes") == (expected["notes"] if want["number"] == 1
                                                 else None)
            assert page.links[0] == printable


def test_served_gates_lead_to_the_story(site: ArchiveServer, client: httpx.Client) -> None:
    model = site.model
    gated = [s.sid for s in model.visible_stories()
             if model.access(s) in ("warning", "age_consent")]
    assert gated
    for sid in gated:
        client = httpx.Client(timeout=10)  # no session cookie: consent is per session
        _, result = _fetch(site, client, _site(site).printable_path(sid))
        assert result.page_kind == "gate"
        kind = result.stories[0].raw_headers["Gate"]
        assert kind == ("age-consent" if model.access(model.story(sid)) == "age_consent"
                        else "warning")
        consent = result.links[0]
        assert "printable" in consent and f"sid={sid}" in consent
        # Following the consent link (as a crawler with adult = true does) gives the story.
        _, story_page = _fetch(site, client, consent[len(site.url):])
        assert story_page.page_kind == "story"
        assert story_page.stories[0].fields["title"] == model.story(sid).title
        client.close()


def test_served_members_only_login_and_error_pages(site: ArchiveServer,
                                                   client: httpx.Client) -> None:
    members = [s.sid for s in site.model.visible_stories() if s.members_only]
    for sid in members:
        assert _fetch(site, client, _site(site).story_path(sid))[1].page_kind == "login"
    assert _fetch(site, client, "/user.php?action=login")[1].page_kind == "login"
    assert _fetch(site, client, "/login-required")[1].page_kind == "login"
    error = site.url + "/error-page"
    document = Document(content=client.get(error).content, locator=error, url=error)
    assert HtmlStoryParser().parse(document).page_kind == "error"
    assert PARSER.parse(document).page_kind == "error"


def test_served_listings_reach_every_story(site: ArchiveServer, client: httpx.Client) -> None:
    host = site.url.split("://", 1)[1]
    found: set[str] = set()
    stubs: dict[str, ParsedStory] = {}
    queue = [_site(site).listing_path(0)]
    seen: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        _, result = _fetch(site, client, path)
        assert result.page_kind == "index"
        for stub in result.stories:
            assert stub.identity is not None
            stubs[stub.identity] = stub
        for link in result.links:
            assert "PHPSESSID" not in link and "calendar.php" not in link
            assert "reviews.php" not in link and link.startswith(site.url)
            if "browse.php?type=titles" in link:
                queue.append(link[len(site.url):])
            if "viewstory.php" in link:
                found.add(link.split("sid=")[1].split("&")[0])
    visible = {str(s.sid) for s in site.model.visible_stories()}
    assert found == visible
    assert set(stubs) == {f"efiction:{host}:{sid}" for sid in visible}
    for identity, stub in stubs.items():
        expected = site.model.expected(int(identity.rsplit(":", 1)[1]))
        assert stub.fields["rating"] == expected["rating"]  # the printer view may lack it
        assert stub.fields["title"] == expected["title"]


def test_served_series_page_numbers_the_parts(site: ArchiveServer,
                                              client: httpx.Client) -> None:
    for seriesid, series in site.model.series.items():
        _, result = _fetch(site, client, f"/viewseries.php?seriesid={seriesid}")
        parts = [s for s in series.sids if site.model.visible(s)]
        assert [s.fields["series"] for s in result.stories] == [
            f"{series.title}, part {n}" for n in range(1, len(parts) + 1)]
        assert [s.identity.rsplit(":", 1)[1] for s in result.stories if s.identity] == [
            str(p) for p in parts]
