"""Pages captured once from the served test archive, for building WARCs and mirrors from.

The pages are fetched over real HTTP from ``tests.sites`` (the same eFiction-like site the crawl
tests use), keeping the status line, headers and body bytes exactly as the server sent them.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fanarchive.config import Config, load_config
from tests.sites.launch import start_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ondisk"


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")


def fetch(url: str) -> Page:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target or "/")
        response = conn.getresponse()
        body = response.read()
        headers = [(k, v) for k, v in response.getheaders()
                   if k.lower() != "transfer-encoding"]  # the body is already de-chunked
        return Page(url, response.status, response.reason, headers, body)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def site_pages() -> list[Page]:
    """Home, listings, every story index and chapter page of a small served archive."""
    server = start_site("efiction", stories=6, max_chapters=3)
    try:
        paths = ["/index.php", server.listing_path(0), "/robots.txt"]
        for story in server.model.visible_stories():
            paths.append(server.story_path(story.sid))
            paths += [server.chapter_path(story.sid, n) for n in range(1, len(story.chapters) + 1)]
        pages = [fetch(server.urljoin(p)) for p in paths]
    finally:
        server.stop()
    ok = [p for p in pages if p.status == 200]
    assert len(ok) >= 10, "the test site served too few pages"
    return ok


@pytest.fixture
def ondisk_config() -> Config:
    return load_config()


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
