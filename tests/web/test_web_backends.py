"""The frontier on SQLite, PostgreSQL and MariaDB; and a crawl through 20% faulted responses."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from fanarchive.sources.web import Crawler, canonicalize
from fanarchive.store.crawl_models import CrawlUrl
from fanarchive.store.models import DocumentRow, Source
from fanarchive.store.store import Store
from tests.sites.faults import FaultPlan
from tests.sites.wire import Request, Response
from tests.web.crawlkit import (
    fast,
    handle_links,
    handle_story_links,
    page,
    page_requests,
    serve_pages,
)


def test_crawl_retry_and_revalidate_on_every_backend(any_db_url: str) -> None:
    tries = Counter[str]()

    def flaky(request: Request) -> Response:
        tries[request.path] += 1
        if tries[request.path] == 1:
            return Response.html("busy", status=503, cacheable=False)
        return Response.html(page(body="recovered"))

    routes = {"/": page("/a", "/b?y=2&x=1", "/flaky"), "/a": page("/b?x=1&y=2"),
              "/b": page(), "/flaky": flaky}
    site = serve_pages(routes, conditional=True)
    store = Store.open(any_db_url)
    try:
        source = store.ensure_source("backend", site.url)
        store.commit()
        first = Crawler(store, source, fast(backoff_base=0.2), handle=handle_links).run(
            [site.url + "/"])
        assert first.complete and first.retries == 1
        flaky_times = [e.time for e in site.log.for_path("/flaky")]
        assert flaky_times[1] - flaky_times[0] >= 0.2  # the retry time survived the database
        assert sorted(page_requests(site)) == ["/", "/a", "/b?x=1&y=2", "/flaky", "/flaky"]
        documents = store.count(DocumentRow)
        site.log.clear()

        second = Crawler(store, source, fast(), handle=handle_links).run([site.url + "/"])
        assert second.complete and not second.resumed
        assert second.not_modified == 4
        assert store.count(DocumentRow) == documents
        assert [e.status for e in site.log if e.path != "/robots.txt"] == [304] * 4
        states = Counter(store.session.scalars(
            select(CrawlUrl.state).where(CrawlUrl.source_id == source.id)))
        assert states == {"done": 4}
        row = store.session.scalar(select(CrawlUrl).where(
            CrawlUrl.url == canonicalize(site.url + "/flaky")))
        assert row is not None and row.etag and row.last_status == 304 and row.attempts == 0
        assert second.documents_new == 0
    finally:
        store.close()
        site.stop()


def test_every_story_arrives_through_faults(store: Store, source: Source, site_factory) -> None:
    plan = FaultPlan(rate=0.2, seed=3, kinds=("503", "reset", "slow", "truncated", "error200"),
                     retry_after=0, slow_seconds=0.6)
    site = site_factory("efiction", stories=8, max_chapters=3, faults=plan)
    settings = fast(read_timeout=0.08, backoff_base=0.02, breaker_threshold=0, adult=True)
    report = Crawler(store, source, settings, handle=handle_story_links).run([site.url + "/"])
    assert report.complete and report.retries > 5
    assert len(site.log.faults()) >= 5
    for story in site.model.visible_stories():
        if story.members_only:
            continue  # recorded as "login", covered elsewhere
        for number in range(1, len(story.chapters) + 1):
            row = store.session.scalar(select(CrawlUrl).where(
                CrawlUrl.url == canonicalize(site.url + site.chapter_path(story.sid, number))))
            assert row is not None and row.state == "done", (row and row.reason)
    assert store.session.scalars(select(CrawlUrl).where(CrawlUrl.state == "failed")).all() == []
