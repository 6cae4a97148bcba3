"""Tables for cross-source identity: aliases, text fingerprints, near-duplicate links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fanarchive.store.models import Base, Hash


class StoryAlias(Base):
    """Another identity (another source's key) known to be the same story."""

    __tablename__ = "story_aliases"

    identity_hash: Mapped[str] = mapped_column(Hash, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    identity: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoryFingerprint(Base):
    """The current text's exact hash (words only) and MinHash signature."""

    __tablename__ = "story_fingerprints"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), primary_key=True)
    text_hash: Mapped[str] = mapped_column(Hash, index=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    words: Mapped[int] = mapped_column(Integer)


class StoryBand(Base):
    """LSH bands of a signature: stories sharing a band are near-duplicate candidates."""

    __tablename__ = "story_bands"

    band: Mapped[str] = mapped_column(String(32), primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), primary_key=True)


class StoryLink(Base):
    """Two stories that look like copies of each other, for an archivist to review."""

    __tablename__ = "story_links"
    __table_args__ = (UniqueConstraint("story_id", "other_id", "kind", name="uq_story_links"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    other_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    kind: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TagRule(Base):
    """An archivist's tag decision: this raw tag, canonicalised as ``source``, becomes ``target``.

    Kept so that later imports and syncs apply the same decision instead of reverting it.
    """

    __tablename__ = "tag_rules"
    __table_args__ = (UniqueConstraint("type", "key_hash", name="uq_tag_rules_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    raw: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Hash)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
