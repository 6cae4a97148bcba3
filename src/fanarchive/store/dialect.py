"""Insert-if-absent that is safe when two processes race on the same key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(session: Session | Connection, table: Table,
                  rows: list[dict[str, Any]]) -> int:
    """Insert the rows that do not exist yet; for one row, returns 1 if it was inserted."""
    if not rows:
        return 0
    bind = session.get_bind() if isinstance(session, Session) else session
    name = bind.dialect.name
    if name == "postgresql":
        result = session.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    elif name in ("mysql", "mariadb"):
        # INSERT IGNORE would also hide truncation errors; a no-op update only skips duplicates
        # (and reports 0 affected rows for them).
        stmt = mysql_insert(table)
        key = next(iter(table.primary_key.columns)).name
        result = session.execute(stmt.on_duplicate_key_update({key: stmt.inserted[key]}), rows)
    else:
        result = session.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
    return int(getattr(result, "rowcount", 0) or 0)
