"""Open a database by URL, set SQLite up for safe concurrent use, apply migrations."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from fanarchive.errors import DatabaseError, UsageError


def redact(url: str) -> str:
    """The URL with any password hidden, safe for logs and ``status``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


# scheme://user:password@ anywhere in a text; RFC 3986 allows ":" in the password, not "@".
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/?#@:]*):[^\s/?#@]*@")


def redact_text(text: str) -> str:
    """``text`` with the password of every URL in it hidden, and nothing else changed.

    For locators, messages and options that may carry a source's ``user:password@`` URL
    (unlike :func:`redact`, a URL without a password comes back byte for byte).
    """
    return _URL_PASSWORD.sub(r"\1:***@", text) if text and "@" in text else text


# SQLite transactions begin IMMEDIATE: the write lock is taken at BEGIN, where busy_timeout
# waits for another writer to commit. A deferred BEGIN starts as a read, and when a read-then-
# write transaction upgrades its lock after another connection committed, SQLite fails it at once
# ("database is locked", SQLITE_BUSY_SNAPSHOT: waiting cannot help, its snapshot is stale).
# Connections that only read (export, status, show, a look at a lock row) ask for a deferred
# BEGIN with read_only(): in WAL mode they then never wait for, nor block, a writer.
READ_ONLY = "fanarchive_read_only"
BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """``engine`` for work that only reads: on SQLite its transactions begin deferred, so a
    long export neither waits for a running sync nor holds the write lock against it.

    Writing through it still works, with the old risk: a read-then-write transaction can fail
    with "database is locked" when another process committed meanwhile.
    """
    return engine.execution_options(**{READ_ONLY: True})


def create_db_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"not a database URL: {redact(url)}") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    elif parsed.get_backend_name() in ("mysql", "mariadb"):
        query = dict(parsed.query)
        query.setdefault("charset", "utf8mb4")
        parsed = parsed.set(query=query)
        kwargs["pool_recycle"] = 3600
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise UsageError(f"cannot use database {redact(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("fanarchive_db")))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    script = ScriptDirectory(str(resources.files("fanarchive_db")))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with read_only(engine).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply every pending migration; returns (before, after) revision ids."""
    try:
        before = current_revision(engine)
        if before != head_revision():
            command.upgrade(_alembic_config(engine), "head")
        return before, current_revision(engine)
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot reach database {redact(str(engine.url))}: {exc.orig}"
        ) from exc
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot upgrade database {redact(str(engine.url))}: {exc}") from exc
