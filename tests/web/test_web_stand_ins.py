"""The crawler's ``stand_ins`` callback: URLs read in place of one the site refuses (a 4xx).

Generic behaviour on a hand-made site; the eFiction case (a printer view that 404s, read
through the reading view and its chapter pages) is in tests/crawl/test_crawl_printer_fallback.py.
"""

from __future__ import annotations

from sqlalchemy import select

from fanarchive.document import Document
from fanarchive.sources.web import RECOVERED, Crawler, read_through_stand_ins
from fanarchive.store.crawl_models import CrawlUrl
from fanarchive.store.models import Source
from fanarchive.store.store import Store
from tests.sites.server import ArchiveServer
from tests.sites.wire import Response
from tests.web.crawlkit import fast, handle_links, page, page_requests, serve_pages


def row_for(store: Store, url: str) -> CrawlUrl:
    store.session.expire_all()
    found = store.session.scalar(select(CrawlUrl).where(CrawlUrl.url == url))
    assert found is not None, url
    return found


def serve() -> ArchiveServer:
    forbidden = Response.html("<h1>Forbidden</h1>", status=403, cacheable=False)
    return serve_pages({
        "/": page("/print?id=1", "/print?id=2", "/gone", "/busy"),
        "/print?id=1": forbidden,
        "/print?id=2": page(body="whole story two"),
        "/read?id=1": page("/menu", "/read?id=1&part=2", body="part one"),
        "/read?id=1&part=2": page("/menu", body="part two"),
        "/menu": page("/elsewhere"),
        "/busy": Response.html("<h1>Slow down</h1>", status=429, cacheable=False),
    })


ASKED: list[tuple[str, str | None]] = []


def stand_ins(url: str, found: Document | None) -> list[str]:
    ASKED.append((url.rpartition("/")[2], found.url.rpartition("/")[2] if found else None))
    if "/print?id=1" not in url:
        return []
    return ["/read?id=1"] if found is None else ["/read?id=1&part=2"]


def test_a_refused_url_is_read_through_its_stand_ins(store: Store, source: Source) -> None:
    site = serve()
    ASKED.clear()
    try:
        crawler = Crawler(store, source, fast(retries=1, backoff_base=0.01),
                          handle=handle_links, stand_ins=stand_ins)
        report = crawler.run([site.url + "/"])
        first = page_requests(site)
        recovered = row_for(store, site.url + "/print?id=1")
        assert (recovered.state, recovered.outcome, recovered.last_status) == (
            "done", RECOVERED, 403)
        assert "answered 403; read through " + site.url + "/read?id=1" in (
            recovered.reason or "")
        for path in ("/read?id=1", "/read?id=1&part=2"):
            assert first.count(path) == 1
            assert row_for(store, site.url + path).discovered_from == recovered.id
        # A stand-in replaces one page: its own links (the menu) are not followed.
        assert "/menu" not in first
        # Asked about refused URLs (not the 429), then about the pages read in their place.
        assert len(ASKED) == 4 and set(ASKED) == {
            ("gone", None), ("print?id=1", None), ("print?id=1", "read?id=1"),
            ("print?id=1", "read?id=1&part=2")}
        gone = row_for(store, site.url + "/gone")  # nothing stands in: it fails as before
        assert (gone.state, gone.outcome) == ("failed", "http-404")
        busy = row_for(store, site.url + "/busy")  # 429 is "later", never "instead"
        assert (busy.state, busy.outcome) == ("failed", "http-429")
        assert report.complete and report.failures == 2
        assert [(p.state, p.outcome) for p in report.problems
                if p.outcome == RECOVERED] == [("done", RECOVERED)]
        assert read_through_stand_ins(recovered.outcome, recovered.last_status)
        assert not read_through_stand_ins(gone.outcome, gone.last_status)

        # A new crawl: the same way again, each page once more, nothing else.
        site.log.clear()
        again = crawler.run([site.url + "/"])
        assert again.complete
        requests = page_requests(site)
        assert sorted(p for p in requests if p.startswith(("/print", "/read"))) == [
            "/print?id=1", "/print?id=2", "/read?id=1", "/read?id=1&part=2"]
        assert "/menu" not in requests
    finally:
        site.stop()


def test_a_broken_callback_only_means_no_stand_ins(store: Store, source: Source) -> None:
    site = serve()

    def broken(url: str, found: Document | None) -> list[str]:
        raise RuntimeError("plugin exploded")

    try:
        report = Crawler(store, source, fast(retries=1, backoff_base=0.01),
                         handle=handle_links, stand_ins=broken).run([site.url + "/"])
        refused = row_for(store, site.url + "/print?id=1")
        assert (refused.state, refused.outcome) == ("failed", "http-403")
        assert report.complete and "/read?id=1" not in page_requests(site)
    finally:
        site.stop()
