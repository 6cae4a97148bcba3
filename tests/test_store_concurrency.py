"""Two processes writing one SQLite file at once: both finish, neither sees "database is locked".

A transaction that reads before it writes (every save_story does) used to begin deferred; when
the other process committed in between, SQLite refused the lock upgrade at once
(SQLITE_BUSY_SNAPSHOT), whatever busy_timeout said. Transactions now begin IMMEDIATE.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from fanarchive.store import database
from fanarchive.store.models import Revision, StoryRow
from fanarchive.store.store import Sighting, Store
from fanarchive.story import Chapter, Story

ROUNDS = 40
SHARED = "story:both|shared"


def _writer(url: str, name: str, rounds: int, ready: object, go: object) -> None:
    store = Store.open(url, upgrade=False)
    try:
        source = store.ensure_source(name, f"/{name}")
        store.commit()
        sighting = Sighting(source_id=source.id, locator=f"/{name}/story.txt")
        ready.release()  # type: ignore[attr-defined]
        go.wait()  # type: ignore[attr-defined]
        for i in range(rounds):
            # Read first, then write, in one transaction: the pattern that failed.
            store.find_story(SHARED)
            for identity in (f"story:{name}|{i}", SHARED):
                text = f"{name} wrote round {i}."
                store.save_story(Story(title=f"{name} {i}",
                                       chapters=[Chapter(1, text, word_count=4)]),
                                 identity, sighting)
            store.commit()
    finally:
        store.close()


def test_two_processes_write_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fa.sqlite3'}"
    Store.open(url).close()  # migrated once, before the writers start
    spawn = multiprocessing.get_context("spawn")
    ready, go = spawn.Semaphore(0), spawn.Event()
    workers = [spawn.Process(target=_writer, args=(url, name, ROUNDS, ready, go))
               for name in ("alpha", "beta")]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            assert ready.acquire(timeout=120), "a writer did not start"
        go.set()
        for worker in workers:
            worker.join(timeout=240)
        # A "database is locked" in a writer is an exception there: a non-zero exit code.
        assert [w.exitcode for w in workers] == [0, 0]
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()

    store = Store.open(url, upgrade=False)
    try:
        assert store.count(StoryRow) == 2 * ROUNDS + 1
        row = store.find_story(SHARED)
        assert row is not None
        numbers = store.session.scalars(select(Revision.number).where(
            Revision.story_id == row.id).order_by(Revision.number)).all()
        # Serialized writers: every save of the shared story became the next revision.
        assert list(numbers) == list(range(1, 2 * ROUNDS + 1))
        assert row.current_revision == 2 * ROUNDS
    finally:
        store.close()


def test_writes_begin_immediate_and_reads_deferred(tmp_path: Path) -> None:
    """A write transaction holds the lock from BEGIN; a read-only one never takes it."""
    path = tmp_path / "fa.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    try:
        store.count(StoryRow)  # a read in a write session: BEGIN IMMEDIATE took the lock
        other = sqlite3.connect(path, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        store.commit()
        other.execute("BEGIN IMMEDIATE")  # free again
        # Meanwhile a read-only store reads without waiting for that writer.
        reader = Store(database.read_only(database.create_db_engine(f"sqlite:///{path}")))
        try:
            assert reader.count(StoryRow) == 0
        finally:
            reader.close()
        other.rollback()
        other.close()
    finally:
        store.close()


def test_status_and_export_do_not_wait_for_a_running_writer(tmp_path: Path) -> None:
    """A sync holds the write lock for a batch; read-only commands read past it at once."""
    from fanarchive.cli import main

    path = tmp_path / "fa.sqlite3"
    url = f"sqlite:///{path}"
    store = Store.open(url)
    try:
        source = store.ensure_source("s", "/s")
        store.save_story(Story(title="Kept", chapters=[Chapter(1, "Some words.", word_count=2)]),
                         "story:kept", Sighting(source_id=source.id, locator="/s/kept.txt"))
        store.commit()
    finally:
        store.close()
    writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the "sync", mid-batch
    writer.execute("UPDATE stories SET title = 'Uncommitted'")
    try:
        started = time.monotonic()
        assert main(["--db", url, "status"]) == 0
        assert main(["--db", url, "export", "-o", str(tmp_path / "out.jsonl")]) == 0
        assert time.monotonic() - started < database.BUSY_TIMEOUT_MS / 1000 / 3
        assert '"Kept"' in (tmp_path / "out.jsonl").read_text()  # the last committed state
    finally:
        writer.rollback()
        writer.close()
