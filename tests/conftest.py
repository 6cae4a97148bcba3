"""Shared fixtures: databases on every backend, the shipped sample, a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fanarchive.config import Config, load_config
from fanarchive.store.store import Store
from tests.databases import fresh_database

pytest_plugins = ["tests.sites.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE = ROOT / "sample"


@pytest.fixture
def config() -> Config:
    return load_config()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fa.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("mariadb", marks=pytest.mark.mariadb)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite, PostgreSQL and MariaDB, each a fresh database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fa.sqlite3'}"
        return
    with fresh_database(request.param) as url:
        yield url


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    opened = Store.open(sqlite_url)
    yield opened
    opened.close()


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    """The story the project was designed around, copied so tests never touch the original."""
    target = tmp_path / "seed" / "000_481a79eea7d4bed7.txt"
    target.parent.mkdir()
    shutil.copy(FIXTURES / "plaintext" / "seed_following.txt", target)
    return target
