"""Real database servers for the suite: a fresh database per test, dropped afterwards.

PostgreSQL and MariaDB run on this machine (``.ci/run`` starts them). Locally a missing server
skips its tests with the reason; under CI (``CI=true``) it fails them, so a green CI run means
every backend was really exercised.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

PG_ADMIN = os.environ.get("FANARCHIVE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_ADMIN = os.environ.get("FANARCHIVE_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} not reachable: {exc}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """Yield the URL of a new empty database on ``backend``; drop it afterwards."""
    if backend == "sqlite":
        raise ValueError("use tmp_path for SQLite")
    name = f"fa_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin_url = PG_ADMIN if backend == "postgresql" else MARIADB_ADMIN
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                                  "COLLATE utf8mb4_unicode_ci"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        engine.dispose()
        _unavailable(backend, exc)
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()
