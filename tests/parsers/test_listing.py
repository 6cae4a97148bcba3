"""Directory listings: every story file and subdirectory, nothing else; served and saved pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fanarchive_parsers.efiction import EfictionParser
from fanarchive_parsers.htmlstory import HtmlStoryParser
from fanarchive_parsers.listing import ListingParser, fanarchive_parsers

from fanarchive.document import Document
from tests.sites.launch import start_site
from tests.sites.server import ArchiveServer
from tests.sites.txt_listing import TxtSite

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "listing"
PARSER = ListingParser()


def _doc(name: str, url: str | None) -> Document:
    path = FIXTURES / name
    return Document(content=path.read_bytes(), locator=url or str(path), url=url,
                    path=None if url else str(path))


@pytest.mark.parametrize(("name", "url", "expected"), [
    ("apache-pre.html", "http://fanfic.example.org/fanfic/xf/", [
        "http://fanfic.example.org/fanfic/xf/msr/",
        "http://fanfic.example.org/fanfic/xf/beyond-the-sea.txt",
        "http://fanfic.example.org/fanfic/xf/colony%20%26%20end.txt",
        "http://fanfic.example.org/fanfic/xf/index.htm",
    ]),
    ("apache-ul.html", "http://example.org/stories/", [
        "http://example.org/stories/due-south/",
        "http://example.org/stories/following.txt",
        "http://example.org/stories/Following%20Part%202.TXT",
    ]),
    ("nginx.html", "https://mirror.example.net/archive/sg1/", [
        "https://mirror.example.net/archive/sg1/season-one/",
        "https://mirror.example.net/archive/sg1/unending.html",
        "https://mirror.example.net/archive/sg1/window%20of%20opportunity.htm",
    ]),
    ("lighttpd.html", "http://example.org/fics/", [
        "http://example.org/fics/B%C3%A9b%C3%A9/",
        "http://example.org/fics/caf%C3%A9.txt",
    ]),
    ("python.html", "http://127.0.0.1:8000/mirror/", [
        "http://127.0.0.1:8000/mirror/old%20site/",
        "http://127.0.0.1:8000/mirror/part1.html",
        "http://127.0.0.1:8000/mirror/part2.html",
        "http://127.0.0.1:8000/mirror/robots.txt",
    ]),
    ("iis.html", "http://fanfic.example.net/stories/", [
        "http://fanfic.example.net/stories/angel/",
        "http://fanfic.example.net/stories/Darkness.htm",
        "http://fanfic.example.net/stories/light.TXT",
    ]),
])
def test_server_listings_give_story_files_and_subdirectories(name: str, url: str,
                                                             expected: list[str]) -> None:
    document = _doc(name, url)
    assert PARSER.detect(document) >= 0.9
    result = PARSER.parse(document)
    assert result.page_kind == "index"
    assert result.stories == []
    assert result.links == expected  # page order; no parent, sort links, images, zips, .doc


def test_saved_listing_without_url_resolves_against_its_title() -> None:
    result = PARSER.parse(_doc("apache-ul.html", None))
    assert result.links == ["/stories/due-south/", "/stories/following.txt",
                            "/stories/Following%20Part%202.TXT"]


@pytest.mark.parametrize("name", ["apache-pre.html", "apache-ul.html", "nginx.html",
                                  "lighttpd.html", "python.html", "iis.html"])
def test_listing_outranks_the_html_parsers(name: str) -> None:
    document = _doc(name, "http://example.org/x/")
    listing = PARSER.detect(document)
    assert listing > HtmlStoryParser().detect(document)
    assert listing > EfictionParser().detect(document)


def test_not_a_listing() -> None:
    text = Document(content=b"Index of /stories/\n\nTitle: Not HTML\n", locator="a.txt")
    assert PARSER.detect(text) == 0.0
    story = Document(content=b"<html><head><title>Index of my heart</title></head><body>"
                             b"<p>Index of /dev/null is where it went.</p></body></html>",
                     locator="poem.html")
    assert PARSER.detect(story) == 0.0


def test_hook_returns_the_parser() -> None:
    (parser,) = fanarchive_parsers()
    assert parser.name == "listing" and parser.version and parser.description


@pytest.fixture(scope="module")
def txt_site() -> Iterator[ArchiveServer]:
    server = start_site("txt", stories=20)
    yield server
    server.stop()


def test_served_txt_archive_listings_reach_every_story_file(txt_site: ArchiveServer) -> None:
    """Walk the served Apache and nginx listings from / using only the links the parser gives."""
    found: list[str] = []
    queue = [txt_site.url + "/"]
    seen: set[str] = set()
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            document = Document(content=response.content, locator=url, url=str(response.url),
                                media_type=response.headers.get("content-type"))
            assert PARSER.detect(document) >= 0.9, url
            result = PARSER.parse(document)
            assert result.page_kind == "index"
            for link in result.links:
                assert "?" not in link  # no sort-order duplicates
                (queue if link.endswith("/") else found).append(link)
    assert isinstance(txt_site.site, TxtSite)
    expected = {txt_site.url + p for p in txt_site.site.story_paths()} | {
        txt_site.url + "/README.txt"}
    assert sorted(found) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_sorted_listing_gives_the_same_files(txt_site: ArchiveServer) -> None:
    with httpx.Client(timeout=10) as client:
        plain = client.get(txt_site.url + "/stories/misc/")
        sorted_ = client.get(txt_site.url + "/stories/?C=M;O=D")
        unsorted = client.get(txt_site.url + "/stories/")
    misc = PARSER.parse(Document(content=plain.content, locator="m",
                                 url=txt_site.url + "/stories/misc/"))
    assert misc.links and all(link.startswith(txt_site.url + "/stories/misc/")
                              for link in misc.links)
    by_date = PARSER.parse(Document(content=sorted_.content, locator="s",
                                    url=txt_site.url + "/stories/?C=M;O=D"))
    by_name = PARSER.parse(Document(content=unsorted.content, locator="u",
                                    url=txt_site.url + "/stories/"))
    assert sorted(by_date.links) == sorted(by_name.links)
