"""Tables of the sync stage: per-source locks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fanarchive.store.models import Base


class SourceLockRow(Base):
    """Who is syncing a source right now; see :mod:`fanarchive.sync.lock`."""

    __tablename__ = "source_locks"

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
