"""HTML story pages with label headers: OTW samples, the served static archive, hand-made
pages for each markup shape, access pages and bad HTML."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fanarchive_parsers.efiction import EfictionParser
from fanarchive_parsers.htmlstory import HtmlStoryParser, fanarchive_parsers
from fanarchive_parsers.listing import ListingParser

from fanarchive.document import Document
from fanarchive.parsed import ParsedStory, ParseResult
from tests.sites.launch import start_site
from tests.sites.server import ArchiveServer
from tests.sites.static_html import StaticSite

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "html"
PARSER = HtmlStoryParser()
SPECIAL = "Ä Ö Ü é è È É ü ö ä ß ñ"


def _doc(html: str | bytes, url: str = "http://fic.example/stories/foo.html") -> Document:
    content = html.encode() if isinstance(html, str) else html
    return Document(content=content, locator=url, url=url)


def _story(html: str, url: str = "http://fic.example/stories/foo.html"
           ) -> tuple[ParsedStory, ParseResult]:
    result = PARSER.parse(_doc(html, url))
    assert result.page_kind == "story", result
    (story,) = result.stories
    return story, result


# ---- OTW import samples ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "opening"), [
    ("work_import_special_characters_auto_utf.html", "This is utf-8 correctly specified"),
    ("work_import_special_characters_man_utf.html", "This is utf-8 but pretends to be latin-1"),
])
def test_otw_samples_keep_special_characters(name: str, opening: str) -> None:
    path = FIXTURES / name
    document = Document(content=path.read_bytes(), locator=str(path), path=str(path),
                        media_type="text/html")
    assert PARSER.detect(document) > 0
    result = PARSER.parse(document)
    assert result.page_kind == "story"
    (story,) = result.stories
    assert story.fields["title"] == "Das Maß aller Dinge"
    (chapter,) = story.chapters
    assert chapter.text.startswith(opening)
    assert chapter.text.endswith(f"Special characters follow:\n\n{SPECIAL}")
    assert "Ã" not in chapter.text


# ---- label shapes ---------------------------------------------------------------------------


def test_bold_labels_with_mailto_author_and_multiline_summary() -> None:
    story, _ = _story(
        "<html><head><title>Whatever</title></head><body>"
        "<center><h2>Following</h2></center>"
        "<b>Title:</b> Following<br>\n<b>Author:</b> <a href='mailto:kat@example.com'>Katjen</a>"
        "<br>\n<b>Rating:</b> PG-13<br>\n<b>Pairing:</b> B/S<br>\n"
        "<b>Summary:</b> He waits.<br><br>She knows.<br>\n<b>Disclaimer:</b> Not mine.<br>\n"
        "<hr><p>He has left a groove in the sidewalk.</p><p>Every night.</p></body></html>")
    assert story.raw_headers == {"Title": "Following", "Author": "Katjen", "Rating": "PG-13",
                                 "Pairing": "B/S", "Summary": "He waits.\n\nShe knows.",
                                 "Disclaimer": "Not mine."}
    assert story.fields["title"] == "Following"
    assert story.fields["authors"] == "Katjen"
    assert story.fields["email"] == "kat@example.com"
    assert story.fields["relationships"] == "B/S"
    assert story.fields["summary"] == "He waits.\n\nShe knows."
    assert story.chapters[0].text == "He has left a groove in the sidewalk.\n\nEvery night."


def test_label_and_value_in_one_bold_run() -> None:
    story, _ = _story(
        "<html><body><p><b>Title: Small Hours</b><br><b>Author: Wren</b><br>"
        "<b>Rating: G</b></p><p>It was late.</p></body></html>")
    assert story.raw_headers == {"Title": "Small Hours", "Author": "Wren", "Rating": "G"}
    assert story.chapters[0].text == "It was late."


def test_strong_labels_in_paragraphs_and_a_story_container() -> None:
    story, _ = _story(
        "<html><body><div id='nav'><a href='/'>Home</a> | <a href='/new.html'>New</a></div>"
        "<p><strong>Title:</strong> Tea</p><p><strong>Author:</strong> Quill</p>"
        "<p><strong>Fandom:</strong> Due South</p><div class='storytext'><p>One.</p>"
        "<p>Two, with <strong>Note:</strong> emphasis.</p></div></body></html>")
    assert story.fields["fandoms"] == "Due South"
    assert story.chapters[0].text == "One.\n\nTwo, with Note: emphasis."
    assert story.chapters[0].html is not None and "<p>One.</p>" in story.chapters[0].html


def test_table_cell_and_definition_list_labels() -> None:
    story, _ = _story(
        "<html><body><table><tr><td>Title:</td><td>Cells</td></tr>"
        "<tr><td class='label'>Rating</td><td>PG</td></tr></table>"
        "<dl><dt>Characters</dt><dd>Fraser, Ray</dd></dl><p>Text of the story.</p>"
        "</body></html>")
    assert story.raw_headers == {"Title": "Cells", "Rating": "PG", "Characters": "Fraser, Ray"}
    assert story.fields["characters"] == "Fraser, Ray"
    assert story.chapters[0].text == "Text of the story."


def test_plain_text_header_rules_apply_to_unmarked_headers() -> None:
    story, _ = _story(
        "<html><body><p>Title: Plain<br>Author: Nobody<br>Rating: R</p>"
        "<p>Summary: Short.</p><p>The story begins here and goes on.</p></body></html>")
    assert story.fields["title"] == "Plain"
    assert story.fields["authors"] == "Nobody"
    assert story.fields["rating"] == "R"
    assert story.chapters[0].text == "The story begins here and goes on."


def test_title_and_author_from_the_page_title() -> None:
    story, _ = _story("<html><head><title>Rain Song by Mab (Part 2/3)</title></head><body>"
                      "<p>Rain again.</p></body></html>")
    assert story.fields["title"] == "Rain Song"
    assert story.fields["authors"] == "Mab"
    assert (story.part, story.part_of) == (2, 3)


def test_bold_words_in_prose_are_not_headers() -> None:
    long_text = "word " * 80
    story, _ = _story(f"<html><body><p>{long_text}</p><p><b>Warning:</b> the stairs creak."
                      "</p></body></html>")
    assert story.raw_headers == {}
    assert "Warning: the stairs creak." in story.chapters[0].text


def test_chrome_is_stripped_and_next_part_links_come_first() -> None:
    story, result = _story(
        "<html><body><table class='navbar'><tr><td><a href='/index.html'>Home</a> | "
        "<a href='/links.html'>Links</a></td></tr></table>"
        "<div class='ad'><a href='http://ads.example/x'><img src='b.gif'></a><br>"
        "<small>Advertisement</small></div>"
        "<h2>Roads</h2><h3>Part 2: Crossing</h3><b>Author:</b> Wren<br><b>Part:</b> 2 of 3<br>"
        "<hr><div class='notes'><b>Part notes:</b> Thanks, beta.</div>"
        "<p>They crossed.</p><div class='endnotes'><b>End notes:</b> More soon.</div><hr>"
        "<p><a href='roads1.html'>&lt;&lt; Previous part</a> | "
        "<a href='../index.html'>Back to index</a> | <a href='roads3.html'>Next part &gt;&gt;</a>"
        "</p><div class='footer'>Copyright 2001 The Archive</div></body></html>",
        url="http://fic.example/stories/wren/roads2.html")
    assert story.fields["title"] == "Roads"
    assert (story.part, story.part_of) == (2, 3)
    chapter = story.chapters[0]
    assert (chapter.title, chapter.position) == ("Crossing", 2)
    assert chapter.notes == "Thanks, beta." and chapter.end_notes == "More soon."
    assert chapter.text == "They crossed."
    assert result.links[:2] == ["http://fic.example/stories/wren/roads3.html",
                                "http://fic.example/stories/wren/roads1.html"]
    assert "http://fic.example/stories/index.html" in result.links
    assert "http://ads.example/x" not in result.links
    for chrome in ("Home", "Advertisement", "Copyright", "Previous", "Thanks", "More soon"):
        assert chrome not in chapter.text


@pytest.mark.parametrize("markup", [
    "<b>Summary:</b> <i>Rain Song</i>: a story.<br /><br />More of it.<br>\n"
    "<b>Disclaimer:</b> Not mine.<br>\n",
    "<p><strong>Summary:</strong> <i>Rain Song</i>: a story.<br /><br />More of it.</p>\n"
    "<p><strong>Disclaimer:</strong> Not mine.</p>\n",
])
def test_summary_opening_with_an_italic_title_and_a_colon(markup: str) -> None:
    story, _ = _story(f"<html><body><b>Title:</b> Rain<br>\n{markup}<hr><p>Text.</p>"
                      "</body></html>")
    assert story.fields["summary"] == "Rain Song: a story.\n\nMore of it."
    assert "Rain Song" not in story.raw_headers
    assert story.fields["disclaimer"] == "Not mine."


def test_an_unknown_label_starting_a_line_still_ends_a_value() -> None:
    story, _ = _story("<html><body><b>Title:</b> Rain<br><b>Summary:</b> Wet.<br>"
                      "<b>Beta</b>: Ruth<br><hr><p>Text.</p></body></html>")
    assert story.fields["summary"] == "Wet."
    assert story.raw_headers["Beta"] == "Ruth"


@pytest.mark.parametrize(("author", "names"), [
    # One link around "Kai & Jun": the site says one author.
    ("<a href='mailto:kai-jun@example.org'>Kai &amp; Jun</a>", ["Kai & Jun"]),
    ("<a href='/authors/kaijun.html'>Kai &amp; Jun</a> "
     "(<a href='mailto:kai-jun@example.org'>email</a>)", ["Kai & Jun"]),
    # One link per name: two authors.
    ("<a href='mailto:anne@example.org'>Anne</a> and <a href='mailto:bob@example.org'>Bob</a>",
     ["Anne", "Bob"]),
])
def test_author_links_delimit_the_authors(author: str, names: list[str]) -> None:
    story, _ = _story(f"<html><body><b>Title:</b> Tides<br><b>Author:</b> {author}<br><hr>"
                      "<p>Text.</p></body></html>")
    assert story.fields["authors"] == names


def test_author_value_not_covered_by_links_is_left_to_the_normalizer() -> None:
    story, _ = _story("<html><body><b>Title:</b> Tides<br><b>Author:</b> "
                      "<a href='mailto:anne@example.org'>Anne</a> &amp; Bob<br><hr>"
                      "<p>Text.</p></body></html>")
    assert story.fields["authors"] == "Anne & Bob"
    assert story.fields["email"] == "anne@example.org"


def test_several_mailto_links_pair_each_address_with_its_name() -> None:
    from fanarchive.config import load_config
    from fanarchive.normalize import NormalizeContext, normalize_story
    from fanarchive.story import Author

    story, _ = _story("<html><body><b>Title:</b> Tides<br><b>Author:</b> "
                      "<a href='mailto:anne@example.org'>Anne</a> and "
                      "<a href='mailto:bob@example.org'>Bob</a><br><hr><p>Text.</p>"
                      "</body></html>")
    normalized = normalize_story(story, NormalizeContext(load_config()))
    assert normalized.authors == [Author("Anne", "anne@example.org"),
                                  Author("Bob", "bob@example.org")]


def test_genre_label_goes_to_tags() -> None:
    story, _ = _story("<html><body><b>Title:</b> T<br><b>Category:</b> Due South<br>"
                      "<b>Genre:</b> Angst, Humor<br><hr><p>Text.</p></body></html>")
    assert story.fields["categories"] == "Due South"
    assert story.fields["tags"] == "Angst, Humor"


def test_one_page_with_chapter_headings_is_split() -> None:
    story, _ = _story(
        "<html><body><b>Title:</b> Three Days<br><b>Author:</b> Wren<br><hr>"
        "<h3>Chapter 1</h3><p>Monday.</p><h3>Chapter 2</h3><p>Tuesday.</p><p>Rain.</p>"
        "<h3>Chapter 3</h3><p>Wednesday.</p></body></html>")
    assert [(c.position, c.title, c.text) for c in story.chapters] == [
        (1, "Chapter 1", "Monday."), (2, "Chapter 2", "Tuesday.\n\nRain."),
        (3, "Chapter 3", "Wednesday.")]
    assert story.part is None


def test_story_list_page_is_an_index() -> None:
    items = "".join(f"<li><a href='s/{n}.html'>Story {n}</a> (PG) &ndash; A summary.</li>"
                    for n in range(12))
    result = PARSER.parse(_doc(f"<html><body><h1>My Archive</h1><ul>{items}</ul>"
                               "<p><a href='mailto:me@example.org'>Mail me</a></p></body></html>",
                               url="http://fic.example/index.html"))
    assert result.page_kind == "index"
    assert result.links == [f"http://fic.example/s/{n}.html" for n in range(12)]
    assert result.stories == []


# ---- access pages and detection --------------------------------------------------------------


@pytest.mark.parametrize(("html", "kind"), [
    ("<html><head><title>Database Error</title></head><body><h1>A database error occurred</h1>"
     "<p class='errortext'>Query failed: Too many connections (1040)</p></body></html>", "error"),
    ("<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested "
     "URL was not found on this server.</p></body></html>", "error"),
    ("<html><head><title>Member Login</title></head><body><div class='errortext'>You must be "
     "logged in to view this page.</div><form><input name='u'><input type='password' "
     "name='p'></form></body></html>", "login"),
    ("<html><head><title>Sign in</title></head><body><form><input name='u'>"
     "<input type='password' name='p'><input type='submit'></form></body></html>", "login"),
    ("<html><head><title>Just a moment...</title></head><body><div id='cf-browser-verification'>"
     "Checking your browser before accessing the site.</div></body></html>", "challenge"),
    ("<html><body><h1>We'll be back soon</h1><p>The archive is down for maintenance.</p>"
     "</body></html>", "maintenance"),
])
def test_access_pages(html: str, kind: str) -> None:
    result = PARSER.parse(_doc(html))
    assert result.page_kind == kind
    assert result.stories == []


def test_detection_ranks() -> None:
    labelled = _doc("<html><body><b>Title:</b> A<br><b>Author:</b> B<br><b>Rating:</b> G<br>"
                    "<hr><p>Text.</p></body></html>")
    assert PARSER.detect(labelled) >= 0.5
    assert PARSER.detect(labelled) > EfictionParser().detect(labelled)
    assert PARSER.detect(labelled) > ListingParser().detect(labelled)
    efiction = _doc("<html><body><div id='pagetitle'><a href='viewstory.php?sid=1'>A</a> by "
                    "<a href='viewuser.php?uid=1'>B</a></div><div class='content'>"
                    "<span class='label'>Summary:</span> S<br><span class='label'>Rated:</span> G"
                    "</div></body></html>")
    assert EfictionParser().detect(efiction) > PARSER.detect(efiction)
    text = Document(content=b"Title: A\nAuthor: B\n\nText.", locator="a.txt")
    assert PARSER.detect(text) == 0.0


def test_hook_returns_the_parser() -> None:
    (parser,) = fanarchive_parsers()
    assert parser.name == "htmlstory" and parser.version and parser.description


# ---- bad HTML -------------------------------------------------------------------------------


def test_hundred_thousand_nested_tags() -> None:
    nested = "<div>" * 100_000 + "deep words" + "</div>" * 100_000
    story, result = _story(f"<html><body><b>Title:</b> Deep<br><b>Author:</b> Nest<br><hr>"
                           f"<p>Before.</p>{nested}<p>After.</p></body></html>")
    assert "html-too-deep" in [f.code for f in result.flags]
    assert story.chapters[0].text == "Before.\n\ndeep words\n\nAfter."


def test_unclosed_tags_missing_body_and_empty_pages() -> None:
    story, _ = _story("<html><head><title>Broken</title><b>Author:</b> X<br><p>One <i>two "
                      "<b>three<p>Four")
    assert story.fields["title"] == "Broken"
    assert story.chapters[0].text == "One two three\n\nFour"
    for empty in ("", "   ", "<html></html>", "<html><head><title></title></head></html>"):
        result = PARSER.parse(_doc(empty))
        assert result.page_kind == "error" and result.stories == []


def test_huge_page() -> None:
    paragraph = "<p>" + "word " * 200 + "</p>\n"
    document = _doc("<html><body><b>Title:</b> Huge<br><b>Author:</b> H<br><hr>"
                    + paragraph * 5000 + "</body></html>")
    assert document.text  # decode first: decoding is the normalize stage's cost
    started = time.process_time()
    story = PARSER.parse(document).stories[0]
    assert time.process_time() - started < 5
    assert story.chapters[0].text.count("\n\n") == 4999


# ---- the served static archive ---------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[ArchiveServer]:
    server = start_site("static", stories=24, max_chapters=5)
    yield server
    server.stop()


def _site(server: ArchiveServer) -> StaticSite:
    assert isinstance(server.site, StaticSite)
    return server.site


def _fetch(site: ArchiveServer, client: httpx.Client, path: str) -> ParseResult:
    url = site.url + path
    response = client.get(url)
    document = Document(content=response.content, locator=url, url=url,
                        media_type=response.headers.get("content-type"))
    if "/stories/" in path:
        assert PARSER.detect(document) >= 0.5
        assert PARSER.detect(document) > EfictionParser().detect(document)
        assert PARSER.detect(document) > ListingParser().detect(document)
    return PARSER.parse(document)


def test_served_story_pages_in_every_label_style(site: ArchiveServer) -> None:
    model, static = site.model, _site(site)
    checked_styles: set[str] = set()
    checked_cp1252 = False
    with httpx.Client(timeout=10) as client:
        for story_model in model.visible_stories()[:12]:
            sid = story_model.sid
            expected = model.expected(sid)
            checked_styles.add(static.label_style(sid))
            checked_cp1252 |= static.charset(story_model) == "cp1252"
            paths = static.part_paths(sid)
            for number, path in enumerate(paths, start=1):
                result = _fetch(site, client, path)
                assert result.page_kind == "story", path
                (story,) = result.stories
                if number == 1:
                    raw = {k: " ".join(v.split()) for k, v in story.raw_headers.items()}
                    assert raw == static.expected_headers(sid)
                assert story.fields["title"] == expected["title"]
                assert story.field_text("authors") == expected["author"]["penname"]
                assert story.fields["email"] == expected["author"]["email"]
                assert story.fields["rating"] == expected["rating"]
                assert story.fields["summary"] == expected["summary"]
                assert story.fields.get("notes") == expected["notes"]
                if len(paths) > 1:
                    assert (story.part, story.part_of) == (number, len(paths))
                else:
                    assert story.part is None
                (chapter,) = story.chapters
                want = expected["chapters"][number - 1]
                assert chapter.text == want["text"]
                assert chapter.notes == want["notes"]
                assert chapter.end_notes == want["end_notes"]
                if len(paths) > 1:
                    assert chapter.title == want["title"]
                for chrome in ("Advertisement", "Back to index", "Copyright", "Guestbook",
                               "Next part"):
                    assert chrome not in chapter.text
                if number < len(paths):
                    assert result.links[0] == site.url + paths[number]
    assert checked_styles == {"bold", "strong", "table"}
    assert checked_cp1252


def test_served_index_pages_list_every_story(site: ArchiveServer) -> None:
    with httpx.Client(timeout=10) as client:
        result = _fetch(site, client, "/index.html")
        links = _fetch(site, client, "/links.html")
        error = _fetch(site, client, "/error-page")
        login = _fetch(site, client, "/login-required")
    assert result.page_kind == "index"
    every_part = {site.url + p for s in site.model.visible_stories()
                  for p in _site(site).part_paths(s.sid)}
    assert every_part <= set(result.links)
    assert links.page_kind == "index" and site.url + "/error-page" in links.links
    assert error.page_kind == "error"
    assert login.page_kind == "login"


def test_part_of_a_posting_does_not_renumber_the_series() -> None:
    from fanarchive.config import load_config
    from fanarchive.normalize import NormalizeContext, normalize_story
    from fanarchive.story import Series

    story, _ = _story("<html><body><h2>Map</h2><b>Title:</b> Map<br><b>Author:</b> Wren<br>"
                      "<b>Series:</b> The Key Cycle, part 2<br><b>Part:</b> 1 of 2<br><hr>"
                      "<p>Text.</p></body></html>")
    assert (story.part, story.part_of) == (1, 2)
    normalized = normalize_story(story, NormalizeContext(load_config()))
    assert normalized.series == Series("The Key Cycle", 2)
