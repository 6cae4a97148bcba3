"""The crawler against real HTTP servers on 127.0.0.1, measured from the servers' request logs."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from sqlalchemy import func, select

from fanarchive.document import Document
from fanarchive.sources.web import Crawler, PageResult, canonicalize
from fanarchive.store.crawl_models import CrawlUrl
from fanarchive.store.models import DocumentRow, Source
from fanarchive.store.store import Store
from tests.sites.faults import FaultPlan
from tests.sites.server import ArchiveServer
from tests.sites.wire import Request, Response
from tests.web.crawlkit import (
    fast,
    handle_links,
    handle_story_links,
    page,
    page_requests,
    serve_pages,
)


def rows(store: Store, **where: object) -> list[CrawlUrl]:
    query = select(CrawlUrl)
    for name, value in where.items():
        query = query.where(getattr(CrawlUrl, name) == value)
    return list(store.session.scalars(query))


def requested(site: ArchiveServer, path: str) -> int:
    """Requests for ``path`` in any parameter order (the crawler sends canonical URLs)."""
    wanted = canonicalize(site.url + path)
    return sum(1 for e in site.log if canonicalize(site.url + e.path) == wanted)


def row_for(store: Store, url: str) -> CrawlUrl:
    found = store.session.scalar(select(CrawlUrl).where(CrawlUrl.url == url))
    assert found is not None, url
    return found


def test_efiction_crawl_obeys_robots_scope_and_traps(store: Store, source: Source,
                                                     site_factory) -> None:
    site = site_factory("efiction", stories=4, max_chapters=2)
    report = Crawler(store, source, fast(), handle=handle_links).run([site.url + "/"])

    assert report.stopped == "finished" and report.complete
    log = site.log.entries()
    assert log[0].path == "/robots.txt"  # before anything else on the host
    assert [e.path for e in log].count("/robots.txt") == 1
    for disallowed in site.options.disallow:  # /admin.php, /reviews.php
        assert site.log.touched(disallowed) == []
    assert report.outcomes["robots-disallowed"] > 0
    assert all(e.headers["User-Agent"].startswith("fanarchive/") for e in log)
    # Session ids in listing links never create a second copy of a page.
    assert not any("PHPSESSID" in e.path for e in log)
    repeated = {path for path, n in Counter(e.path for e in log).items() if n > 1}
    assert repeated == {"/error-page"}  # a 200 error page is retried; nothing else twice
    assert row_for(store, site.url + "/error-page").outcome == "error"
    # Every story was reached; the endless calendar was cut off.
    for story in site.model.visible_stories():
        assert site.log.count(site.story_path(story.sid)) == 1
    calendar = site.log.for_route("/calendar.php")
    assert 0 < len(calendar) < 120
    assert rows(store, outcome="trap")  # recorded when found, never requested
    # Traps: the redirect loop and the off-site redirect are recorded, never followed away.
    assert row_for(store, site.url + "/redirect-loop").outcome == "redirect-loop"
    assert len(site.log.for_route("/redirect-loop")) <= 3
    off = row_for(store, site.url + "/offsite-redirect")
    assert (off.state, off.outcome) == ("off-scope", "off-scope")
    assert "offsite.invalid" in (off.reason or "")
    # Documents are stored once per URL and content, with status and headers.
    total = store.count(DocumentRow)
    assert total == report.documents_new
    stored = store.session.scalar(select(DocumentRow).where(
        DocumentRow.url == site.url + site.story_path(1)))
    assert stored is not None and stored.http_status == 200
    assert stored.http_headers and "content-type" in stored.http_headers
    assert store.session.scalar(select(func.count(func.distinct(CrawlUrl.url_hash)))) == \
        len(rows(store))


def test_crawl_delay_measured_from_request_times(store: Store, source: Source,
                                                 site_factory) -> None:
    site = site_factory("efiction", stories=3, max_chapters=1, crawl_delay=0.1)
    settings = fast(ignore_crawl_delay=False, max_pages=15, concurrency=2)
    report = Crawler(store, source, settings, handle=handle_links).run([site.url + "/"])
    assert report.stopped == "max-pages"
    times = [entry.time for entry in site.log]
    assert len(times) >= 10
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Arrival times carry scheduling noise on a loaded machine; their sum does not.
    assert min(gaps) >= 0.1 - 0.03, gaps
    assert times[-1] - times[0] >= 0.1 * len(gaps) - 0.05
    ignoring = site_factory("efiction", stories=3, max_chapters=1, crawl_delay=5)
    quick = Crawler(store, store.ensure_source("ignore", ignoring.url), fast(max_pages=5),
                    handle=handle_links).run([ignoring.url + "/"])
    assert quick.seconds < 3  # --ignore-crawl-delay: no 5 s waits


def test_off_host_links_and_redirects_never_requested() -> None:
    other = serve_pages({"/": page(), "/story": "<p>elsewhere</p>"})
    try:
        site = serve_pages({
            "/": page("/inside", other.url + "/story", "/go-away", "http://localhost:1/x"),
            "/inside": page(),
            "/go-away": Response.redirect(other.url + "/story"),
        })
        try:
            store = Store.open("sqlite://")
            source = store.ensure_source("s", site.url)
            report = Crawler(store, source, fast(), handle=handle_links).run([site.url + "/"])
            assert len(other.log) == 0
            assert sorted(page_requests(site)) == ["/", "/go-away", "/inside"]
            away = row_for(store, site.url + "/go-away")
            assert (away.state, away.outcome, away.last_status) == ("off-scope", "off-scope", 302)
            link = row_for(store, other.url + "/story")
            assert (link.state, link.outcome) == ("off-scope", "off-scope")
            assert report.outcomes["off-scope"] == 1  # the redirect; links are not visits
        finally:
            site.stop()
    finally:
        other.stop()


def test_private_addresses_refused_unless_allowed(store: Store, source: Source) -> None:
    site = serve_pages({"/": page("/a"), "/a": page()})
    try:
        report = Crawler(store, source, fast(allow_private=False),
                         handle=handle_links).run([site.url + "/"])
        assert len(site.log) == 0
        start = row_for(store, site.url + "/")
        assert (start.state, start.outcome) == ("off-scope", "private-address")
        assert "allow_private" in (start.reason or "")
        assert report.requests == 0
    finally:
        site.stop()


def test_retry_after_is_honoured_for_the_whole_host(store: Store, source: Source) -> None:
    links = [f"/p{i}" for i in range(6)]
    routes: dict = {"/": page(*links), **{link: page() for link in links}}
    for as_date in (False, True):
        site = ArchiveServer(
            _pages(routes),
            FaultPlan(rate=1.0, kinds=("429",), only=("/p0",), max_faulted_attempts=1,
                      retry_after=1, http_date_share=1.0 if as_date else 0.0)).start()
        try:
            src = store.ensure_source(f"ra-{as_date}", site.url)
            # One at a time, so no request is already in flight when the 429 arrives.
            report = Crawler(store, src, fast(concurrency=1), handle=handle_links).run(
                [site.url + "/"])
            limited = site.log.for_path("/p0")
            assert [e.status for e in limited] == [429, 200]
            assert site.log.gaps("/p0")[0] >= 1.0
            # No other request reached the host while it asked us to wait.
            quiet = [e for e in site.log if limited[0].time < e.time < limited[0].time + 1.0]
            assert quiet == []
            assert report.retries == 1 and report.retry_after_wait >= 0.99
            assert all(r.state == "done" for r in rows(store, source_id=src.id))
        finally:
            site.stop()


@pytest.mark.parametrize("kind", ["reset", "slow", "truncated"])
def test_network_faults_are_retried_until_success(store: Store, source: Source,
                                                  kind: str) -> None:
    links = [f"/p{i}" for i in range(3)]
    routes: dict = {"/": page(*links), **{link: page(body="x" * 4000) for link in links}}
    plan = FaultPlan(rate=1.0, kinds=(kind,), only=("/p",), max_faulted_attempts=2,
                     slow_seconds=1.2, slow_chunks=6)
    site = ArchiveServer(_pages(routes), plan).start()
    try:
        settings = fast(read_timeout=0.1, backoff_base=0.05)
        report = Crawler(store, source, settings, handle=handle_links).run([site.url + "/"])
        for link in links:
            attempts = site.log.for_path(link)
            assert len(attempts) == 3 and [e.fault for e in attempts][:2] == [kind, kind]
            gaps = site.log.gaps(link)
            assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # exponential backoff
            assert row_for(store, site.url + link).state == "done"
        assert report.retries == 6 and report.failures == 0
        assert report.outcomes["ok"] == 4
    finally:
        site.stop()


def test_backoff_on_503_then_success(store: Store, source: Source) -> None:
    calls = Counter[str]()

    def flaky(request: Request) -> Response:
        calls[request.path] += 1
        if calls[request.path] <= 2:
            return Response.html("<h1>Service Unavailable</h1>", status=503, cacheable=False)
        return Response.html(page())

    site = serve_pages({"/": flaky})
    try:
        settings = fast(backoff_base=0.1, backoff_cap=1.0)
        report = Crawler(store, source, settings, handle=handle_links).run([site.url + "/"])
        assert [e.status for e in site.log.for_path("/")] == [503, 503, 200]
        gaps = site.log.gaps("/")
        assert gaps[0] >= 0.1 and gaps[1] >= 0.2
        assert report.retries == 2 and row_for(store, site.url + "/").state == "done"
    finally:
        site.stop()


def test_circuit_breaker_pauses_then_gives_up_the_host(store: Store, source: Source) -> None:
    site = serve_pages({"/": Response.html("down", status=503, cacheable=False),
                        "/robots.txt": Response.text("User-agent: *\nDisallow:\n")})
    try:
        settings = fast(breaker_threshold=3, breaker_pause=0.4, breaker_max_trips=2,
                        retries=20, backoff_base=0.0)
        report = Crawler(store, source, settings, handle=handle_links).run([site.url + "/"])
        times = [e.time for e in site.log.for_path("/")]
        assert len(times) == 4  # three failures trip it; one trial after the pause re-trips
        assert times[3] - times[2] >= 0.4
        assert report.stopped == "hosts-given-up" and not report.complete
        assert any("gave up" in note for note in report.notes)
        start = row_for(store, site.url + "/")
        assert start.state == "pending" and start.attempts == 4  # left for the next run
    finally:
        site.stop()


def test_redirect_loop_and_size_cap(store: Store, source: Source) -> None:
    site = serve_pages({"/": page("/redirect-loop", "/huge", "/fine"),
                        "/huge": page(body="z" * 50_000), "/fine": page()})
    try:
        report = Crawler(store, source, fast(max_bytes=10_000),
                         handle=handle_links).run([site.url + "/"])
        loop = row_for(store, site.url + "/redirect-loop")
        assert (loop.state, loop.outcome) == ("failed", "redirect-loop")
        assert len(site.log.for_route("/redirect-loop")) == 3
        huge = row_for(store, site.url + "/huge")
        assert (huge.state, huge.outcome) == ("failed", "too-large")
        assert site.log.count("/huge") == 1  # not retried
        assert store.session.scalar(select(DocumentRow).where(
            DocumentRow.url == site.url + "/huge")) is None
        assert report.outcomes["ok"] == 2
    finally:
        site.stop()


def test_conditional_get_second_crawl_writes_nothing(store: Store, source: Source,
                                                     site_factory) -> None:
    site = site_factory("efiction", stories=4, max_chapters=2, conditional=True)
    first = Crawler(store, source, fast(), handle=handle_story_links).run([site.url + "/"])
    documents = store.count(DocumentRow)
    validated = {r.url.removeprefix(site.url) for r in rows(store, outcome="ok") if r.etag}
    assert len(validated) >= 8
    site.log.clear()
    handled: list[str] = []

    def counting(doc: Document) -> PageResult:
        handled.append(doc.locator)
        return handle_story_links(doc)

    second = Crawler(store, source, fast(), handle=counting).run([site.url + "/"])
    assert not second.resumed and second.complete
    assert store.count(DocumentRow) == documents and second.documents_new == 0
    not_modified = [e for e in site.log if e.status == 304]
    assert len(not_modified) == second.not_modified >= len(site.model.visible_stories())
    for entry in site.log:
        assert site.log.count(entry.path) == 1  # one request each, 304 or not
        if entry.path in validated:
            assert "If-None-Match" in entry.headers and entry.status == 304, entry.path
    assert not any(site.url + e.path in handled for e in not_modified)  # 304: nothing parsed
    assert second.requests == len(site.log) <= first.requests


def test_age_gates_need_consent(store: Store, site_factory) -> None:
    site = site_factory("efiction", stories=6, max_chapters=1)
    gated = [s.sid for s in site.model.visible_stories() if site.model.rating_of(s).warning_level]
    assert gated
    refusing = store.ensure_source("no-consent", site.url)
    Crawler(store, refusing, fast(), handle=handle_story_links).run([site.url + "/"])
    for sid in gated:
        row = row_for(store, site.url + site.story_path(sid))
        assert (row.state, row.outcome) == ("gated", "gated")
        assert requested(site, site.consent_path(sid)) == 0
    site.log.clear()
    consenting = store.ensure_source("consent", site.url)
    report = Crawler(store, consenting, fast(adult=True), handle=handle_story_links).run(
        [site.url + "/"])
    assert report.outcomes["gate-passed"] >= len(gated) and report.outcomes["gated"] == 0
    for sid in gated:
        assert requested(site, site.consent_path(sid)) == 1


def test_access_and_error_pages_are_recorded(store: Store, source: Source) -> None:
    site = serve_pages({"/": page("/login-required", "/error-page", "/boom"), "/boom": page()})
    try:
        def handler(doc: Document) -> PageResult:
            if doc.locator.endswith("/boom"):
                raise RuntimeError("parser exploded")
            return handle_links(doc)

        report = Crawler(store, source, fast(retries=2), handle=handler).run([site.url + "/"])
        login = row_for(store, site.url + "/login-required")
        assert (login.state, login.outcome) == ("gated", "login")
        error = row_for(store, site.url + "/error-page")
        assert (error.state, error.outcome, error.attempts) == ("failed", "error", 3)
        assert site.log.count("/error-page") == 3  # a 200 error page is retried like a 503
        boom = row_for(store, site.url + "/boom")
        assert (boom.state, boom.outcome) == ("failed", "handler-error")
        assert "parser exploded" in (boom.reason or "")
        assert report.failures == 2 and report.complete
        kinds = dict(store.session.execute(select(DocumentRow.url, DocumentRow.page_kind)).all())
        assert kinds[site.url + "/login-required"] == "login"
    finally:
        site.stop()


def test_robots_unavailable_means_nothing_fetched(store: Store, source: Source) -> None:
    site = serve_pages({"/": page("/a"), "/a": page(),
                        "/robots.txt": Response.html("oops", status=500, cacheable=False)})
    try:
        report = Crawler(store, source, fast(retries=1), handle=handle_links).run(
            [site.url + "/"])
        assert page_requests(site) == []
        assert site.log.count("/robots.txt") == 2  # retried once, then RFC 9309: disallow all
        assert report.outcomes["robots-disallowed"] == 1
    finally:
        site.stop()


def test_max_pages_stops_and_the_next_run_resumes(store: Store, source: Source) -> None:
    chain = {f"/p{i}": page(f"/p{i + 1}") for i in range(10)}
    site = serve_pages({"/": page("/p0"), **chain})
    try:
        first = Crawler(store, source, fast(max_pages=4), handle=handle_links).run(
            [site.url + "/"])
        assert first.stopped == "max-pages" and first.pages == 4
        assert len(page_requests(site)) == 4
        second = Crawler(store, source, fast(), handle=handle_links).run([site.url + "/"])
        assert second.resumed and second.complete
        assert sorted(page_requests(site)) == sorted(["/", *chain, "/p10"])
        assert row_for(store, site.url + "/p10").outcome == "http-404"
    finally:
        site.stop()


def _pages(routes: dict) -> object:
    from tests.web.crawlkit import PagesSite

    return PagesSite(routes)
