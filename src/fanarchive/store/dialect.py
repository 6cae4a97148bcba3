"""Insert-if-absent that is safe when two processes race on the same key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(dialect: str, table: Table) -> Any:
    # Built once per table and dialect: constructing statements is a large share of the
    # per-row cost on the import hot path.
    key = (dialect, table.name)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        if dialect == "postgresql":
            stmt = pg_insert(table).on_conflict_do_nothing()
        elif dialect in ("mysql", "mariadb"):
            # INSERT IGNORE would also hide truncation errors; "pk = pk" is a true no-op that
            # only skips duplicates (0 affected rows). "pk = VALUES(pk)" would renumber an
            # auto-increment row that clashed on another unique key.
            pk = next(iter(table.primary_key.columns)).name
            stmt = mysql_insert(table).on_duplicate_key_update({pk: table.c[pk]})
        else:
            stmt = sqlite_insert(table).on_conflict_do_nothing()
        _STATEMENTS[key] = stmt
    return stmt


def insert_ignore(session: Session | Connection, table: Table,
                  rows: list[dict[str, Any]]) -> int:
    """Insert the rows that do not exist yet; for one row, returns 1 if it was inserted."""
    if not rows:
        return 0
    bind = session.get_bind() if isinstance(session, Session) else session
    result = session.execute(_statement(bind.dialect.name, table), rows)
    return int(getattr(result, "rowcount", 0) or 0)
