"""The crawl loop: frontier in, documents out, politely.

``Crawler(store, source, settings, handle=callback).run(start_urls)`` runs an asyncio loop on
the calling thread. Fetches run concurrently as tasks; everything that touches the database
(claiming URLs, saving documents, calling the pipeline's callback, queueing links) happens in
the loop's own coroutine between awaits, so one SQLAlchemy session is enough and SQLite is
never written from two threads.

A URL is committed as soon as its fetch completes, together with its document, its frontier
row and whatever the callback wrote: a crawl killed with ``kill -9`` loses only the URLs that
were in flight, and those are fetched again on the next run.

A URL the site refuses for good (a 4xx other than 429) may have stand-ins: the optional
``stand_ins`` callback names them (an eFiction printer view that answers 404: the story's
reading view). They are queued as the refused URL's children, which is recorded as
``recovered`` (state ``done``: not a failure) instead of failed; a page fetched as a stand-in
(directly, or behind an age gate or a redirect) is shown to the callback again, which names
what else it takes (the other chapter pages), queued as children of the refused URL too; the
stand-in's own links are not followed. The frontier's ``discovered_from`` links carry this
across runs and kills.

With the archivist's consent (``adult``), the optional ``before_fetch`` callback may rewrite a
URL about to be fetched (an eFiction story whose rating's consent is known from an earlier
gate: the URL its gate's consent link would lead to). Nothing is fetched for the claimed URL:
it is recorded ``consent-applied`` (state ``done``) and the rewritten URL is queued as its child
at the same depth (or left to its own row, when the crawl has it already), so the stored page
is the one the gate path would have stored and the claimed URL belongs to its story.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fanarchive.document import Document
from fanarchive.errors import UsageError
from fanarchive.sources.web.frontier import MAX_DEPTH_OUTCOME, Entry, Frontier, NewUrl, utcnow
from fanarchive.sources.web.http import (
    DNS,
    PRIVATE,
    RETRYABLE_ERRORS,
    TOO_LARGE,
    Fetcher,
    FetchResult,
    Transport,
)
from fanarchive.sources.web.politeness import (
    HostGivenUp,
    HostSlot,
    Politeness,
    parse_retry_after,
)
from fanarchive.sources.web.report import CrawlReport, PageResult, UrlOutcome
from fanarchive.sources.web.robots import RobotsRules, robots_url
from fanarchive.sources.web.settings import CrawlSettings
from fanarchive.sources.web.urls import (
    Scope,
    absolute_link,
    canonicalize,
    netloc_of,
    trap_reason,
    url_pattern,
    without_params,
)
from fanarchive.store.crawl_models import (
    DONE,
    FAILED,
    FETCHING,
    GATED,
    OFF_SCOPE,
    PENDING,
    ROBOTS_DISALLOWED,
    SKIPPED,
)
from fanarchive.store.models import Source
from fanarchive.store.store import Store

RECOVERED = "recovered"  # outcome of a refused URL read through its stand-ins
CONSENT_APPLIED = "consent-applied"  # outcome of a URL fetched as ``before_fetch`` rewrote it
# Outcomes of the pages between a refused URL and a stand-in fetched for it.
_STAND_IN_PATH = ("gate-passed", "redirected")
_STAND_IN_HOPS = 4

Handler = Callable[[Document], Any]
"""Called with each fetched 2xx page; returns a :class:`PageResult` (or anything with
``links`` and ``page_kind``, such as a ``ParseResult``), or None. It may write to the store's
session but must not commit: the crawler commits the page, its frontier row and the handler's
writes together."""

StandIns = Callable[[str, Document | None], Sequence[str]]
"""``stand_ins(url, None)``: URLs to fetch in place of ``url``, which the site refused with a
4xx (empty: nothing stands in, the URL fails as before). ``stand_ins(url, page)``: what else
``page``, fetched in place of ``url``, takes to stand in for it wholly. Pipeline code: it must
not write to the store."""

BeforeFetch = Callable[[str], str | None]
"""``before_fetch(url)``: the URL to fetch instead of ``url`` (``url`` itself: no change;
None: not yet, ask again shortly, as while the first story of a rating meets its gate).
Asked only when the archivist consents (``adult``); pipeline code, it must not write to the
store."""
DEFER_SECONDS = 0.05  # a URL before_fetch holds back is asked about again after this

RETRY = "retry"  # pseudo-state of a refusal: try the URL again later
OK_OUTCOMES = ("ok", "not-modified")
# Access pages (a gate passed or recorded, a login form): revalidated like content, and a 304
# keeps what the page was (see _Run._access_not_modified).
ACCESS_OUTCOMES = ("gate-passed", "gated", "login")
NO_CONSENT_LINK = "gate page without a consent link"
TRANSIENT_PAGES = frozenset({"error", "maintenance"})  # error pages served with 200
MAX_ROBOTS_REDIRECTS = 5  # RFC 9309
PROCESSED_STATES = (DONE, FETCHING, FAILED, GATED)


@dataclass(frozen=True)
class _Refusal:
    state: str
    outcome: str
    reason: str


@dataclass
class _Visit:
    """What one fetch task found out about a URL; the loop records it."""

    entry: Entry
    final: FetchResult | None = None
    final_url: str = ""
    hops: list[FetchResult] = field(default_factory=list)
    refusal: _Refusal | None = None
    known_target: str | None = None  # the redirect led to a URL this crawl already has
    given_up: bool = False


class Crawler:
    """Crawls one source into the store. ``run`` may be called more than once."""

    def __init__(self, store: Store, source: Source | int, settings: CrawlSettings,
                 handle: Handler | None = None, *, run_id: int | None = None,
                 transport: Transport | None = None,
                 stand_ins: StandIns | None = None,
                 before_fetch: BeforeFetch | None = None) -> None:
        self.store = store
        self.source_id = source if isinstance(source, int) else source.id
        self.settings = settings
        self.handle = handle
        self.stand_ins = stand_ins
        self.before_fetch = before_fetch
        self.run_id = run_id
        self.transport = transport

    def run(self, start_urls: Sequence[str]) -> CrawlReport:
        """Crawl from ``start_urls`` (or resume an unfinished crawl) until done or a budget."""
        try:
            starts = [canonicalize(url) for url in start_urls]
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if not starts:
            raise UsageError("nothing to crawl: no start URL")
        return asyncio.run(_Run(self, starts).execute())


class _Run:
    """State of one ``Crawler.run``: lives inside the asyncio loop."""

    def __init__(self, crawler: Crawler, starts: list[str]) -> None:
        self.crawler = crawler
        self.settings = settings = crawler.settings
        self.store = crawler.store
        self.session = crawler.store.session
        self.starts = starts
        self.scope = Scope.from_start_urls(starts, settings.hosts, settings.path_prefixes)
        self.frontier = Frontier(self.session, crawler.source_id)
        self.report = CrawlReport(source_id=crawler.source_id)
        self.tasks: dict[asyncio.Task[_Visit], Entry] = {}
        self.robots_responses: list[FetchResult] = []
        self.started = time.monotonic()
        self.recovering = False  # some URL of the source was read through stand-ins
        # Created inside the loop: asyncio primitives bind to the running loop.
        self.polite: Politeness
        self.fetcher: Fetcher

    # -- the loop ----------------------------------------------------------------------------

    async def execute(self) -> CrawlReport:
        self.polite = Politeness(self.settings)
        self.fetcher = Fetcher(self.settings, self.crawler.transport)
        self.report.resumed = self.frontier.prepare()
        self.recovering = (self.crawler.stand_ins is not None
                           and self.frontier.any_refused())
        self.report.links_queued += self.frontier.add(
            self._new_url(url, depth=0, chain=0, parent=None) for url in self.starts)
        self.store.commit()
        try:
            await self._loop()
        finally:
            await self._shutdown()
        return self.report

    async def _loop(self) -> None:
        stop: str | None = None
        while True:
            stop = self._budget_spent()
            skip = self._hosts_to_skip()
            full = stop is not None or self._start_tasks(skip)
            self._save_robots()
            self.store.commit()
            if not self.tasks:
                if stop is not None:
                    break
                wait = self._idle_wait()
                if wait is None:
                    break
                self._release()
                await asyncio.sleep(wait)
                continue
            wake = None if full else self._wake_after(skip)
            self._release()
            done, _ = await asyncio.wait(self.tasks, timeout=wake,
                                         return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                entry = self.tasks.pop(task)
                try:
                    visit = task.result()
                except Exception as exc:  # a bug in a fetch task must not end the crawl
                    self._finish(entry, FAILED, "internal-error", f"{type(exc).__name__}: {exc}")
                    continue
                self._complete(visit)
        pending = self.frontier.next_due() is not None
        if not pending:
            self.report.stopped = "finished"
        elif stop is not None:
            self.report.stopped = stop
        else:
            self.report.stopped = "hosts-given-up"

    def _release(self) -> None:
        """End the session's transaction before waiting on the network or a timer.

        The loop's reads (what is due next) open one, and on SQLite it holds the write lock
        (transactions begin IMMEDIATE): held across a slow response it would stall every other
        writer of the database (a second sync, an import) for as long. Everything the loop
        wrote is committed already (with the store's queue); this only ends the reads."""
        self.session.commit()

    async def _shutdown(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        try:
            if self.tasks:
                # Interrupted (Ctrl-C, cancellation): these were never answered.
                self.frontier.release(entry.id for entry in self.tasks.values())
                self.tasks.clear()
            self._save_robots()
            self.store.commit()
            self.report.frontier = self.frontier.counts()
        except Exception:
            self.store.rollback()
            raise
        finally:
            await self.fetcher.aclose()
            self.report.seconds = time.monotonic() - self.started
            self.report.retry_after_wait = sum(
                slot.stats.retry_after_wait for slot in self.polite.slots.values())
            self.report.notes.extend(self.polite.notes())

    def _budget_spent(self) -> str | None:
        s, r = self.settings, self.report
        if s.max_pages and r.pages + len(self.tasks) >= s.max_pages:
            return "max-pages"
        if s.max_total_bytes and r.bytes_in >= s.max_total_bytes:
            return "max-total-bytes"
        return None

    def _hosts_to_skip(self) -> list[str]:
        busy = Counter(entry.host for entry in self.tasks.values())
        skip = {host for host, count in busy.items() if count >= self.settings.concurrency}
        skip |= {key for key, slot in self.polite.slots.items() if slot.given_up or slot.paused}
        return sorted(skip)

    def _start_tasks(self, skip: list[str]) -> bool:
        """Start fetches for due URLs; True when every free place was filled."""
        busy = Counter(entry.host for entry in self.tasks.values())
        capacity = {host: self.settings.concurrency - count for host, count in busy.items()}
        room = self.settings.concurrency * max(1, len(self.scope.netlocs)) - len(self.tasks)
        if self.settings.max_pages:
            room = min(room, self.settings.max_pages - self.report.pages - len(self.tasks))
        claimed = self.frontier.claim(capacity, self.settings.concurrency, room, skip)
        rewritten = 0
        for entry in claimed:
            refusal = self._judge(entry.url, entry.depth, entry.chain)
            if refusal is not None:  # settings may have changed since it was queued
                self._finish(entry, refusal.state, refusal.outcome, refusal.reason)
                continue
            if self._consent_applied(entry):
                rewritten += 1  # nothing fetched: its rewritten URL (or itself) is due soon
                continue
            self.tasks[asyncio.create_task(self._visit(entry))] = entry
        return not rewritten and len(claimed) >= room

    def _consent_applied(self, entry: Entry) -> bool:
        """``before_fetch`` rewrites ``entry``'s URL: queue the rewritten one in its place
        (True), or hold ``entry`` back a moment (True); False to fetch ``entry`` as it is."""
        hook = self.crawler.before_fetch
        if hook is None or not self.settings.adult or entry.content_sha256:
            # A page stored before is asked for again as it was, with its validators: its
            # answer may be a 304, which the pipeline never sees (nothing to learn from).
            return False
        href: str | None
        try:
            href = hook(entry.url)
        except Exception:  # pipeline code: a broken callback changes nothing
            href = entry.url
        if href in (None, entry.url) and entry.outcome == CONSENT_APPLIED:
            # Rewritten by an earlier run, and the callback has not learnt enough yet in this
            # one (a sync that requests no gate): the same URL as then.
            href = self._earlier_rewrite(entry) or href
        if href is None:
            self.frontier.finish(entry.id, state=PENDING,
                                 next_attempt_at=utcnow() + timedelta(seconds=DEFER_SECONDS))
            return True
        target = absolute_link(entry.url, href) if href and href != entry.url else None
        if target is None or target == entry.url \
                or self._judge(target, entry.depth, entry.chain) is not None:
            return False
        if self.frontier.lookup(target) is None:
            self.report.links_queued += self.frontier.add(
                [self._new_url(target, entry.depth, entry.chain, entry.id)])
        self._finish(entry, DONE, CONSENT_APPLIED, f"fetched as {target}: the consent its "
                     "rating needs is known from an earlier gate", attempts=0,
                     next_attempt_at=None)
        return True

    def _earlier_rewrite(self, entry: Entry) -> str | None:
        """The child row that is ``entry``'s URL plus consent parameters, if any."""
        names = self.settings.consent_params
        for child in self.frontier.children(entry.id):
            if child.url != entry.url and without_params(child.url, names) == entry.url:
                return child.url
        return None

    def _idle_wait(self) -> float | None:
        """Seconds to sleep before URLs become due; None when the crawl cannot go on."""
        given_up = [key for key, slot in self.polite.slots.items() if slot.given_up]
        paused = [slot for slot in self.polite.slots.values()
                  if slot.paused and not slot.given_up]
        due = self.frontier.next_due([*given_up, *(slot.key for slot in paused)])
        if due is not None:
            return max(0.0, (due - utcnow()).total_seconds())
        if paused and self.frontier.next_due(given_up) is not None:
            return min(slot.pause_left() for slot in paused)
        return None

    def _wake_after(self, skip: list[str]) -> float | None:
        """While fetches run, wake up for URLs that become due (retries) if there is room."""
        due = self.frontier.next_due(skip)
        if due is None:
            return None
        return min(1.0, max(0.005, (due - utcnow()).total_seconds()))

    # -- one URL, on the network -------------------------------------------------------------

    async def _visit(self, entry: Entry) -> _Visit:
        visit = _Visit(entry, final_url=entry.url)
        url = entry.url
        headers = _conditional_headers(entry, self.settings.adult)
        seen = {url}
        try:
            for _ in range(self.settings.max_redirects + 1):
                slot = self.polite.slot(netloc_of(url))
                visit.refusal = await self._refusal_before_fetch(slot, url)
                if visit.refusal is not None:
                    return visit
                result = await self._request(slot, url, headers)
                visit.final, visit.final_url = result, url
                target_href = result.location
                if target_href is None:
                    return visit
                visit.hops.append(result)
                visit.final = None
                target = absolute_link(url, target_href)
                visit.refusal = self._redirect_refusal(url, target_href, target, seen)
                if visit.refusal is not None or target is None:
                    return visit
                known = self.frontier.lookup(target)
                self._release()  # the next request may take a while: hold no transaction
                if known is not None and known.state in PROCESSED_STATES:
                    # Fetched (or being fetched) in this crawl already: never twice.
                    visit.known_target = target
                    return visit
                seen.add(target)
                url = target
                headers = (_conditional_headers(known, self.settings.adult)
                           if known is not None else {})
        except HostGivenUp:
            visit.given_up = True
            return visit
        visit.refusal = _Refusal(FAILED, "too-many-redirects",
                                 f"more than {self.settings.max_redirects} redirects")
        return visit

    def _redirect_refusal(self, url: str, href: str, target: str | None,
                          seen: set[str]) -> _Refusal | None:
        if target is None:
            return _Refusal(FAILED, "bad-redirect", f"{url} redirects to unusable {href!r}")
        if target in seen:
            return _Refusal(FAILED, "redirect-loop", f"redirect loop back to {target}")
        judged = self._judge(target, 0, 0)
        if judged is not None and judged.outcome != MAX_DEPTH_OUTCOME:
            return _Refusal(judged.state, judged.outcome, f"redirects to {target}: {judged.reason}")
        return None

    async def _refusal_before_fetch(self, slot: HostSlot, url: str) -> _Refusal | None:
        refused = await self.fetcher.check_host(url)
        if refused is not None:
            if refused.startswith(DNS):
                return _Refusal(RETRY, DNS, refused)
            return _Refusal(OFF_SCOPE, PRIVATE, refused)
        rules = await self._robots(slot, url)
        if not rules.allowed(url):
            return _Refusal(ROBOTS_DISALLOWED, "robots-disallowed",
                            f"disallowed by {rules.reason}")
        return None

    async def _request(self, slot: HostSlot, url: str,
                       headers: dict[str, str] | None = None) -> FetchResult:
        async with slot.turn():
            result = await self.fetcher.fetch(url, headers)
        self.report.requests += 1
        self.report.bytes_in += result.bytes_read
        return result

    async def _robots(self, slot: HostSlot, url: str) -> RobotsRules:
        """The host's robots.txt rules, fetched before anything else on that host."""
        if slot.robots is not None:
            return slot.robots
        async with slot.robots_lock:
            if slot.robots is None:
                slot.apply_robots(await self._fetch_robots(slot, robots_url(url)))
        assert slot.robots is not None
        return slot.robots

    async def _fetch_robots(self, slot: HostSlot, url: str) -> RobotsRules:
        agent = self.settings.agent_token
        attempt = redirects = 0
        while True:
            result = await self._request(slot, url)
            self.robots_responses.append(result)
            target = absolute_link(url, result.location) if result.location else None
            if target is not None and netloc_of(target) == slot.key \
                    and redirects < MAX_ROBOTS_REDIRECTS:
                url, redirects = target, redirects + 1
                continue
            transient = result.error in RETRYABLE_ERRORS or (
                result.status is not None and (result.status == 429 or result.status >= 500))
            if not transient or attempt >= self.settings.retries:
                break
            attempt += 1
            self.report.retries += 1
            advised = parse_retry_after(result.headers.get("retry-after"))
            if result.status == 429 or advised is not None:
                slot.wait_requested(advised if advised is not None else slot.backoff(attempt))
            else:
                slot.record_failure()
                await asyncio.sleep(slot.backoff(attempt))
        if result.status is not None and result.status < 500:
            slot.record_success()
        return RobotsRules.from_response(agent, result.status, result.content,
                                         result.error and f"{result.error}: {result.detail}")

    # -- one URL, recorded -------------------------------------------------------------------

    def _complete(self, visit: _Visit) -> None:
        entry = visit.entry
        if visit.given_up:
            self.frontier.release([entry.id])
            return
        for hop in visit.hops:
            self._save(hop, hop.url, page_kind="redirect")
        if visit.refusal is not None:
            refusal = visit.refusal
            if refusal.state == RETRY:
                self._retry(entry, refusal.outcome, refusal.reason,
                            self.polite.slot(entry.host).backoff(entry.attempts + 1))
            else:
                self._finish(entry, refusal.state, refusal.outcome, refusal.reason,
                             visit.hops[0].status if visit.hops else None)
            return
        if visit.known_target is not None:
            self._finish(entry, DONE, "redirected", f"redirects to {visit.known_target}",
                         visit.hops[0].status, attempts=0)
            return
        result = visit.final
        assert result is not None
        slot = self.polite.slot(netloc_of(visit.final_url))
        if result.error is not None:
            self._network_failure(entry, slot, result)
            return
        status = result.status or 0
        if status == 429 or status >= 500:
            self._server_failure(entry, slot, result, status)
            return
        slot.record_success()
        self.report.pages += 1
        subject = self._subject(visit)
        if status == 304:
            self.report.not_modified += 1
            if subject.outcome in ACCESS_OUTCOMES:
                self._access_not_modified(subject)
            else:
                self._finish(subject, DONE, "not-modified", None, 304, attempts=0,
                             fetched_at=utcnow(), next_attempt_at=None)
        elif 200 <= status < 300:
            self._page(entry, subject, result, visit.final_url)
        else:
            self._save(result, visit.final_url)
            if not self._recover(subject, visit.final_url, status, result):
                self._finish(subject, FAILED, f"http-{status}",
                             f"{visit.final_url} answered {status}", status, attempts=0,
                             fetched_at=utcnow(), content_sha256=_sha(result.content))
        if subject.id != entry.id:
            self._finish(entry, DONE, "redirected", f"redirects to {visit.final_url}",
                         visit.hops[0].status if visit.hops else None, attempts=0)

    def _access_not_modified(self, subject: Entry) -> None:
        """A gate or login page answered 304: it is still the page it was, recorded as such.

        A gate passed before stays passed (its consent URL is in the frontier, queued again
        with the rest); without consent now it is recorded as gated. A 304 on a gate that was
        recorded without consent is only asked for when there still is none (see
        ``_conditional_headers``).
        """
        seen = {"fetched_at": utcnow(), "attempts": 0, "next_attempt_at": None}
        if subject.outcome == "login":
            self._finish(subject, GATED, "login", subject.reason or "login required", 304,
                         **seen)
        elif subject.outcome == "gate-passed" and self.settings.adult:
            self._finish(subject, DONE, "gate-passed", None, 304, **seen)
        else:
            self._finish(subject, GATED, "gated", subject.reason if subject.outcome == "gated"
                         else "age or content warning; set adult = true (--adult) to consent",
                         304, **seen)

    def _subject(self, visit: _Visit) -> Entry:
        """The frontier row a response belongs to: the redirect target's own row, if any."""
        entry = visit.entry
        if visit.final_url == entry.url:
            return entry
        return self.frontier.ensure(NewUrl(visit.final_url, netloc_of(visit.final_url),
                                           entry.depth, entry.chain, entry.id, state=FETCHING))

    def _network_failure(self, entry: Entry, slot: HostSlot, result: FetchResult) -> None:
        if result.error == TOO_LARGE:
            slot.record_success()  # the server is fine; the page is just too big for us
            self._finish(entry, FAILED, TOO_LARGE, result.detail, result.status)
        elif result.error in RETRYABLE_ERRORS:
            slot.record_failure()
            self._retry(entry, result.error or "error", result.detail,
                        slot.backoff(entry.attempts + 1))
        else:
            self._finish(entry, FAILED, result.error or "error", result.detail)

    def _server_failure(self, entry: Entry, slot: HostSlot, result: FetchResult,
                        status: int) -> None:
        advised = parse_retry_after(result.headers.get("retry-after"))
        if status in (429, 503) and advised is not None:
            # The server named its wait: honour it for the whole host, not just this URL.
            wait = slot.wait_requested(advised)
        elif status == 429:
            wait = slot.wait_requested(slot.backoff(entry.attempts + 1))
        else:
            wait = slot.backoff(entry.attempts + 1)
        if status >= 500:
            slot.record_failure()
        self._save(result, result.url)  # every answer is kept; identical ones cost nothing
        self._retry(entry, f"http-{status}", f"answered {status}", wait, status)

    def _page(self, entry: Entry, subject: Entry, result: FetchResult, url: str) -> None:
        doc = Document(content=result.content, locator=url, url=url,
                       media_type=result.media_type, declared_charset=result.charset,
                       http_status=result.status, http_headers=dict(result.headers),
                       fetched_at=utcnow())
        try:
            with self.session.begin_nested():
                verdict = self._ask(doc)
        except Exception as exc:  # pipeline code: record the page, never crash the crawl
            self._save(result, url, fetched_at=doc.fetched_at)
            self._finish(subject, FAILED, "handler-error", f"{type(exc).__name__}: {exc}",
                         result.status, fetched_at=doc.fetched_at, content_sha256=doc.sha256)
            return
        kind = verdict.page_kind
        self._save(result, url, page_kind=kind, parser=verdict.parser,
                   fetched_at=doc.fetched_at)
        seen = {"fetched_at": doc.fetched_at, "content_sha256": doc.sha256}
        validators = {"etag": result.headers.get("etag"),
                      "last_modified": (result.headers.get("last-modified") or "")[:100] or None}
        status = result.status
        if kind in TRANSIENT_PAGES:
            slot = self.polite.slot(netloc_of(url))
            slot.record_failure()
            self._retry(entry, kind, verdict.reason or f"{kind} page served with {status}",
                        slot.backoff(entry.attempts + 1), status)
            if subject.id != entry.id:
                self.frontier.finish(subject.id, state=PENDING)
            return
        if kind == "challenge":
            self._finish(subject, FAILED, "challenge",
                         verdict.reason or "bot challenge page (e.g. Cloudflare)", status, **seen)
        elif kind == "login":
            self._finish(subject, GATED, "login", verdict.reason or "login required", status,
                         attempts=0, next_attempt_at=None, **validators, **seen)
        elif kind == "gate":
            self._gate(subject, verdict, url, status, {**seen, **validators})
        else:
            if not self._stand_in_links(subject, doc):
                self.report.links_queued += self._enqueue(subject, url, verdict.links)
            self._finish(subject, DONE, "ok", None, status, attempts=0, next_attempt_at=None,
                         **validators, **seen)

    def _gate(self, subject: Entry, verdict: PageResult, url: str, status: int | None,
              seen: dict[str, Any]) -> None:
        if not self.settings.adult:
            self._finish(subject, GATED, "gated", verdict.reason or
                         "age or content warning; set adult = true (--adult) to consent",
                         status, attempts=0, next_attempt_at=None, **seen)
            return
        links = [verdict.consent_url] if verdict.consent_url else list(verdict.links)
        if not links:
            self._finish(subject, GATED, "gated", NO_CONSENT_LINK, status,
                         attempts=0, next_attempt_at=None, **seen)
            return
        # Consenting is the same page behind the gate: it costs no depth.
        self.report.links_queued += self._enqueue(subject, url, links, same_depth=True,
                                                  consent=True)
        self._finish(subject, DONE, "gate-passed", None, status, attempts=0,
                     next_attempt_at=None, **seen)

    # -- stand-ins for refused URLs ----------------------------------------------------------

    def _recover(self, subject: Entry, url: str, status: int, result: FetchResult) -> bool:
        """A URL refused for good (a 4xx but 429): queue its stand-ins; False when none."""
        if not 400 <= status < 500 or status == 429:
            return False
        wanted = self._stand_in_urls(url, None)
        if not wanted:
            return False
        # Same depth: a stand-in is the same content by another way, like a gate's consent.
        self.report.links_queued += self._enqueue(subject, url, wanted, same_depth=True)
        self.frontier.adopt(wanted, subject.id)
        self.recovering = True
        self._finish(subject, DONE, RECOVERED,
                     f"{url} answered {status}; read through {wanted[0]} instead", status,
                     attempts=0, next_attempt_at=None, fetched_at=utcnow(),
                     content_sha256=_sha(result.content))
        return True

    def _stand_in_links(self, subject: Entry, doc: Document) -> bool:
        """A page fetched in place of a refused URL: queue what else it takes to stand in, and
        nothing else (True). It replaces one page: its menus and other links would widen the
        crawl where the refused page would not have (an eFiction printer view links nowhere).
        """
        refused = self._stands_in_for(subject)
        if refused is None:
            return False
        wanted = self._stand_in_urls(refused.url, doc)
        if wanted:
            self.report.links_queued += self._enqueue(refused, doc.url or refused.url, wanted)
            self.frontier.adopt(wanted, refused.id)
        return True

    def _stands_in_for(self, entry: Entry) -> Entry | None:
        """The refused URL ``entry`` was fetched in place of (through gates and redirects)."""
        if not self.recovering:
            return None
        parent_id = entry.discovered_from
        for _ in range(_STAND_IN_HOPS):
            parent = self.frontier.get(parent_id) if parent_id is not None else None
            if parent is None:
                return None
            if read_through_stand_ins(parent.outcome, parent.last_status):
                return parent
            if parent.outcome not in _STAND_IN_PATH:
                return None
            parent_id = parent.discovered_from
        return None

    def _stand_in_urls(self, url: str, page: Document | None) -> list[str]:
        """The callback's stand-ins as the frontier keeps them: canonical, in scope."""
        stand_ins = self.crawler.stand_ins
        if stand_ins is None:
            return []
        try:
            found = list(stand_ins(url, page))
        except Exception:  # pipeline code: a broken callback means no stand-ins, no crash
            return []
        strip = () if self.settings.adult else self.settings.consent_params
        wanted: dict[str, None] = {}
        for href in found:
            target = absolute_link(url, href)
            if target is not None and strip:
                target = without_params(target, strip)
            if target is not None and target != url and self.scope.reason_outside(target) is None:
                wanted.setdefault(target, None)
        return list(wanted)

    def _ask(self, doc: Document) -> PageResult:
        handle = self.crawler.handle
        if handle is None:
            return PageResult()
        answer = handle(doc)
        if answer is None or isinstance(answer, PageResult):
            return answer or PageResult()
        return PageResult(
            links=list(getattr(answer, "links", ()) or ()),
            page_kind=getattr(answer, "page_kind", None) or "story",
            consent_url=getattr(answer, "consent_url", None),
            parser=getattr(answer, "parser", None),
            reason=getattr(answer, "reason", None),
        )

    # -- queueing and bookkeeping ------------------------------------------------------------

    def _enqueue(self, parent: Entry, base: str, links: Sequence[str],
                 same_depth: bool = False, consent: bool = False) -> int:
        """Queue a page's links; returns how many new URLs were queued.

        Links along the page's own URL pattern (next page, next month) cost no depth. Their
        ``chain`` counts consecutive such pages that brought nothing new: a listing that keeps
        finding stories never trips ``max_chain``, an endless calendar soon does.

        Without ``adult``, a link's consent parameters (``consent_params``: a listing's link
        straight past a story's gate) are dropped, so the gate is met and recorded. ``consent``
        marks a gate's own consent link, queued only when the archivist consents.
        """
        parent_pattern = url_pattern(base)
        strip = () if consent or self.settings.adult else self.settings.consent_params
        others: list[str] = []
        paginated: list[str] = []
        for href in links:
            url = absolute_link(base, href)
            if url is not None and strip:
                url = without_params(url, strip)
            if url is not None and url != parent.url:
                (paginated if url_pattern(url) == parent_pattern else others).append(url)
        depth = parent.depth if same_depth else parent.depth + 1
        novel = self.frontier.add(self._new_url(url, depth, 0, parent.id) for url in others)
        chain = 0 if novel else parent.chain + 1
        return novel + self.frontier.add(
            self._new_url(url, parent.depth, chain, parent.id) for url in paginated)

    def _new_url(self, url: str, depth: int, chain: int, parent: int | None) -> NewUrl:
        refusal = self._judge(url, depth, chain)
        if refusal is None:
            return NewUrl(url, netloc_of(url), depth, chain, parent)
        return NewUrl(url, netloc_of(url), depth, chain, parent, refusal.state, refusal.outcome,
                      refusal.reason)

    def _judge(self, url: str, depth: int, chain: int) -> _Refusal | None:
        """Why a URL must not be fetched (scope, trap, depth), or None."""
        s = self.settings
        outside = self.scope.reason_outside(url)
        if outside is not None:
            return _Refusal(OFF_SCOPE, "off-scope", f"outside the crawl scope ({outside})")
        trap = trap_reason(url, s.max_url_length, s.max_path_repeats, s.max_path_segments)
        if trap is not None:
            return _Refusal(SKIPPED, "trap", trap)
        if s.max_chain and chain > s.max_chain:
            return _Refusal(SKIPPED, "trap", f"{chain - 1} pages in a row along one paginated "
                            "URL pattern found nothing new (endless calendar or listing)")
        if s.max_depth and depth > s.max_depth:
            return _Refusal(SKIPPED, MAX_DEPTH_OUTCOME, f"depth {depth} > max_depth {s.max_depth}")
        return None

    def _retry(self, entry: Entry, outcome: str, reason: str, wait: float,
               status: int | None = None) -> None:
        attempts = entry.attempts + 1
        if attempts > self.settings.retries:
            self._finish(entry, FAILED, outcome, f"{reason}; gave up after {attempts} attempts",
                         status, attempts=attempts)
            return
        self.report.retries += 1
        self.frontier.finish(entry.id, state=PENDING, attempts=attempts, outcome=outcome,
                             reason=reason, last_status=status,
                             next_attempt_at=utcnow() + timedelta(seconds=wait))

    def _finish(self, entry: Entry, state: str, outcome: str, reason: str | None,
                status: int | None = None, **values: Any) -> None:
        self.frontier.finish(entry.id, state=state, outcome=outcome, reason=reason,
                             last_status=status, **values)
        if state == FAILED:
            self.report.failures += 1
        self.report.record(UrlOutcome(entry.url, state, outcome, status, reason))

    def _save(self, result: FetchResult, url: str, page_kind: str | None = None,
              parser: str | None = None, fetched_at: Any = None) -> None:
        doc = Document(content=result.content, locator=url, url=url,
                       media_type=result.media_type, declared_charset=result.charset,
                       http_status=result.status, http_headers=dict(result.headers),
                       fetched_at=fetched_at or utcnow())
        if self.store.save_document(doc, self.crawler.source_id, self.crawler.run_id,
                                    parser=parser, page_kind=page_kind):
            self.report.documents_new += 1

    def _save_robots(self) -> None:
        responses, self.robots_responses = self.robots_responses, []
        for result in responses:
            if result.status is not None:
                self._save(result, result.url, page_kind="robots")


def read_through_stand_ins(outcome: str | None, last_status: int | None) -> bool:
    """Whether a frontier row is a URL the site refused that was read through its stand-ins:
    recorded ``recovered``, or set aside or queued again since by a change policy (which
    keeps the status) and not answered otherwise yet. While it waits for its new answer, its
    stand-ins (queued again with it) are still taken for stand-ins."""
    if outcome == RECOVERED:
        return True
    return (last_status is not None and 400 <= last_status < 500 and last_status != 429
            and not (outcome or "").startswith("http-"))


def _conditional_headers(entry: Entry, adult: bool = False) -> dict[str, str]:
    """Validators from the last good fetch, so an unchanged page costs one 304.

    Gate and login pages are revalidated too, except a gate recorded without consent when the
    archivist consents now: its consent link was never queued, so it must be read again.
    """
    if not entry.content_sha256 or entry.outcome not in (*OK_OUTCOMES, *ACCESS_OUTCOMES):
        return {}
    if entry.outcome == "gated" and adult and entry.reason != NO_CONSENT_LINK:
        return {}
    headers = {}
    if entry.etag:
        headers["If-None-Match"] = entry.etag
    if entry.last_modified:
        headers["If-Modified-Since"] = entry.last_modified
    return headers


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
