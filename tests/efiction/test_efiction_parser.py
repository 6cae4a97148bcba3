"""The efiction-db parser: bundles to ParsedStory with canonical fields and raw headers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pluggy
import pytest
from efiction_helpers import DUMP, STORIES
from fanarchive_parsers import efiction_db as plugin
from fanarchive_parsers.efiction_db import EfictionDumpRecordParser, parse_bundle
from fanarchive_parsers.efiction_db.text import html_to_text, text_to_html

from fanarchive import hookspecs
from fanarchive.document import Document
from fanarchive.errors import ParseError
from fanarchive.hookspecs import Parser
from fanarchive.parsed import ParsedStory
from fanarchive.sources.efiction_db import MEDIA_TYPE, iter_bundle_documents

PARSER = EfictionDumpRecordParser()


@pytest.fixture(scope="module")
def stories() -> dict[str, ParsedStory]:
    found = {}
    for document in iter_bundle_documents(DUMP):
        assert isinstance(document, Document)
        result = PARSER.parse(document)
        assert result.page_kind == "story" and len(result.stories) == 1
        found[document.locator.rsplit("=", 1)[1]] = result.stories[0]
    return found


def _flags(story: ParsedStory, code: str) -> list[str]:
    return [f.detail for f in story.flags if f.code == code]


def test_plugin_hook_and_protocol() -> None:
    pm = pluggy.PluginManager("fanarchive")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin)
    (parsers,) = pm.hook.fanarchive_parsers()
    assert [(p.name, p.version) for p in parsers] == [("efiction-db", "1.0")]
    assert isinstance(parsers[0], Parser)


def test_detect() -> None:
    bundle = next(iter_bundle_documents(DUMP))
    assert isinstance(bundle, Document)
    assert PARSER.detect(bundle) == 1.0
    unlabelled = Document(content=bundle.content, locator="story.json")
    assert PARSER.detect(unlabelled) == 0.9
    assert PARSER.detect(Document(content=b"Title: x\n\nText", locator="a.txt")) == 0.0
    assert PARSER.detect(Document(content=b'{"format": "other"}', locator="b.json")) == 0.0


def test_parse_rejects_what_is_not_a_bundle() -> None:
    with pytest.raises(ParseError, match="not an eFiction story bundle"):
        PARSER.parse(Document(content=b"{broken", locator="x", media_type=MEDIA_TYPE))
    with pytest.raises(ParseError, match="not an eFiction story bundle"):
        PARSER.parse(Document(content=b"[]", locator="x", media_type=MEDIA_TYPE))


def test_story_fields(stories: dict[str, ParsedStory]) -> None:
    bacon = stories["1"]
    # Keyed by the site URL's host from the settings table, as the web parser keys a crawl.
    assert bacon.identity == "efiction:example.com:1"
    assert bacon.fields["title"] == "Bacon ipsum"
    assert bacon.fields["authors"] == ["B Author 2 <B2@example.com>", "C Author 3 <C3@example.com>",
                                       "E Author 5 <E5@example.com>"]
    assert bacon.fields["rating"] == "Teen"
    assert bacon.fields["categories"] == ["General"]
    assert bacon.fields["characters"] == ["Bob Billson", "Bill O'Connell"]
    assert bacon.fields["genres"] == ["Angst", "Drama", "Hurt/Comfort", "Smarm"]
    assert bacon.fields["tags"] == bacon.fields["genres"]
    assert "warnings" not in bacon.fields
    assert bacon.fields["status"] == "complete"
    assert bacon.fields["published"] == bacon.fields["updated"] == "2006-02-09"
    assert bacon.fields["word_count"] == "3992"
    assert bacon.fields["summary"] == "Meat-related text."
    assert "notes" not in bacon.fields
    assert stories["835"].fields["warnings"] == ["Adult Themes"]
    assert stories["835"].fields["series"] == "Windows 1252, part 1"
    assert stories["108"].fields["authors"] == ["C Author 3 <C3@example.com>",
                                                "E Author 5 <E5@example.com>"]
    assert stories["3519"].fields["notes"].startswith("Written for someone's birthday")
    assert stories["4035"].fields["notes"] == "Thanks to betas."
    assert stories["51"].fields["summary"].startswith("Biscuit candy cake candy macaroon. Soufflé")
    assert stories["835"].fields["summary"] == "Eôs in ipsum ocûrrëret."


def test_raw_headers_keep_columns_and_labels(stories: dict[str, ParsedStory]) -> None:
    headers = stories["1"].raw_headers
    assert headers["summary"] == "&nbsp;<p> &nbsp;</p>Meat-related text."
    assert headers["classes"] == "3,10,16,26"
    assert headers["rid"] == "3" and headers["Rated"] == "Teen"
    assert headers["coauthors"] == "3,5"
    assert headers["Co-authors"] == "C Author 3 <C3@example.com>, E Author 5 <E5@example.com>"
    assert headers["Genres"] == "Angst, Drama, Hurt/Comfort, Smarm"
    assert headers["Published"] == "2006-02-09 22:21:35"
    assert headers["Completed"] == "Yes"
    assert "storynotes" not in headers  # NULL columns have no header
    assert stories["838"].raw_headers["Series"] == "Windows 1252, part 2"


def test_chapters(stories: dict[str, ParsedStory]) -> None:
    cupcake = stories["51"]
    assert [(c.position, c.title) for c in cupcake.chapters] == [
        (1, "Chapter 1"), (2, "Chapter 3"), (3, "Chapter 2")]
    first = stories["1"].chapters[0]
    assert first.notes == "Bacon-related notes." and first.end_notes is None
    paragraphs = first.text.split("\n\n")
    assert len(paragraphs) == 3 and paragraphs[0].startswith("Nulla non sausage ground round.")
    assert first.html is not None and first.html.startswith("<p>Nulla non sausage")
    assert stories["3"].chapters[0].title == " Chapter One"
    assert "jícama" in cupcake.chapters[2].text


def test_bom_is_stripped_and_accents_survive(stories: dict[str, ParsedStory]) -> None:
    text = stories["3745"].chapters[0].text
    assert text.startswith("Lořem ipsúm dolor sit amét")
    assert "\ufeff" not in text
    assert stories["3745"].chapters[0].notes == "Accented lorem ipsum."


def test_japanese_chapter_intact(stories: dict[str, ParsedStory]) -> None:
    chapter = stories["3721"].chapters[0]
    assert chapter.text == (STORIES / "5" / "4265.txt").read_text(encoding="utf-8")
    assert chapter.end_notes == "Note about the story from the author."
    assert _flags(stories["3721"], "encoding-guessed") == []


def test_epistolary_chapter_keeps_its_headers_as_text(stories: dict[str, ParsedStory]) -> None:
    text = stories["3"].chapters[1].text
    assert text.startswith("Some introductory text...\n\nFrom: BobCharacter@CMAFB.USAF.MIL\n"
                           "To: AliceCharacter@MADEUP.EXAMPLE.COM\nSubject: Server request\n\n")
    assert "> This is a fanfic in epistolary form" in text
    assert "\n\n* * *\n\n" in text
    assert "<a" not in text


def test_missing_chapters_are_flagged(stories: dict[str, ParsedStory]) -> None:
    flagged = {sid: _flags(s, "missing-chapter") for sid, s in stories.items()}
    assert sum(len(v) for v in flagged.values()) == 9
    assert flagged["741"] == ["chapter 748 of story 741: storiesef/5/748.txt not found"]
    bookmark = stories["741"].chapters[0]
    assert (bookmark.title, bookmark.text) == ("Bookmark", "")
    assert _flags(stories["4"], "no-chapters") == ["story 4 has no chapters"]
    assert stories["4"].chapters == []


def _bundle(**chapter: Any) -> dict[str, Any]:
    base = {"chapid": "9", "position": 1, "title": "T", "row": {}, "text": None,
            "text_source": None, "file": None, "file_base64": None}
    return {"format": "fanarchive.efiction-story", "version": 1, "sid": "9",
            "site": {"name": None}, "source": {"identity": "backup"},
            "story": {"sid": "9", "title": "x", "completed": "0", "date": "0000-00-00 00:00:00",
                      "updated": "1136073600"},
            "chapters": [{**base, **chapter}]}


def test_link_only_chapter_and_fallback_identity() -> None:
    story = parse_bundle(_bundle(text='<a href="http://example.com/fic/1">Read it here</a>'))
    assert story.identity == "efiction:backup:9"
    assert _flags(story, "link-only") == ["chapter 9 is only a link: http://example.com/fic/1"]
    assert story.fields["status"] == "in-progress"
    assert "published" not in story.fields  # zero date
    assert story.fields["updated"] == "2006-01-01"  # Unix timestamp


def test_cp1252_chapter_file_is_decoded_and_flagged() -> None:
    data = base64.b64encode("It\u2019s caf\u00e9.".encode("cp1252")).decode()
    story = parse_bundle(_bundle(file_base64=data, file="stories/1/9.txt", text_source="file"))
    assert story.chapters[0].text == "It\u2019s café."
    assert any("chapter 9 (stories/1/9.txt)" in f.detail for f in story.flags)


def test_database_text_gets_repaired() -> None:
    story = parse_bundle(_bundle(text="Caf\u00c3\u00a9 au lait.<br><br>Second."))
    assert story.chapters[0].text == "Café au lait.\n\nSecond."
    assert story.flags and all(f.detail.startswith("chapter 9:") for f in story.flags)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("&nbsp;<p> &nbsp;</p>Meat-related text.", "Meat-related text."),
        ("One<br>two<br /><br/>Three", "One\ntwo\n\nThree"),
        ("<p>A\nwrapped\nline</p><p>B &amp; C</p>", "A wrapped line\n\nB & C"),
        ("plain\nlines\n\n\nnew para", "plain\nlines\n\nnew para"),
        ("I <3 you > everything", "I <3 you > everything"),
        ("&lt;b&gt; is literal", "<b> is literal"),
        ("<i>x</i><!-- hidden --><script>evil()</script>", "x"),
        ("Before<hr>After", "Before\n\n* * *\n\nAfter"),
        ("", ""),
    ],
)
def test_html_to_text(source: str, expected: str) -> None:
    assert html_to_text(source) == expected


def test_text_to_html_renders_nl2br_text() -> None:
    assert text_to_html("a\nb\n\n<hr>\n\nc") == "<p>a<br />\nb</p>\n<hr>\n<p>c</p>"
    assert text_to_html("<p>kept</p>") == "<p>kept</p>"


def test_bundle_round_trip_through_json_is_stable(stories: dict[str, ParsedStory]) -> None:
    for document in iter_bundle_documents(DUMP):
        assert isinstance(document, Document)
        again = parse_bundle(json.loads(document.content))
        sid = document.locator.rsplit("=", 1)[1]
        assert again == stories[sid]
