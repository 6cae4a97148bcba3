"""kill -9 in the middle of a crawl, then resume: nothing stored is fetched twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from fanarchive.sources.web import Crawler
from fanarchive.store.crawl_models import CrawlUrl
from fanarchive.store.models import DocumentRow
from fanarchive.store.store import Store
from tests.sites.wire import Request, Response
from tests.web.crawlkit import fast, handle_links, page, page_requests, serve_pages

CRAWL = """
import html, re, sys
from fanarchive.sources.web import Crawler, CrawlSettings, PageResult
from fanarchive.store.store import Store

HREF = re.compile(r'href="([^"]+)"')

def handle(doc):
    return PageResult(links=[html.unescape(h) for h in HREF.findall(doc.content.decode())])

store = Store.open(sys.argv[1])
source = store.ensure_source("resume", sys.argv[2])
store.commit()
settings = CrawlSettings(delay=0, jitter=0, allow_private=True, concurrency=2,
                         backoff_base=0.01)
report = Crawler(store, source, settings, handle=handle).run([sys.argv[2] + "/"])
print(report.stopped, report.resumed, report.requests)
"""

CONCURRENCY = 2


def _tree_site() -> dict:
    """81 pages: an index, 10 sections, 7 chapters each; every answer takes 15 ms."""
    def slow(html: str):  # noqa: ANN202 - a route
        def route(request: Request) -> Response:
            time.sleep(0.015)
            return Response.html(html)
        return route

    routes = {"/": slow(page(*[f"/s{i}" for i in range(10)]))}
    for i in range(10):
        chapters = [f"/s{i}/c{j}" for j in range(7)]
        routes[f"/s{i}"] = slow(page(*chapters))
        for j, chapter in enumerate(chapters):
            routes[chapter] = slow(page(f"/s{i}", body=f"section {i} chapter {j}"))
    return routes


def _documents(url: str) -> set[tuple[str, str]]:
    store = Store.open(url)
    try:
        return set(store.session.execute(select(DocumentRow.locator, DocumentRow.sha256)).all())
    finally:
        store.close()


def test_kill_9_mid_crawl_then_resume(tmp_path: Path) -> None:
    routes = _tree_site()
    site = serve_pages(routes)
    db = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    Store.open(db).close()  # migrate up front, so the subprocesses start crawling at once
    try:
        command = [sys.executable, "-c", CRAWL, db, site.url]
        victim = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(page_requests(site)) < 25:
            assert victim.poll() is None, victim.communicate()
            assert time.monotonic() < deadline, "the crawl never got going"
            time.sleep(0.005)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        before_kill = len(page_requests(site))
        assert before_kill < len(routes)  # really killed mid-crawl

        resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stdout.split()[:2] == ["finished", "True"]

        counts = Counter(page_requests(site))
        assert set(counts) == set(routes)  # every page, once the crawl resumed
        twice = [path for path, n in counts.items() if n > 1]
        assert all(n <= 2 for n in counts.values())
        assert len(twice) <= CONCURRENCY, twice  # only what was in flight at the kill
        assert site.log.count("/robots.txt") == 2  # once per process

        store = Store.open(db)
        try:
            assert store.session.scalar(select(func.count()).select_from(CrawlUrl)) == \
                store.session.scalar(select(func.count(func.distinct(CrawlUrl.url_hash))))
            states = Counter(store.session.scalars(select(CrawlUrl.state)))
            assert states == {"done": len(routes)}
            locators = list(store.session.scalars(select(DocumentRow.locator)))
            assert len(locators) == len(set(locators)) == len(routes) + 1  # + robots.txt
        finally:
            store.close()

        # The same database as an uninterrupted crawl of the same site.
        clean = f"sqlite:///{tmp_path / 'clean.sqlite3'}"
        store = Store.open(clean)
        try:
            source = store.ensure_source("resume", site.url)
            assert Crawler(store, source, fast(), handle=handle_links).run(
                [site.url + "/"]).complete
        finally:
            store.close()
        assert _documents(db) == _documents(clean)
    finally:
        site.stop()
