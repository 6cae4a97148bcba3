"""Global CLI options, shared by every command through typer's context."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from fanarchive.config import Config, load_config
from fanarchive.store import database
from fanarchive.store.database import redact
from fanarchive.store.store import Store


@dataclass
class AppState:
    db: str | None = None
    config_path: Path | None = None
    _store: Store | None = field(default=None, repr=False)

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    @property
    def db_url(self) -> str:
        if self.db:
            return self.db
        env = os.environ.get("FANARCHIVE_DB")
        if env:
            return env
        home = self.config.home
        home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{home / 'fanarchive.sqlite3'}"

    @property
    def db_display(self) -> str:
        return redact(self.db_url)

    def store(self, *, read_only: bool = False) -> Store:
        """The store, opened (and migrated) on first use.

        ``read_only`` for commands that only read (export, status, show): on SQLite their
        transactions then begin deferred, so they neither wait for a running sync nor block it.
        """
        if self._store is None:
            if read_only:
                engine = database.create_db_engine(self.db_url)
                database.upgrade(engine)
                self._store = Store(database.read_only(engine))
            else:
                self._store = Store.open(self.db_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
