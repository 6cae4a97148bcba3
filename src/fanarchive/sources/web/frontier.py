"""The crawl frontier of one source, kept in the database so a killed crawl resumes.

A crawl is "in progress" for as long as the source has pending or in-flight URLs. Starting the
crawler then resumes it: URLs left ``fetching`` by a killed process go back to ``pending`` and
everything already ``done`` stays done. When nothing is pending, starting the crawler begins a
new crawl: finished URLs are queued again and revalidated with conditional GET.

All statements are Core (no ORM identity map), so memory stays flat however large the site.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanarchive.store.crawl_models import (
    FETCHING,
    OFF_SCOPE,
    PENDING,
    REQUEUED_STATES,
    SKIPPED,
    CrawlUrl,
)
from fanarchive.store.hashing import sha256_text

_TABLE: Table = CrawlUrl.__table__  # type: ignore[assignment]
_CHUNK = 500  # IN-list size: well under every backend's bound-parameter limit
MAX_DEPTH_OUTCOME = "max-depth"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; they were stored as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """A frontier row as the crawler needs it while the URL is in flight."""

    id: int
    url: str
    host: str
    depth: int
    chain: int
    attempts: int
    state: str
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None
    outcome: str | None = None
    reason: str | None = None
    discovered_from: int | None = None
    last_status: int | None = None


@dataclass(frozen=True)
class NewUrl:
    """A URL to record: queued (``pending``) or recorded as refused with an outcome."""

    url: str  # canonical
    host: str
    depth: int
    chain: int = 0
    discovered_from: int | None = None
    state: str = PENDING
    outcome: str | None = None
    reason: str | None = None


_ENTRY_COLUMNS = (
    _TABLE.c.id, _TABLE.c.url, _TABLE.c.host, _TABLE.c.depth, _TABLE.c.chain,
    _TABLE.c.attempts, _TABLE.c.state, _TABLE.c.etag, _TABLE.c.last_modified,
    _TABLE.c.content_sha256, _TABLE.c.outcome, _TABLE.c.reason, _TABLE.c.discovered_from,
    _TABLE.c.last_status,
)


def _entry(row: Any) -> Entry:
    return Entry(*row)


class Frontier:
    """Queue operations for one source; the caller owns the transaction (commits)."""

    def __init__(self, session: Session, source_id: int) -> None:
        self.session = session
        self.source_id = source_id
        self._mine = _TABLE.c.source_id == source_id

    # -- starting a run ----------------------------------------------------------------------

    def prepare(self) -> bool:
        """Resume an unfinished crawl (True) or queue a new one (False)."""
        self.session.execute(
            update(_TABLE).where(self._mine, _TABLE.c.state == FETCHING).values(state=PENDING)
        )
        pending = self.session.scalar(
            select(_TABLE.c.id).where(self._mine, _TABLE.c.state == PENDING).limit(1)
        )
        if pending is not None:
            return True
        self.session.execute(
            update(_TABLE).where(self._mine, _TABLE.c.state.in_(REQUEUED_STATES))
            .values(state=PENDING, attempts=0, next_attempt_at=None)
        )
        return False

    # -- adding URLs -------------------------------------------------------------------------

    def add(self, urls: Iterable[NewUrl]) -> int:
        """Record URLs not seen before; returns how many new rows were queued as pending.

        A URL seen before keeps its row, except that a row refused earlier for depth or scope
        is queued again when the URL now arrives in bounds (found at a smaller depth, or the
        scope was widened).
        """
        wanted: dict[str, NewUrl] = {}
        for item in urls:
            key = sha256_text(item.url)
            known = wanted.get(key)
            if known is None or (item.state == PENDING and known.state != PENDING):
                wanted[key] = item
        if not wanted:
            return 0
        queued = 0
        keys = list(wanted)
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            existing = self.session.execute(
                select(_TABLE.c.url_hash, _TABLE.c.id, _TABLE.c.state, _TABLE.c.outcome,
                       _TABLE.c.depth)
                .where(self._mine, _TABLE.c.url_hash.in_(chunk))
            ).all()
            seen = set()
            for url_hash, row_id, state, outcome, depth in existing:
                seen.add(url_hash)
                item = wanted[url_hash]
                refused_before = (state == SKIPPED and outcome == MAX_DEPTH_OUTCOME
                                  and item.depth < depth) or state == OFF_SCOPE
                if item.state == PENDING and refused_before:
                    self.session.execute(update(_TABLE).where(_TABLE.c.id == row_id).values(
                        state=PENDING, depth=item.depth, chain=item.chain, outcome=None,
                        reason=None, attempts=0, next_attempt_at=None))
                    queued += 1
            stamp = utcnow()
            rows = [self._row(key, wanted[key], stamp) for key in chunk if key not in seen]
            if rows:
                _insert_missing(self.session, rows)
                queued += sum(1 for row in rows if row["state"] == PENDING)
        return queued

    def _row(self, url_hash: str, item: NewUrl, stamp: datetime) -> dict[str, Any]:
        return {
            "source_id": self.source_id, "url": item.url, "url_hash": url_hash,
            "host": item.host, "depth": item.depth, "chain": item.chain,
            "discovered_from": item.discovered_from, "discovered_at": stamp,
            "state": item.state, "attempts": 0, "outcome": item.outcome, "reason": item.reason,
        }

    # -- taking URLs -------------------------------------------------------------------------

    def claim(self, capacity: Mapping[str, int], default_capacity: int, limit: int,
              skip_hosts: Sequence[str] = ()) -> list[Entry]:
        """Mark up to ``limit`` due URLs as fetching, breadth first, within host capacity."""
        if limit <= 0:
            return []
        query = (
            select(*_ENTRY_COLUMNS)
            .where(self._mine, _TABLE.c.state == PENDING,
                   or_(_TABLE.c.next_attempt_at.is_(None), _TABLE.c.next_attempt_at <= utcnow()))
            .order_by(_TABLE.c.depth, _TABLE.c.id)
            .limit(limit * 4 + 16)
        )
        if skip_hosts:
            query = query.where(_TABLE.c.host.not_in(list(skip_hosts)))
        room = dict(capacity)
        chosen: list[Entry] = []
        for row in self.session.execute(query):
            entry = _entry(row)
            free = room.get(entry.host, default_capacity)
            if free <= 0:
                continue
            room[entry.host] = free - 1
            chosen.append(entry)
            if len(chosen) >= limit:
                break
        if chosen:
            self.session.execute(update(_TABLE).where(_TABLE.c.id.in_([e.id for e in chosen]))
                                 .values(state=FETCHING))
        return chosen

    def next_due(self, skip_hosts: Sequence[str] = ()) -> datetime | None:
        """When the earliest pending URL may be tried; None when nothing is pending."""
        waiting = [self._mine, _TABLE.c.state == PENDING]
        if skip_hosts:
            waiting.append(_TABLE.c.host.not_in(list(skip_hosts)))
        # Two index seeks (ix_crawl_urls_due) rather than an aggregate over the whole queue:
        # this runs after every completed page.
        fresh = self.session.scalar(
            select(_TABLE.c.id).where(*waiting, _TABLE.c.next_attempt_at.is_(None)).limit(1))
        if fresh is not None:
            return utcnow()
        earliest = self.session.scalar(
            select(_TABLE.c.next_attempt_at).where(*waiting, _TABLE.c.next_attempt_at.is_not(None))
            .order_by(_TABLE.c.next_attempt_at).limit(1))
        return as_utc(earliest)

    def release(self, ids: Iterable[int]) -> None:
        """Put claimed URLs back in the queue untouched (interrupted before completion)."""
        ids = list(ids)
        for start in range(0, len(ids), _CHUNK):
            self.session.execute(
                update(_TABLE).where(_TABLE.c.id.in_(ids[start:start + _CHUNK]),
                                     _TABLE.c.state == FETCHING).values(state=PENDING))

    # -- recording results -------------------------------------------------------------------

    def finish(self, entry_id: int, **values: Any) -> None:
        """Record what became of a URL (state, outcome, status, validators, ...)."""
        self.session.execute(update(_TABLE).where(_TABLE.c.id == entry_id).values(**values))

    def get(self, entry_id: int) -> Entry | None:
        row = self.session.execute(
            select(*_ENTRY_COLUMNS).where(self._mine, _TABLE.c.id == entry_id)).first()
        return _entry(row) if row is not None else None

    def adopt(self, urls: Iterable[str], parent_id: int) -> None:
        """Make ``parent_id`` the page that led to those of ``urls`` still waiting (queued from
        elsewhere before): a page fetched in place of a failed one is known by its parent."""
        hashes = [sha256_text(url) for url in urls]
        for start in range(0, len(hashes), _CHUNK):
            chunk = hashes[start:start + _CHUNK]
            self.session.execute(
                update(_TABLE).where(self._mine, _TABLE.c.url_hash.in_(chunk),
                                     _TABLE.c.state == PENDING, _TABLE.c.id != parent_id)
                .values(discovered_from=parent_id))

    def any_refused(self) -> bool:
        """Whether some URL answered a 4xx (but 429) and was not recorded as failed for it."""
        return self.session.scalar(
            select(_TABLE.c.id).where(self._mine, _TABLE.c.last_status.between(400, 499),
                                      _TABLE.c.last_status != 429,
                                      ~_TABLE.c.outcome.like("http-%")).limit(1)
        ) is not None

    def lookup(self, url: str) -> Entry | None:
        row = self.session.execute(
            select(*_ENTRY_COLUMNS).where(self._mine, _TABLE.c.url_hash == sha256_text(url))
        ).first()
        return _entry(row) if row is not None else None

    def children(self, parent_id: int, limit: int = 16) -> list[Entry]:
        """Some of the rows ``parent_id`` led to (a URL rewritten once: the rewritten one)."""
        rows = self.session.execute(
            select(*_ENTRY_COLUMNS).where(self._mine, _TABLE.c.discovered_from == parent_id)
            .order_by(_TABLE.c.id).limit(limit)).all()
        return [_entry(row) for row in rows]

    def ensure(self, item: NewUrl) -> Entry:
        """The row for ``item.url``, created (as ``item`` says) when missing."""
        entry = self.lookup(item.url)
        if entry is None:
            _insert_missing(self.session, [self._row(sha256_text(item.url), item, utcnow())])
            entry = self.lookup(item.url)
            assert entry is not None
        return entry

    # -- reading for status ------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(_TABLE.c.state, func.count()).where(self._mine).group_by(_TABLE.c.state))
        return {state: int(count) for state, count in rows}

    def outcome_counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(_TABLE.c.outcome, func.count()).where(self._mine, _TABLE.c.outcome.is_not(None))
            .group_by(_TABLE.c.outcome))
        return {outcome: int(count) for outcome, count in rows}


def _insert_missing(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose (source, URL) another writer added meanwhile."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(_TABLE).on_conflict_do_nothing(), rows)
    elif dialect in ("mysql", "mariadb"):
        stmt = mysql_insert(_TABLE)
        # A no-op update of the unique key itself: duplicates are skipped, errors still raise.
        session.execute(stmt.on_duplicate_key_update(url_hash=stmt.inserted.url_hash), rows)
    else:
        session.execute(sqlite_insert(_TABLE).on_conflict_do_nothing(), rows)
