"""Helpers for the crawler tests: tiny hand-made sites, a link-extracting handler, settings.

The eFiction-like archive from ``tests.sites`` covers realistic crawls; :class:`PagesSite`
serves a few hand-written routes through the same :class:`ArchiveServer` (same request log,
faults and conditional GET) when a test needs one exact behaviour.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fanarchive.document import Document
from fanarchive.sources.web import CrawlSettings, PageResult
from tests.sites.server import ArchiveServer
from tests.sites.wire import Request, Response

HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)

Route = Callable[[Request], Response] | Response | str


@dataclass
class StubModel:
    """Just what ArchiveServer needs from a model."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    now: datetime = field(default_factory=lambda: datetime(2013, 10, 1, tzinfo=UTC))

    def last_modified(self) -> datetime:
        return self.now


@dataclass
class PagesOptions:
    conditional: bool = False


class PagesSite:
    """Routes by exact target (path plus query) or path; a str route is served as HTML."""

    name = "pages"

    def __init__(self, routes: dict[str, Route], conditional: bool = False) -> None:
        self.routes = routes
        self.model = StubModel()
        self.options = PagesOptions(conditional)

    def handle(self, request: Request) -> Response:
        route = self.routes.get(request.target, self.routes.get(request.path))
        if route is None:
            return Response.not_found()
        if isinstance(route, str):
            return Response.html(route)
        if isinstance(route, Response):
            return route
        return route(request)


def serve_pages(routes: dict[str, Route], conditional: bool = False) -> ArchiveServer:
    return ArchiveServer(PagesSite(routes, conditional)).start()


def page(*links: str, body: str = "") -> str:
    anchors = "".join(f'<a href="{link}">{link}</a> ' for link in links)
    return f"<html><body>{body}<p>{anchors}</p></body></html>"


def handle_links(doc: Document) -> PageResult:
    """A stand-in for the parsing pipeline: every href, plus eFiction page kinds."""
    text = doc.content.decode("utf-8", errors="replace")
    links = [html.unescape(href) for href in HREF.findall(text)]
    if "A database error occurred" in text:
        return PageResult(page_kind="error", reason="database error page")
    login_form = "id='loginblock'" in text or 'id="loginblock"' in text
    if login_form and ("logged in" in text or "registered members" in text):
        return PageResult(page_kind="login")
    consent = [link for link in links if "warning=" in link]
    if consent and "class='errortext'" in text and ">Continue<" in text:
        return PageResult(page_kind="gate", consent_url=consent[0], links=links)
    return PageResult(links=links)


def fast(**overrides: Any) -> CrawlSettings:
    """Settings for loopback tests: no delays, tiny backoff, loopback allowed."""
    values: dict[str, Any] = dict(
        delay=0.0, jitter=0.0, allow_private=True, backoff_base=0.01, backoff_cap=0.2,
        connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0, breaker_pause=0.5,
        ignore_crawl_delay=True,
    )
    values.update(overrides)
    return CrawlSettings(**values)


def page_requests(server: ArchiveServer) -> list[str]:
    """Request targets other than robots.txt, in arrival order."""
    return [entry.path for entry in server.log if entry.path != "/robots.txt"]


def handle_story_links(doc: Document) -> PageResult:
    """Like :func:`handle_links`, following only listings and story pages (a quicker crawl)."""
    result = handle_links(doc)
    result.links = [link for link in result.links
                    if "viewstory.php" in link or "browse.php?type=titles" in link]
    return result
