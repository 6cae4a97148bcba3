"""No request ever leaves the allowed hosts; robots.txt is obeyed.

A second server on another port plays "elsewhere": the crawled archive links to it, and
redirects to it, and its request log must stay empty. A link to the archive under another
host name (``localhost`` instead of ``127.0.0.1``) is another host too: no request may arrive
with that Host header. Paths robots.txt disallows are never requested.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

import tests.sites.efiction_pages
import tests.sites.static_html
import tests.sites.traps
from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import by_title, crawl, printer_url, records, visible_sids
from tests.sites.content import ArchiveModel
from tests.sites.efiction import EFictionOptions, EFictionSite
from tests.sites.server import ArchiveServer
from tests.sites.wire import Request, Response


@pytest.fixture
def elsewhere(site_factory, monkeypatch: pytest.MonkeyPatch) -> ArchiveServer:
    """Another server; every off-site link and redirect of the test sites points at it."""
    other = site_factory("static", stories=2, max_chapters=1)
    for module in (tests.sites.traps, tests.sites.static_html, tests.sites.efiction_pages):
        monkeypatch.setattr(module, "OFFSITE", other.url)
    return other


def _frontier(store: Store) -> dict[str, tuple[str, str | None, str | None]]:
    rows = store.session.execute(text("SELECT url, state, outcome, reason FROM crawl_urls"))
    return {str(u): (str(s), o, r) for u, s, o, r in rows}


def test_static_archive_never_leaves_its_host(store: Store, site_factory,
                                              elsewhere: ArchiveServer) -> None:
    site = site_factory("static", stories=8, max_chapters=2)
    model = site.model
    alias = f"http://localhost:{site.port}"
    # An author links a "mirror" of the archive under another host name.
    first = model.visible_stories()[0]
    model.update_story(first.sid, summary=first.summary + f' <a href="{alias}/index.html">'
                       'Mirror</a> <a href="' + elsewhere.url + '/stories/x.html">Elsewhere</a>')
    report = crawl(store, site.url + "/")

    assert report.crawl.complete
    assert elsewhere.log.entries() == []
    hosts = {e.headers.get("Host") for e in site.log}
    assert hosts == {f"127.0.0.1:{site.port}"}, hosts
    found = by_title(records(store))
    assert sorted(t for t in found if t) == sorted(s.title for s in model.visible_stories())

    frontier = _frontier(store)
    off = {url: row for url, row in frontier.items() if row[0] == "off-scope"}
    assert any(url.startswith(elsewhere.url) for url in off), off  # links seen, not followed
    assert any(url.startswith("http://localhost:") for url in off), off
    redirect = frontier[site.url + "/offsite-redirect"]
    assert redirect[:2] == ("off-scope", "off-scope") and elsewhere.url in (redirect[2] or "")

    # robots.txt: fetched first, once; the disallowed guestbook (linked from every page's
    # navigation bar) recorded as disallowed and never requested.
    assert site.log[0].path == "/robots.txt"
    assert site.log.count("/robots.txt") == 1
    for prefix in site.options.disallow:
        assert site.log.touched(prefix) == []
        assert any(url.startswith(site.url + prefix) and row[0] == "robots-disallowed"
                   for url, row in frontier.items())


class _MovedAuthor:
    """The eFiction archive, except that one author's page and one story moved elsewhere."""

    def __init__(self, inner: EFictionSite, target: str, uid: int, sid: int) -> None:
        self.inner, self.target, self.uid, self.sid = inner, target, uid, sid
        self.name, self.model, self.options = inner.name, inner.model, inner.options

    def handle(self, request: Request) -> Response:
        if request.path == "/viewuser.php" and request.arg("uid") == str(self.uid):
            return Response.redirect(f"{self.target}/viewuser.php?uid={self.uid}", status=301)
        if request.path == "/viewstory.php" and request.arg("sid") == str(self.sid):
            return Response.redirect(f"{self.target}{request.target}")
        return self.inner.handle(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_efiction_redirects_off_host_are_recorded_not_followed(
        store: Store, elsewhere: ArchiveServer) -> None:
    model = ArchiveModel.generate(seed=5, stories=8, max_chapters=2)
    moved = visible_sids(model, access=["open"])[0]
    uid = model.story(moved).uid
    # robots.txt also keeps crawlers off the series pages, which the parser does follow.
    options = EFictionOptions(disallow=("/admin.php", "/reviews.php", "/viewseries.php"))
    site = ArchiveServer(_MovedAuthor(EFictionSite(model, options), elsewhere.url,
                                      uid, moved)).start()  # type: ignore[arg-type]
    try:
        report = crawl(store, site.url + "/")
    finally:
        site.stop()

    assert report.crawl.complete
    assert elsewhere.log.entries() == []
    frontier = _frontier(store)
    story = frontier[printer_url(site, moved)]
    assert story[0] == "off-scope" and elsewhere.url in (story[2] or "")
    # Author pages list what the title listing lists: never asked for, moved or not.
    assert not [url for url in frontier if "/viewuser.php" in url]
    assert site.log.touched(f"/viewuser.php?uid={uid}") == []
    found = by_title(records(store))
    readable = visible_sids(model, access=["open", "warning", "age_consent"])
    assert sorted(found) == sorted(model.story(s).title for s in readable if s != moved)
    for prefix in options.disallow:
        assert site.log.touched(prefix) == []
    series = [row for url, row in frontier.items() if "/viewseries.php" in url]
    assert series and all(row[:2] == ("robots-disallowed", "robots-disallowed")
                          for row in series)
