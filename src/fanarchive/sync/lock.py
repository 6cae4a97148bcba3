"""A per-source lock in the database, so one source syncs once at a time across processes.

A row per source holds the holder ("host:pid:token") and a heartbeat. Taking the lock is one
conditional UPDATE, atomic on every backend. A holder that died (kill -9) is detected either by
its process being gone on this host or by a heartbeat older than ``stale_after``.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import ColumnElement, Engine, or_, select, update

from fanarchive.errors import FanarchiveError
from fanarchive.store.database import read_only
from fanarchive.store.dialect import insert_ignore
from fanarchive.store.models import table_of
from fanarchive.store.sync_models import SourceLockRow


class SourceBusy(FanarchiveError):
    """Another process is syncing this source right now."""


def _now() -> datetime:
    return datetime.now(UTC)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_dead(holder: str | None) -> bool:
    if not holder:
        return True
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def _holder_alive_here(holder: str | None) -> bool:
    """A holder on this host whose process runs: never stale, whatever its heartbeat says
    (SQLite syncs write no heartbeats)."""
    if not holder:
        return False
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and _pid_alive(int(pid))


class SourceLock:
    def __init__(self, engine: Engine, source_id: int, source_name: str = "",
                 stale_after: float = 120.0, heartbeat_every: float = 20.0) -> None:
        self.engine = engine
        self.source_id = source_id
        self.source_name = source_name or str(source_id)
        self.stale_after = timedelta(seconds=stale_after)
        self.heartbeat_every = heartbeat_every
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        self._refuse_if_held()
        table = table_of(SourceLockRow)
        with self.engine.begin() as conn:
            insert_ignore(conn, table, [{"source_id": self.source_id, "holder": None}])
            current = conn.execute(
                select(SourceLockRow.holder).where(SourceLockRow.source_id == self.source_id)
            ).scalar_one_or_none()
            dead = _holder_dead(current)
            now = _now()
            condition: ColumnElement[bool] = SourceLockRow.holder.is_(None)
            if current is not None and not _holder_alive_here(current):
                condition = or_(condition, SourceLockRow.heartbeat_at < now - self.stale_after)
            if dead and current is not None:
                condition = or_(condition, SourceLockRow.holder == current)
            taken = conn.execute(
                update(table).where(SourceLockRow.source_id == self.source_id, condition)
                .values(holder=self.holder, acquired_at=now, heartbeat_at=now)
            ).rowcount
        if taken != 1:
            raise SourceBusy(f"source {self.source_name} is busy: another sync is running "
                             f"({current}); try again when it finishes")
        # SQLite is one machine: a dead pid is detected directly, and a second connection
        # writing heartbeats would break the importer's read snapshot (SQLITE_BUSY_SNAPSHOT).
        if self.engine.dialect.name != "sqlite":
            self._thread = threading.Thread(target=self._beat, daemon=True,
                                            name=f"lock-{self.source_name}")
            self._thread.start()

    def _refuse_if_held(self) -> None:
        """Look before writing: a source that is plainly busy is refused with a read only.

        On SQLite the attempt to take the lock is a write transaction, and a write that
        overlaps the running sync's read-then-write transactions fails them at once
        ("database is locked": a reader cannot wait for a writer), so a second `fanarchive
        sync` must not even try while the holder is alive.
        """
        with read_only(self.engine).connect() as conn:  # a deferred BEGIN: never waits
            row = conn.execute(select(SourceLockRow.holder, SourceLockRow.heartbeat_at)
                               .where(SourceLockRow.source_id == self.source_id)).first()
        if row is None or row.holder is None or _holder_dead(row.holder):
            return
        if _holder_alive_here(row.holder):
            raise SourceBusy(f"source {self.source_name} is busy: another sync is running "
                             f"({row.holder}); try again when it finishes")
        beat = row.heartbeat_at
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=UTC)
        if beat is not None and beat < _now() - self.stale_after:
            return
        raise SourceBusy(f"source {self.source_name} is busy: another sync is running "
                         f"({row.holder}); try again when it finishes")

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            with self.engine.begin() as conn:
                conn.execute(update(table_of(SourceLockRow))
                             .where(SourceLockRow.source_id == self.source_id,
                                    SourceLockRow.holder == self.holder)
                             .values(heartbeat_at=_now()))

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.engine.begin() as conn:
            conn.execute(update(table_of(SourceLockRow))
                         .where(SourceLockRow.source_id == self.source_id,
                                SourceLockRow.holder == self.holder)
                         .values(holder=None, acquired_at=None, heartbeat_at=None))

    def __enter__(self) -> SourceLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
