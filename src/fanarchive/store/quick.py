"""Point look-ups run on the driver's cursor, for the few queries made once per story.

An import asks two questions of every story (is this identity known? is this text known?).
Through SQLAlchemy's execution machinery each costs several times what the database spends on
it, so they are compiled once per dialect by SQLAlchemy (parameters stay bound parameters)
and then run directly on the DBAPI cursor of the session's own connection and transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import Select


class QuickQuery:
    """One SELECT, compiled per dialect, whose rows come back as ``make(*values)``."""

    def __init__(self, statement: Select[Any] | Any, make: Callable[..., Any] = tuple) -> None:
        self.statement = statement
        self.make = make
        self._compiled: dict[str, tuple[str, list[str] | None, dict[str, Any]]] = {}

    def first(self, conn: Connection, params: dict[str, Any]) -> Any:
        sql, order, defaults = self._compile(conn)
        values = {**defaults, **params}  # defaults: values SQLAlchemy bound itself (LIMIT 1)
        args: Any = tuple(values[name] for name in order) if order is not None else values
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, args)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else self.make(*row)

    def _compile(self, conn: Connection) -> tuple[str, list[str] | None, dict[str, Any]]:
        found = self._compiled.get(conn.dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=conn.dialect)
            order = list(compiled.positiontup) if compiled.positiontup is not None else None
            defaults = {k: v for k, v in compiled.params.items() if v is not None}
            found = self._compiled[conn.dialect.name] = (compiled.string, order, defaults)
        return found
