"""The static site: browsable indexes, one page per story, sanitized, nothing fetched elsewhere.

The browser test serves the folder on 127.0.0.1, opens the index in headless chromium, follows
links to a story, and checks the rendered text, the requests the browser made and the server's
log.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from export_stories import empty_story, fill, full_story, hostile_story, link_story
from headless import Browser, chromium_binary
from lxml import html as lxml_html

from fanarchive.export import ExportOptions, export
from fanarchive.export.html_site import PER_PAGE
from fanarchive.store.store import Store
from fanarchive.story import Author, Chapter, Story


def _pages(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): p.read_text("utf-8") for p in site.rglob("*.html")}


def test_site_layout_indexes_and_story_pages(store: Store, tmp_path: Path) -> None:
    fill(store, [full_story(), hostile_story(), link_story(), empty_story()])
    site = tmp_path / "site"
    assert export(store, "html", site, ExportOptions()) == 4
    pages = _pages(site)
    for name in ("index.html", "titles/1.html", "authors/index.html", "fandoms/index.html",
                 "ratings/index.html", "ratings/explicit.html",
                 "fandoms/buffy-the-vampire-slayer.html", "authors/writer-0.html"):
        assert name in pages, name
    assert (site / "style.css").exists()
    assert "4 stories" in pages["index.html"]
    titles = lxml_html.fromstring(pages["titles/1.html"])
    assert [a.text for a in titles.xpath("//ul[@class='works']/li/a[1]")] == [
        "The Long Night 0", "Lost Words", "Offsite Fic", hostile_story().title]  # "The" ignored
    story_pages = [n for n in pages if n.startswith("stories/")]
    assert len(story_pages) == 4
    [long_night] = [pages[n] for n in story_pages if "the-long-night" in n]
    for expected in ("Dusk", "Dawn", "It was cold.<br>Very cold.", "Chapter one notes.",
                     "See you next time.", "Strong PG13", "Out of the night that covers me.",
                     "mojibake-repaired", "Winter, part 2 of 3", "yes please",
                     'href="#ch-2"', 'href="../authors/second-hand.html"'):
        assert expected in long_night, expected
    assert "writer0@example.org" not in long_night
    # Every relative link of every page points at a page that exists.
    for name, html in pages.items():
        doc = lxml_html.fromstring(html)
        for href in doc.xpath("//a/@href | //link/@href"):
            if href.startswith(("#", "data:", "http://elsewhere.example")):
                continue
            target = (site / name).parent / href.split("#")[0]
            assert target.resolve().exists(), f"{name} links to missing {href}"


def test_story_html_is_sanitized_everywhere(store: Store, tmp_path: Path) -> None:
    fill(store, [hostile_story()])
    site = tmp_path / "site"
    export(store, "html", site, ExportOptions())
    for name, html in _pages(site).items():
        lowered = html.lower()
        for bad in ("<script", "javascript:", "<iframe", "<form", "<object", "<embed",
                    "evil.example", "tracker.example", "url("):
            assert bad not in lowered, (name, bad)
        assert not re.search(r"\son\w+\s*=", lowered), name  # no event handler attributes
        doc = lxml_html.fromstring(html)
        # Nothing on the page would make a browser fetch from anywhere else.
        for url in doc.xpath("//@src | //link/@href | //@background | //@poster | //@data"):
            assert not re.match(r"(?i)(https?:)?//", url), (name, url)
        assert "Content-Security-Policy" in html and "default-src 'none'" in html
    page = next(p for n, p in _pages(site).items() if n.startswith("stories/"))
    assert "Hello <b>reader</b>." in page and "The end of the <i>safe</i> story." in page
    assert "&lt;b&gt;not markup&lt;/b&gt;" in page


def test_big_listings_are_paged(store: Store, tmp_path: Path) -> None:
    stories = [Story(title=f"Story {i:04d}", authors=[Author("Prolific")],
                     fandoms=["Due South"], chapters=[Chapter(1, "x", word_count=1)])
               for i in range(PER_PAGE + 20)]
    fill(store, stories)
    site = tmp_path / "site"
    export(store, "html", site, ExportOptions())
    assert (site / "titles" / "2.html").exists() and not (site / "titles" / "3.html").exists()
    assert (site / "authors" / "prolific-2.html").exists()
    second = (site / "titles" / "2.html").read_text("utf-8")
    assert "Story 0500" in second and "Story 0499" not in second
    assert '<a href="1.html">1</a>' in second


class _Server:
    """http.server on 127.0.0.1 serving one folder, remembering every path asked for."""

    def __init__(self, folder: Path) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, fmt: str, *args: object) -> None:
                paths.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                         functools.partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    binary = chromium_binary()
    if binary is None:
        reason = "chromium is not installed (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    opened = Browser(binary, tmp_path / "profile")
    yield opened
    opened.close()


def test_a_real_browser_reads_the_site_and_nothing_leaves_it(store: Store, tmp_path: Path,
                                                             browser: Browser) -> None:
    fill(store, [full_story(), hostile_story(), link_story()])
    site = tmp_path / "site"
    export(store, "html", site, ExportOptions())
    server = _Server(site)
    try:
        browser.open(f"{server.url}/index.html")
        assert browser.evaluate("document.title") == "The collection"
        browser.click_and_wait('a[href="titles/1.html"]')
        assert browser.evaluate("document.querySelectorAll('ul.works li').length") == 3
        browser.click_and_wait('ul.works a[href*="stories/quotes"]')
        text = browser.evaluate("document.body.innerText")
        assert "Hello reader." in text and "The end of the safe story." in text
        assert "Second paragraph." in text and "🦊" in text
        assert browser.evaluate("document.scripts.length") == 0
        assert browser.evaluate("document.images.length") == 1  # the alt-only image
        assert browser.evaluate("document.images[0].currentSrc") == ""
        # Readable on a phone: the viewport meta is honoured and nothing scrolls sideways.
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
        browser.evaluate("location.reload()")
        browser.wait_event("Page.loadEventFired")
        width = browser.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        font = browser.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16
        browser.click_and_wait('header.site a[href="../authors/index.html"]')
        browser.click_and_wait('ul.names a[href="writer-0.html"]')
        browser.click_and_wait('ul.works a[href*="stories/the-long-night"]')
        assert "It was cold." in browser.evaluate("document.body.innerText")
    finally:
        server.stop()
    requests = browser.requests
    assert requests, "the browser made no requests at all?"
    for url in requests:
        assert url.startswith(server.url + "/") or url.startswith("data:"), url
    for path in server.paths:
        local = (site / path.lstrip("/").split("?")[0]).resolve()
        assert local.is_relative_to(site.resolve()) and local.exists(), path
    assert "/style.css" in server.paths and "/favicon.ico" not in server.paths
