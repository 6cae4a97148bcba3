"""SQLAlchemy models. Every schema change goes through an Alembic migration in ``db/``.

Design: raw bytes (``blobs``) and chapter texts (``texts``) are content-addressed by sha256 so
nothing is stored twice and nothing is ever overwritten. A story's content lives in immutable
``revisions``; a re-import that changes anything adds a revision, never edits one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# MySQL's plain TEXT/BLOB stop at 64 KB; stories and pages are larger.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
LongBlob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
Json = JSON().with_variant(mysql.JSON(), "mysql", "mariadb")
Hash = String(64)


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, typed as such (``__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)


class Source(Base):
    """Where stories come from: a registered source to sync, or an ad-hoc import location."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    location: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), default="adhoc")
    parser: Mapped[str | None] = mapped_column(String(100))
    fandom: Mapped[str | None] = mapped_column(String(300))
    schedule: Mapped[str | None] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Blob(Base):
    """Raw bytes of a fetched or imported document, addressed by their sha256."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(Hash, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LongBlob)


class DocumentRow(Base):
    """One sighting of a blob: where and when it was fetched or found."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("source_id", "locator_hash", "sha256", name="uq_documents_sighting"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    locator: Mapped[str] = mapped_column(Text)
    locator_hash: Mapped[str] = mapped_column(Hash)
    url: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(200))
    http_status: Mapped[int | None] = mapped_column(Integer)
    http_headers: Mapped[dict[str, Any] | None] = mapped_column(Json)
    parser: Mapped[str | None] = mapped_column(String(100))
    page_kind: Mapped[str | None] = mapped_column(String(40))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))


class Text_(Base):
    """Chapter text, addressed by sha256 so unchanged chapters cost nothing in a new revision."""

    __tablename__ = "texts"

    sha256: Mapped[str] = mapped_column(Hash, primary_key=True)
    text: Mapped[str] = mapped_column(LongText)


class StoryRow(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    identity_hash: Mapped[str] = mapped_column(Hash, unique=True)
    identity: Mapped[str] = mapped_column(LongText)
    current_revision: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(LongText)
    rating: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    revisions: Mapped[list[Revision]] = relationship(
        back_populates="story", order_by="Revision.number"
    )


class StorySource(Base):
    """A place a story was found; one story may have many (dump, mirror, crawl)."""

    __tablename__ = "story_sources"
    __table_args__ = (
        UniqueConstraint("story_id", "source_id", "locator_hash", name="uq_story_sources"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    locator: Mapped[str] = mapped_column(Text)
    locator_hash: Mapped[str] = mapped_column(Hash)
    url: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    parser: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(Hash)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Revision(Base):
    """An immutable version of a story. ``meta`` is the canonical record without chapter text."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("story_id", "number", name="uq_revisions_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(Hash)
    meta: Mapped[dict[str, Any]] = mapped_column(Json)
    diff: Mapped[dict[str, Any] | None] = mapped_column(Json)
    reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))

    story: Mapped[StoryRow] = relationship(back_populates="revisions")
    chapters: Mapped[list[ChapterRow]] = relationship(order_by="ChapterRow.position")


class ChapterRow(Base):
    __tablename__ = "chapters"
    __table_args__ = (UniqueConstraint("revision_id", "position", name="uq_chapters_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(LongText)
    text_sha256: Mapped[str] = mapped_column(ForeignKey("texts.sha256"))
    html_sha256: Mapped[str | None] = mapped_column(ForeignKey("texts.sha256"))
    word_count: Mapped[int] = mapped_column(Integer)


class AuthorRow(Base):
    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("key_hash", name="uq_authors_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Hash)


class RevisionAuthor(Base):
    __tablename__ = "revision_authors"

    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Tag(Base):
    """A tag as written (``raw``) and its canonical form; wrangling edits ``canonical``."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("type", "key_hash", name="uq_tags_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    raw: Mapped[str] = mapped_column(Text)
    canonical: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Hash)


class RevisionTag(Base):
    __tablename__ = "revision_tags"

    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class QualityFlagRow(Base):
    __tablename__ = "quality_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text)


class Run(Base):
    """One import, sync or export run with its counts."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)
    options: Mapped[dict[str, Any] | None] = mapped_column(Json)
    message: Mapped[str | None] = mapped_column(Text)


# The stage of a recorded item outcome that is not a failure (a gate, a robots.txt rule, a file
# that is not a story, a refused page read another way): `status` lists it apart.
NOTE = "note"


class RunError(Base):
    """A per-item failure (or, with stage NOTE, an outcome worth a line): item, stage, why."""

    __tablename__ = "run_errors"
    __table_args__ = (Index("ix_run_errors_run", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    locator: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Models of later stages live in their own modules; importing them here registers them on
# Base.metadata, which Alembic compares against.
from fanarchive.store import crawl_models as _crawl_models  # noqa: E402,F401
from fanarchive.store import identity_models as _identity_models  # noqa: E402,F401
from fanarchive.store import sync_models as _sync_models  # noqa: E402,F401
