"""The crawl frontier: every URL a crawl of a source has seen, and what became of it.

One row per (source, canonical URL). The row is both the queue entry (state, depth, next
attempt) and the fetch log of the URL's latest visit (status, validators for conditional GET,
sha256 of the last body, outcome and reason), so a crawl killed at any point resumes from
these rows alone. Uniqueness uses the sha256 of the canonical URL: MariaDB cannot put an
unbounded TEXT column in a unique index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from fanarchive.store.models import Base, Hash

# MySQL/MariaDB DATETIME drops fractions of a second unless asked; retry times need them.
Moment = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

# Frontier states.
PENDING = "pending"
FETCHING = "fetching"
DONE = "done"
FAILED = "failed"
SKIPPED = "skipped"
GATED = "gated"
OFF_SCOPE = "off-scope"
ROBOTS_DISALLOWED = "robots-disallowed"
STATES = (PENDING, FETCHING, DONE, FAILED, SKIPPED, GATED, OFF_SCOPE, ROBOTS_DISALLOWED)
# States a new crawl of the source puts back in the queue (off-scope links stay recorded).
REQUEUED_STATES = (DONE, FAILED, SKIPPED, GATED, ROBOTS_DISALLOWED)


class CrawlUrl(Base):
    """One URL in a source's crawl frontier."""

    __tablename__ = "crawl_urls"
    __table_args__ = (
        UniqueConstraint("source_id", "url_hash", name="uq_crawl_urls_url"),
        # Claiming walks the queue breadth first; the due index finds the next retry time.
        Index("ix_crawl_urls_queue", "source_id", "state", "depth", "id"),
        Index("ix_crawl_urls_due", "source_id", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(Text)  # canonical; what is requested and stored
    url_hash: Mapped[str] = mapped_column(Hash)
    host: Mapped[str] = mapped_column(String(255))  # host[:port], the politeness key
    depth: Mapped[int] = mapped_column(Integer, default=0)
    chain: Mapped[int] = mapped_column(Integer, default=0)  # hops along one pagination pattern
    discovered_from: Mapped[int | None] = mapped_column(ForeignKey("crawl_urls.id"))
    discovered_at: Mapped[datetime] = mapped_column(Moment)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Moment)
    last_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_sha256: Mapped[str | None] = mapped_column(Hash)
    fetched_at: Mapped[datetime | None] = mapped_column(Moment)
    outcome: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
