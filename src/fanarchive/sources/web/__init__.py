"""Polite, resumable crawling of live archives: the HTTP source.

    settings = CrawlSettings.from_config(config, source.settings.get("crawl"), cli_flags)
    report = Crawler(store, source, settings, handle=on_page, run_id=run.id).run([start_url])

``on_page(document)`` gets every fetched 2xx page and returns a :class:`PageResult` (or a
``ParseResult``) naming the links to follow and the page kind; the crawler keeps links in
scope, records gates, login, challenge and error pages, and commits each page with its
frontier row. Modules, one concept each:

* ``settings`` - :class:`CrawlSettings` from ``[crawl]`` + per-source overrides + CLI flags
* ``urls`` - canonicalization, scope, trap detection
* ``robots`` - robots.txt rules (protego, RFC 9309)
* ``politeness`` - per-host slots: concurrency, delay, Retry-After, backoff, circuit breaker
* ``http`` - the only httpx user: one request, size cap, timeouts, no automatic redirects
* ``frontier`` - the database-backed queue and fetch log (``store/crawl_models.py``)
* ``crawler`` - the loop tying them together
"""

from __future__ import annotations

from fanarchive.sources.web.crawler import (
    CONSENT_APPLIED,
    RECOVERED,
    BeforeFetch,
    Crawler,
    Handler,
    StandIns,
    read_through_stand_ins,
)
from fanarchive.sources.web.frontier import Frontier
from fanarchive.sources.web.report import CrawlReport, PageResult, UrlOutcome
from fanarchive.sources.web.settings import CrawlSettings
from fanarchive.sources.web.urls import Scope, absolute_link, canonicalize

__all__ = [
    "CONSENT_APPLIED",
    "RECOVERED",
    "BeforeFetch",
    "CrawlReport",
    "CrawlSettings",
    "Crawler",
    "Frontier",
    "Handler",
    "PageResult",
    "Scope",
    "StandIns",
    "UrlOutcome",
    "absolute_link",
    "canonicalize",
    "read_through_stand_ins",
]
