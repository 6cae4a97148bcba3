"""Change detection for syncs of web sources: request again only what may have changed.

A real eFiction archive sends no ETag or Last-Modified, and editing a chapter leaves the story's
"Updated" date alone, so neither conditional GET nor the listing's date alone proves a story
unchanged. A sync of a web source therefore works on the crawl frontier before and during the
crawl (the crawler itself is untouched):

Story pages (the reading view, its age gate, the printer view: "body" pages) of stored stories
are *parked* (frontier state ``skipped``, outcome ``unchanged``) when a new crawl starts, and
queued again only when something says they are worth a request:

* ``changed``: an index page shows another Updated date, chapter count, word count or
  completion than the stored revision (fetched without validators: the site said so);
* ``restore``: the story had been tombstoned and is listed again;
* ``revalidate``: the story's text pages carry ETag/Last-Modified: a conditional GET costs a
  304 and catches even silent edits;
* ``deep``: tonight's deep re-check share (below), or ``fanarchive sync --deep``;
* ``linked``: a page links to the story but no index page described it.

Stories an index page vouches for count as seen (never tombstoned); stored stories that no page
lists any more vanish.

Index pages are many (every story shows up under its title, categories, characters, author...)
and after a full walk most are *redundant*: the smallest family of pages of one URL shape that
lists every story (eFiction's author pages, or browse-by-title with all its ``offset`` pages) is
kept, plus any page whose description of a story adds something (a series page's part number),
plus the start page and the menus it links to (the author list: where new authors show up); the
others are parked too (outcome ``redundant``). New pages linked from kept ones are crawled as
usual. Parked listings are walked again when a stored story is missing from the kept pages
(before anything is tombstoned), on ``--deep``, and at least every ``index_recheck_days``
(default 7), which also finds what only they would reveal.

Deep re-check: ``deep_recheck_days = N`` (per source, or ``[fanarchive.sync]``; default 30,
0 turns it off) re-reads every story's text at least every N days, spread evenly: a story's place
on a circle comes from the sha256 of its identity, and the night of date ``d`` covers the arc
``[d/N, (d+1)/N)`` (``d`` the date's ordinal), so each night re-reads 1/N of the archive and N
consecutive nights cover all of it. ``deep_recheck_share = s`` sets the share directly
(N = 1/s). A story last fetched more than N days ago (nights missed) is due as well.

An interrupted crawl (kill -9) resumes from the frontier: the importer replays the pages the
unfinished crawl already fetched from their stored copies, through :meth:`ChangePolicy.observe`
as well, so decisions come out as in an uninterrupted run. Pages answered 304 are replayed from
their stored copy the same way.

A plain ``fanarchive import URL`` run again on a source whose crawl has finished uses the same
policy with ``full_scan=False`` (see :meth:`ChangePolicy.for_rerun`): story pages are parked and
fetched only when an index page says the story changed; every index page is walked (a one-off
import keeps no list of redundant ones); nothing is tombstoned and an unreachable start page is
an item failure, not a failed run. A first import crawls as before, with no policy.

A printer view that failed and was read through its stand-ins (the reading view and chapter
pages, frontier outcome ``recovered``) belongs to its story like the pages it led to: it is
parked and queued again with them.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import and_, exists, func, select, update

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import FanarchiveError
from fanarchive.normalize.fields import parse_date, parse_status
from fanarchive.parsed import ParsedStory, ParseResult
from fanarchive.sources.web import (
    CONSENT_APPLIED,
    RECOVERED,
    CrawlReport,
    absolute_link,
    canonicalize,
    read_through_stand_ins,
)
from fanarchive.store.crawl_models import (
    DONE,
    FAILED,
    FETCHING,
    PENDING,
    REQUEUED_STATES,
    SKIPPED,
    CrawlUrl,
)
from fanarchive.store.hashing import sha256_text
from fanarchive.store.identity_models import StoryAlias
from fanarchive.store.models import (
    Blob,
    DocumentRow,
    Revision,
    Run,
    StoryRow,
    StorySource,
    table_of,
)
from fanarchive.store.store import Store

PARKED = "unchanged"  # frontier outcome of a parked story page (state "skipped")
REDUNDANT = "redundant"  # ... of a parked index page
PARKED_REASON = "not requested: nothing said the story changed since the last sync"
REDUNDANT_REASON = "not requested: the stories it lists are all on other index pages"
BODY_KINDS = ("story", "gate")
# Outcomes of a page worth parking (a printer view read through its stand-ins included).
# A story URL fetched with its rating's consent added (``consent-applied``: no request of its
# own) is the story's page like the gate it stands for.
PARKABLE = ("ok", "not-modified", "gate-passed", RECOVERED, CONSENT_APPLIED)
DEFAULT_DEEP_RECHECK_DAYS = 30.0
DEFAULT_INDEX_RECHECK_DAYS = 7.0
MAX_PASSES = 6  # crawler passes per sync: 304 replays, linked or missing stories need more
_CHUNK = 500

# Index-page labels that move when a story's text does (lower case, no colon).
FINGERPRINT_LABELS = {
    "updated": "updated", "last updated": "updated", "date updated": "updated",
    "chapters": "chapters", "parts": "chapters",
    "word count": "words", "words": "words", "wordcount": "words",
    "completed": "completed", "complete": "completed", "status": "completed",
}


class SourceUnavailable(FanarchiveError):
    """The source's start page could not be reached: the run fails, the next one retries."""


# -- the deep re-check -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeepCheck:
    """Which stories get their text re-read tonight although nothing says they changed."""

    share: float  # of the archive per night; 0 turns the deep re-check off
    today: date
    force: bool = False  # every story, tonight (``fanarchive sync --deep``)
    index_recheck_days: float = DEFAULT_INDEX_RECHECK_DAYS

    @classmethod
    def from_settings(cls, config: Config, settings: Mapping[str, Any],
                      today: date | None = None, force: bool = False) -> DeepCheck:
        """Per-source ``deep_recheck_share``/``_days`` over ``[fanarchive.sync]``."""
        share = settings.get("deep_recheck_share")
        days = settings.get("deep_recheck_days")
        if share is None and days is None:
            share = config.get("fanarchive.sync.deep_recheck_share")
            days = config.get("fanarchive.sync.deep_recheck_days", DEFAULT_DEEP_RECHECK_DAYS)
        if share is None:
            share = 1.0 / float(days) if days and float(days) > 0 else 0.0
        index_days = settings.get("index_recheck_days", config.get(
            "fanarchive.sync.index_recheck_days", DEFAULT_INDEX_RECHECK_DAYS))
        return cls(min(max(float(share), 0.0), 1.0), today or datetime.now(UTC).date(), force,
                   float(index_days))

    @property
    def period_days(self) -> float:
        return math.inf if self.share <= 0 else 1.0 / self.share

    def covers(self, identity: str, day: date | None = None) -> bool:
        """True when tonight's (or ``day``'s) share includes the story."""
        if self.force:
            return True
        if self.share <= 0:
            return False
        start = ((day or self.today).toordinal() * self.share) % 1.0
        return (story_position(identity) - start) % 1.0 < self.share

    def overdue(self, last_fetched: datetime | None) -> bool:
        """Not read for longer than the period: its nights were missed."""
        if last_fetched is None or self.share <= 0:
            return False
        return (self.today - last_fetched.date()).days > self.period_days


def story_position(identity: str) -> float:
    """Where a story sits on the deep re-check circle: stable, evenly spread."""
    return int(hashlib.sha256(identity.encode()).hexdigest()[:13], 16) / float(16 ** 13)


# -- fingerprints ------------------------------------------------------------------------------


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def index_fingerprint(raw_headers: Mapping[str, str]) -> dict[str, str]:
    """The change-revealing values an index page shows about a story, comparable across the
    listing and the story page: dates and completion canonical, counts as bare digits."""
    found: dict[str, str] = {}
    for label, value in raw_headers.items():
        key = FINGERPRINT_LABELS.get(label.strip().rstrip(":").strip().lower())
        if key is None or key in found or not value or not value.strip():
            continue
        if key == "updated":
            found[key] = parse_date(value) or _norm(value)
        elif key == "completed":
            found[key] = parse_status(value) or _norm(value)
        else:
            digits = "".join(ch for ch in value if ch.isdigit())
            if digits:
                found[key] = str(int(digits))
    return found


def stored_fingerprint(meta: Mapping[str, Any]) -> dict[str, str]:
    """The same values for a stored revision; chapters are counted, not read from a header."""
    found = index_fingerprint(meta.get("raw_headers") or {})
    if meta.get("updated"):
        found["updated"] = str(meta["updated"])
    if meta.get("status"):
        found["completed"] = str(meta["status"])
    found["chapters"] = str(len(meta.get("chapters") or []))
    return found


def fingerprint_changes(listed: Mapping[str, str], stored: Mapping[str, str]) -> list[str] | None:
    """Keys that differ; None when the two share no key (nothing can be vouched for)."""
    common = [key for key in listed if key in stored]
    if not common:
        return None
    return [key for key in common if listed[key] != stored[key]]


def listing_shape(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Pages of one listing share a shape: the path and the non-numeric query parameters
    (``browse.php?type=titles`` and ``...&offset=15``; every ``...type=categories&catid=N``)."""
    parts = urlsplit(url)
    params = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                    if not v.lstrip("-").isdigit())
    return parts.path, tuple(params)


def stub_signature(stub: ParsedStory) -> int:
    """What an index page says about a story; pages saying the same are interchangeable."""
    fields = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                          for k, v in stub.fields.items()))
    return hash((tuple(sorted(stub.raw_headers.items())), fields))


# -- the policy --------------------------------------------------------------------------------


@dataclass
class _Story:
    """A stored story's body pages in this source's frontier."""

    rows: list[int] = field(default_factory=list)
    validated: list[int] = field(default_factory=list)  # rows that carry ETag/Last-Modified
    text_rows_validated: bool = True  # every page the story was saved from has validators
    last_fetched: datetime | None = None
    gates: set[int] = field(default_factory=set)  # rows that are the story's age gate
    consented: set[int] = field(default_factory=set)  # rows fetched as consent-applied


@dataclass
class ChangeStats:
    parked: int = 0  # story pages not requested at the start of the crawl
    listings_parked: int = 0  # redundant index pages not requested at the start
    vouched: int = 0  # stories an index page showed unchanged
    refetched: Counter[str] = field(default_factory=Counter)  # stories re-read, by reason
    replayed: int = 0  # stored pages that stood in for a 304
    passes: int = 0
    resumed: bool = False
    full_walk: bool = False  # every index page was requested this crawl
    listings_kept: int | None = None  # index pages the next syncs walk (after a full walk)
    tombstones_held: str | None = None  # why this run tombstoned nothing

    def as_dict(self) -> dict[str, Any]:
        return {"parked": self.parked, "listings_parked": self.listings_parked,
                "vouched": self.vouched, "refetched": dict(sorted(self.refetched.items())),
                "replayed": self.replayed, "passes": self.passes, "resumed": self.resumed,
                "full_walk": self.full_walk, "listings_kept": self.listings_kept,
                "tombstones_held": self.tombstones_held}


class ChangePolicy:
    """Decides, during one sync of one web source, which pages are worth a request.

    The importer calls :meth:`begin`, replays an unfinished crawl, then calls :meth:`crawl`
    instead of ``Crawler.run``, and hands every page it parsed to :meth:`observe`. Afterwards
    :attr:`vouched` are the stories seen without a request, and :attr:`may_tombstone` says
    whether the crawl saw enough to declare the others vanished.
    """

    def __init__(self, store: Store, source_id: int, deep: DeepCheck, *,
                 full_scan: bool = True) -> None:
        self.store = store
        self.source_id = source_id
        self.deep = deep
        # False for a plain import run again: no tombstones, so no redundant listings parked
        # and no failed run for an unreachable start page (see the module docstring).
        self.full_scan = full_scan
        self.stats = ChangeStats()
        self.vouched: set[int] = set()
        self.may_tombstone = True
        self._stories: dict[int, _Story] = {}
        self._owner_of_hash: dict[str, int] = {}  # url hash of a body page -> story id
        self._decided: dict[int, str] = {}
        self._linked: set[int] = set()
        self._listed: set[int] = set()  # stored stories some index page described
        self._listings: dict[str, list[tuple[str, int]]] = {}  # url hash -> (identity, sig)
        self._known: dict[str, tuple[int, bool] | None] = {}
        self._metas: dict[int, Any] = {}  # story id -> current revision's meta
        self._replayed: set[int] = set()
        self._table = table_of(CrawlUrl)
        self._mine = self._table.c.source_id == source_id

    @classmethod
    def for_rerun(cls, store: Store, config: Config, source_id: int,
                  settings: Mapping[str, Any] | None = None,
                  today: date | None = None) -> ChangePolicy | None:
        """The policy of a plain import of ``source_id`` run again, or None for a first one.

        None until a crawl of the source has finished (a first import, or one resuming a first
        crawl that was interrupted, crawls everything as before). There is no deep re-check
        unless the source's own settings ask for one (``deep_recheck_days``/``_share``).
        """
        c = table_of(CrawlUrl)
        mine = c.c.source_id == source_id
        parked = exists().where(mine, c.c.state == SKIPPED, c.c.outcome.in_((PARKED, REDUNDANT)))
        waiting = exists().where(mine, c.c.state.in_((PENDING, FETCHING)))
        done = exists().where(mine, c.c.state == DONE)
        # Parked pages: a re-run with this policy was interrupted; it resumes with it too.
        if not store.session.scalar(select(parked | (done & ~waiting))):
            return None
        settings = settings or {}
        if "deep_recheck_days" in settings or "deep_recheck_share" in settings:
            deep = DeepCheck.from_settings(config, settings, today=today)
        else:
            deep = DeepCheck(0.0, today or datetime.now(UTC).date())
        return cls(store, source_id, deep, full_scan=False)

    # -- the crawl ----------------------------------------------------------------------------

    @property
    def seen(self) -> set[int]:
        """Stored stories this crawl saw on an index page: present, whatever became of
        their own pages (a story page that failed is not a story that vanished)."""
        return self._listed | self.vouched

    def begin(self) -> bool:
        """Map story pages to stories; park what a new crawl may skip. True on resume: the
        importer then replays the pages the unfinished crawl fetched."""
        resumed = self._exists(PENDING, FETCHING)
        self.stats.resumed = resumed
        self._map_bodies()
        if not resumed:
            self._park(full_walk=self.deep.force or not self.full_scan
                       or self._index_walk_due())
        self.store.commit()
        return resumed

    def crawl(self, crawler: Any, start_url: str, handle: Callable[[Document], Any],
              run: Run | None = None) -> CrawlReport:
        """Run ``crawler`` (a :class:`~fanarchive.sources.web.Crawler` whose handler calls
        :meth:`observe`) as many passes as the decisions need; ``handle`` parses a stored
        page the way the crawler's handler parses a fetched one."""
        reports: list[CrawlReport] = []
        while True:
            self.stats.passes += 1
            reports.append(crawler.run([start_url]))
            # Pages the server answered 304 never reached the handler: their stored copy does.
            for doc in self._documents(self._not_modified_rows()):
                handle(doc)
            if reports[-1].stopped != "finished" or self.stats.passes >= MAX_PASSES:
                break
            self._unpark_linked()
            if not self._exists(PENDING) and self._exists(SKIPPED, outcome=REDUNDANT) \
                    and self._missing():
                # A stored story is on none of the kept index pages: walk them all before
                # anyone concludes it vanished.
                self._unpark(REDUNDANT, conditional=True)
            self.store.commit()
            if not self._exists(PENDING):
                break
        report = merge_reports(reports)
        self._judge_crawl(start_url, report)
        self.stats.full_walk = not self._exists(SKIPPED, outcome=REDUNDANT)
        if self.stats.full_walk and self.may_tombstone and self.full_scan:
            self._keep_listings(start_url)
        if run is not None:
            run.options = {**(run.options or {}), "changes": self.stats.as_dict()}
        return report

    def _exists(self, *states: str, outcome: str | None = None) -> bool:
        c = self._table
        where = [self._mine, c.c.state.in_(states)]
        if outcome is not None:
            where.append(c.c.outcome == outcome)
        return bool(self.store.session.scalar(select(exists().where(*where))))

    def _index_walk_due(self) -> bool:
        """No full walk of the index pages for ``index_recheck_days``."""
        for started, options in self.store.session.execute(
                select(Run.started_at, Run.options)
                .where(Run.source_id == self.source_id, Run.kind == "sync",
                       Run.status == "finished")
                .order_by(Run.id.desc()).limit(200)):
            if ((options or {}).get("changes") or {}).get("full_walk"):
                return (self.deep.today - started.date()).days >= self.deep.index_recheck_days
        return True

    def _map_bodies(self) -> None:
        """Which frontier rows are a stored story's own pages.

        A row is a story page when its stored copy parsed as a story or gate page. The pages a
        story was saved from are its sightings; walking up ``discovered_from`` from them while
        the parent is a story page too adds the reading view and age gate that led there, and
        a printer view that led there and was read through its stand-ins
        (``read_through_stand_ins``: the site refused it), and a story URL the crawler fetched
        with its rating's consent added (``consent-applied``).
        """
        c, d = self._table, table_of(DocumentRow)
        rows = self.store.session.execute(
            select(c.c.id, c.c.url_hash, c.c.discovered_from, c.c.fetched_at, c.c.etag,
                   c.c.last_modified, c.c.outcome, c.c.last_status, d.c.page_kind)
            .select_from(c.outerjoin(d, and_(d.c.source_id == c.c.source_id,
                                             d.c.locator_hash == c.c.url_hash,
                                             d.c.sha256 == c.c.content_sha256)))
            .where(self._mine)).all()
        by_hash = {row.url_hash: row for row in rows}
        by_id = {row.id: row for row in rows}
        owner: dict[int, int] = {}
        shared: set[int] = set()
        sighted: set[int] = set()
        for story_id, locator_hash in self.store.session.execute(
                select(StorySource.story_id, StorySource.locator_hash)
                .where(StorySource.source_id == self.source_id)).all():
            row = by_hash.get(locator_hash)
            if row is not None:
                sighted.add(row.id)
            for _ in range(64):  # discovered_from is a tree; the bound is only a guard
                if row is None or (row.page_kind not in BODY_KINDS
                                   and not _consent_applied(row) and not
                                   read_through_stand_ins(row.outcome, row.last_status)):
                    break
                if owner.setdefault(row.id, story_id) != story_id:
                    shared.add(row.id)  # one page, two stories: never parked
                    break
                parent = by_id.get(row.discovered_from) if row.discovered_from else None
                if parent is not None and owner.get(parent.id) == story_id:
                    break
                row = parent
        for row_id, story_id in owner.items():
            if row_id in shared:
                continue
            row = by_id[row_id]
            story = self._stories.setdefault(story_id, _Story())
            story.rows.append(row_id)
            if row.page_kind == "gate":
                story.gates.add(row_id)
            elif _consent_applied(row):
                story.consented.add(row_id)
            if row.etag or row.last_modified:
                story.validated.append(row_id)
            elif row_id in sighted:
                story.text_rows_validated = False
            moment = _utc(row.fetched_at)
            if moment is not None and (story.last_fetched is None or moment > story.last_fetched):
                story.last_fetched = moment
            self._owner_of_hash[row.url_hash] = story_id

    def _park(self, full_walk: bool) -> None:
        """Start a new crawl: index pages queued again (but the redundant ones, unless a full
        walk is due), stored stories' pages parked."""
        c = self._table
        ids = [row_id for story in self._stories.values() for row_id in story.rows]
        for start in range(0, len(ids), _CHUNK):
            result = self.store.session.execute(
                update(c).where(c.c.id.in_(ids[start:start + _CHUNK]),
                                ((c.c.state == DONE) & c.c.outcome.in_(PARKABLE))
                                | ((c.c.state == SKIPPED) & (c.c.outcome == PARKED)))
                .values(state=SKIPPED, outcome=PARKED, reason=PARKED_REASON))
            self.stats.parked += int(getattr(result, "rowcount", 0) or 0)
        if full_walk:
            self._unpark(REDUNDANT, conditional=True)
        else:
            self.stats.listings_parked = int(self.store.session.scalar(
                select(func.count()).select_from(c).where(
                    self._mine, c.c.state == SKIPPED, c.c.outcome == REDUNDANT)) or 0)
        keep = (c.c.state == SKIPPED) & c.c.outcome.in_((PARKED, REDUNDANT))
        # What Crawler.run does when a new crawl starts, minus the parked rows: the crawler then
        # finds pending rows and "resumes", leaving the parked ones alone.
        self.store.session.execute(
            update(c).where(self._mine, c.c.state.in_(REQUEUED_STATES), ~keep)
            .values(state=PENDING, attempts=0, next_attempt_at=None))

    # -- decisions ------------------------------------------------------------------------------

    def observe(self, doc: Document, result: ParseResult) -> None:
        """Decide about the stories an index page describes; note the stories pages link to."""
        if result.page_kind == "index":
            stubs = [stub for stub in result.stories
                     if stub.identity and not any(c.text for c in stub.chapters)]
            self._prefetch([str(stub.identity) for stub in stubs])
            described: list[tuple[str, int]] = []
            for stub in stubs:
                described.append((str(stub.identity), stub_signature(stub)))
                self._judge_stub(str(stub.identity), stub.raw_headers)
            if doc.url:
                self._listings[sha256_text(doc.url)] = described
        if doc.url and self._owner_of_hash:
            for href in result.links:
                url = absolute_link(doc.url, href)
                story_id = self._owner_of_hash.get(sha256_text(url)) if url else None
                if story_id is not None and story_id not in self._decided:
                    self._linked.add(story_id)

    def _judge_stub(self, identity: str, raw_headers: Mapping[str, str]) -> None:
        known = self._story_of(identity)
        if known is None:
            return  # a new story: the crawl fetches it
        story_id, removed = known
        self._listed.add(story_id)
        story = self._stories.get(story_id)
        if story is None or story_id in self._decided:
            return  # nothing parked (its pages are queued anyway), or decided already
        listed = index_fingerprint(raw_headers)
        if not listed:
            return  # a bare link: another page may describe it; else "linked" later
        if removed:
            self._refetch(story_id, "restore", story.rows, conditional=False)
            return
        # Decided once per sync: the meta is not needed again (memory stays flat).
        changes = fingerprint_changes(listed, stored_fingerprint(self._meta(story_id)))
        self._metas.pop(story_id, None)
        if changes is None:
            return
        if changes:
            self._refetch(story_id, "changed", story.rows, conditional=False)
        elif story.validated and story.text_rows_validated:
            # All its pages, not only those with validators: a story is the merge of its
            # pages (the gate adds its warning), and a subset would store another version.
            self._refetch(story_id, "revalidate", story.rows, conditional=True)
        elif self.deep.covers(identity) or self.deep.overdue(story.last_fetched):
            self._refetch(story_id, "deep", story.rows, conditional=True)
        else:
            self._decided[story_id] = "vouched"
            self.vouched.add(story_id)
            self.stats.vouched += 1

    def _prefetch(self, identities: Sequence[str]) -> None:
        """Look up a listing's stories in two queries, not two per story: a listing names
        dozens, and a sync reads hundreds of listings' worth."""
        wanted = {sha256_text(i): i for i in identities if i not in self._known}
        if not wanted:
            return
        found: dict[str, tuple[int, bool]] = {}
        own = select(StoryRow.identity_hash, StoryRow.id, StoryRow.removed_at).where(
            StoryRow.identity_hash.in_(list(wanted)))
        alias = select(StoryAlias.identity_hash, StoryRow.id, StoryRow.removed_at).join(
            StoryRow, StoryRow.id == StoryAlias.story_id).where(
            StoryAlias.identity_hash.in_(list(wanted)))
        for query in (alias, own):  # a story's own key wins over an alias
            for key, story_id, removed_at in self.store.session.execute(query):
                found[key] = (story_id, removed_at is not None)
        for key, identity in wanted.items():
            self._known[identity] = found.get(key)
        ids = [known[0] for known in found.values() if known[0] in self._stories
               and known[0] not in self._metas and known[0] not in self._decided]
        for start in range(0, len(ids), _CHUNK):
            for story_id, meta in self.store.session.execute(
                    select(Revision.story_id, Revision.meta)
                    .join(StoryRow, and_(StoryRow.id == Revision.story_id,
                                         StoryRow.current_revision == Revision.number))
                    .where(Revision.story_id.in_(ids[start:start + _CHUNK]))):
                self._metas[story_id] = meta

    def _story_of(self, identity: str) -> tuple[int, bool] | None:
        """(story id, tombstoned) of a stored story, by identity or alias."""
        if identity not in self._known:
            self._prefetch([identity])
        return self._known[identity]

    def _meta(self, story_id: int) -> Mapping[str, Any]:
        if story_id not in self._metas:
            self._metas[story_id] = self.store.session.scalar(
                select(Revision.meta).join(StoryRow, and_(
                    StoryRow.id == Revision.story_id,
                    StoryRow.current_revision == Revision.number))
                .where(Revision.story_id == story_id))
        return self._metas[story_id] or {}

    def _refetch(self, story_id: int, reason: str, rows: Sequence[int], conditional: bool) -> None:
        self._decided[story_id] = reason
        self.stats.refetched[reason] += 1
        c = self._table
        story = self._stories.get(story_id)
        gates = story.gates if story is not None else set()
        consented = story.consented if story is not None else set()
        # A gate revalidated is still a gate: a 304 keeps it recorded as passed (the crawler's
        # access pages), not as a content page. A URL fetched with consent added keeps its
        # outcome: the crawler rewrites it as before, with no request of its own.
        for chosen, outcome in (([r for r in rows if r not in gates and r not in consented],
                                 _outcome(conditional)),
                                ([r for r in rows if r in gates],
                                 "gate-passed" if conditional else _outcome(False)),
                                ([r for r in rows if r in consented], CONSENT_APPLIED)):
            for start in range(0, len(chosen), _CHUNK):
                self.store.session.execute(
                    update(c).where(c.c.id.in_(chosen[start:start + _CHUNK]),
                                    c.c.state == SKIPPED, c.c.outcome == PARKED)
                    .values(state=PENDING, outcome=outcome, reason=None, attempts=0,
                            next_attempt_at=None))

    def _unpark(self, parked_as: str, conditional: bool) -> None:
        c = self._table
        self.store.session.execute(
            update(c).where(self._mine, c.c.state == SKIPPED, c.c.outcome == parked_as)
            .values(state=PENDING, outcome=_outcome(conditional), reason=None, attempts=0,
                    next_attempt_at=None))

    def _unpark_linked(self) -> None:
        """Stories some page links to but no index page described: fetch them."""
        for story_id in sorted(self._linked - set(self._decided)):
            self._refetch(story_id, "linked", self._stories[story_id].rows, conditional=True)
        self._linked.clear()

    def _missing(self) -> set[int]:
        """Stored stories of this source that no page of this crawl described or led to."""
        live = set(self.store.session.scalars(
            select(StorySource.story_id).where(StorySource.source_id == self.source_id,
                                               StorySource.removed_at.is_(None))))
        return live - self._listed - set(self._decided)

    def _keep_listings(self, start_url: str) -> None:
        """After a full walk: park the index pages the next syncs can do without."""
        c, d = self._table, table_of(DocumentRow)
        pages = self.store.session.execute(
            select(c.c.id, c.c.url, c.c.url_hash, c.c.depth)
            .join(d, and_(d.c.source_id == c.c.source_id, d.c.locator_hash == c.c.url_hash,
                          d.c.sha256 == c.c.content_sha256))
            .where(self._mine, c.c.state == DONE, c.c.outcome.in_(PARKABLE),
                   d.c.page_kind == "index")
            .order_by(c.c.id)).all()
        everyone = {ident for page in pages for ident, _ in self._listings.get(page.url_hash, ())}
        shapes: dict[Any, list[Any]] = {}
        for page in pages:
            shapes.setdefault(listing_shape(page.url), []).append(page)
        complete = [group for group in shapes.values()
                    if {ident for page in group for ident, _ in self._listings.get(
                        page.url_hash, ())} == everyone]
        if not everyone or not complete:
            return  # no listing names every story: keep walking them all
        chosen = min(complete, key=lambda group: (len(group), group[0].id))
        kept = {page.id for page in chosen}
        said: dict[str, set[int]] = {}
        for page in chosen:
            for ident, signature in self._listings.get(page.url_hash, ()):
                said.setdefault(ident, set()).add(signature)
        for page in pages:  # a page that says something new about a story stays
            described = self._listings.get(page.url_hash, ())
            if page.id not in kept and any(sig not in said.get(ident, ())
                                           for ident, sig in described):
                kept.add(page.id)
                for ident, signature in described:
                    said.setdefault(ident, set()).add(signature)
        # The start page and the menus it links to (pages naming no story: the author list,
        # the category list) stay: new authors and listings show up there first.
        kept |= {page.id for page in pages if page.url_hash == _url_hash(start_url)
                 or (page.depth <= 1 and not self._listings.get(page.url_hash))}
        redundant = [page.id for page in pages if page.id not in kept]
        for start in range(0, len(redundant), _CHUNK):
            self.store.session.execute(
                update(c).where(c.c.id.in_(redundant[start:start + _CHUNK]))
                .values(state=SKIPPED, outcome=REDUNDANT, reason=REDUNDANT_REASON))
        self.stats.listings_kept = len(kept)

    # -- replaying stored pages -----------------------------------------------------------------

    def _not_modified_rows(self) -> list[tuple[int, str, str]]:
        """(id, url, sha256) of pages answered 304 in this crawl, not yet replayed, in order.

        Every row a new crawl finds done was parked or queued again at its start (see
        :meth:`_park`), so a done row was answered in this crawl, before or after a kill.
        """
        c = self._table
        rows = self.store.session.execute(
            select(c.c.id, c.c.url, c.c.content_sha256)
            .where(self._mine, c.c.state == DONE, c.c.outcome == "not-modified",
                   c.c.content_sha256.is_not(None))
            .order_by(c.c.fetched_at, c.c.id)).all()
        return [(row.id, row.url, row.content_sha256) for row in rows
                if row.id not in self._replayed]

    def _documents(self, rows: list[tuple[int, str, str]]) -> Iterator[Document]:
        d = table_of(DocumentRow)
        for row_id, url, sha in rows:
            self._replayed.add(row_id)
            found = self.store.session.execute(
                select(Blob.data, d.c.media_type, d.c.http_status, d.c.http_headers,
                       d.c.fetched_at)
                .join(d, d.c.sha256 == Blob.sha256)
                .where(Blob.sha256 == sha, d.c.source_id == self.source_id,
                       d.c.locator_hash == sha256_text(url)).limit(1)).first()
            if found is None:
                continue
            headers = dict(found.http_headers or {})
            self.stats.replayed += 1
            yield Document(content=found.data, locator=url, url=url,
                           media_type=found.media_type, declared_charset=_charset(headers),
                           http_status=found.http_status, http_headers=headers,
                           fetched_at=_utc(found.fetched_at) or datetime.now(UTC))

    # -- after the crawl ------------------------------------------------------------------------

    def _judge_crawl(self, start_url: str, report: CrawlReport) -> None:
        """Fail a run whose start page was unreachable; hold tombstones after a partial crawl."""
        c = self._table
        start = self.store.session.execute(
            select(c.c.state, c.c.outcome, c.c.reason)
            .where(self._mine, c.c.url_hash == _url_hash(start_url))).first()
        if (start is None or start.state != DONE) and self.full_scan:
            why = f"{start.outcome}: {start.reason}" if start is not None else "never fetched"
            raise SourceUnavailable(f"{start_url} is unreachable ({why}); nothing was "
                                    "tombstoned, the next run tries again")
        if report.stopped != "finished":
            self._hold(f"the crawl stopped early ({report.stopped})")
            return
        # A listing that failed (network, 5xx) hides stories that did not vanish; a 404 is an
        # answer. Failures are few: filtered here rather than with a long NOT IN.
        broken = [row.url for row in self.store.session.execute(
            select(c.c.url, c.c.url_hash).where(self._mine, c.c.state == FAILED,
                                                ~c.c.outcome.like("http-4%")))
            if row.url_hash not in self._owner_of_hash]
        if broken:
            self._hold(f"{len(broken)} index page(s) failed, e.g. {broken[0]}")

    def _hold(self, reason: str) -> None:
        self.may_tombstone = False
        self.stats.tombstones_held = reason


def merge_reports(reports: Sequence[CrawlReport]) -> CrawlReport:
    """One report for the passes of one sync."""
    merged = CrawlReport(source_id=reports[0].source_id, resumed=reports[0].resumed)
    for report in reports:
        for name in ("requests", "bytes_in", "pages", "documents_new", "not_modified",
                     "retries", "failures", "links_queued", "seconds", "retry_after_wait"):
            setattr(merged, name, getattr(merged, name) + getattr(report, name))
        merged.outcomes.update(report.outcomes)
        merged.problems.extend(report.problems)
        merged.notes.extend(n for n in report.notes if n not in merged.notes)
        merged.frontier = report.frontier
        if merged.stopped == "finished":
            merged.stopped = report.stopped
    return merged


def _consent_applied(row: Any) -> bool:
    """A row fetched as the crawler rewrote it (``consent-applied``), or parked since: a
    parked row with no stored page and no answer is one (a refused one has its status)."""
    return bool(row.outcome == CONSENT_APPLIED or (
        row.outcome == PARKED and row.page_kind is None and row.last_status is None))


def _outcome(conditional: bool) -> str:
    # An outcome other than ok/not-modified makes the crawler send no validators: when an
    # index page says a story changed, a 304 from a careless server must not hide it.
    return "ok" if conditional else "changed"


def _url_hash(url: str) -> str:
    try:
        return sha256_text(canonicalize(url))
    except ValueError:
        return ""


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _charset(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            for part in value.split(";")[1:]:
                key, _, val = part.partition("=")
                if key.strip().lower() == "charset" and val.strip():
                    return val.strip().strip('"')
    return None
