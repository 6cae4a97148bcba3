"""Registered sources: sync, tombstones, restore, the per-source lock, the schedule."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from fanarchive.cli import main
from fanarchive.config import Config
from fanarchive.errors import UsageError
from fanarchive.store.store import Store
from fanarchive.sync.lock import SourceBusy, SourceLock
from fanarchive.sync.registry import add_source, list_sources, load_sources_from_config
from fanarchive.sync.runner import sync_source
from fanarchive.sync.scheduler import missed_since
from tests.conftest import SAMPLE


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "archive"
    shutil.copytree(SAMPLE, target)
    return target


def test_sync_tombstones_vanished_story_and_restores_it(store: Store, config: Config,
                                                        folder: Path) -> None:
    add_source(store, "sample", str(folder))
    first = sync_source(store, config, "sample")
    assert (first.new, first.removed) == (3, 0)
    moved = folder.parent / "aside.txt"
    (folder / "following.txt").rename(moved)
    second = sync_source(store, config, "sample")
    assert (second.new, second.unchanged, second.removed) == (0, 2, 1)
    row = store.find_story("story:katjen|following")
    assert row is not None and row.removed_at is not None
    assert [r.title for r in store.iter_stories()].count("Following") == 0
    assert "Following" in [r.title for r in store.iter_stories(include_removed=True)]
    moved.rename(folder / "following.txt")
    third = sync_source(store, config, "sample")
    assert (third.updated, third.unchanged, third.removed) == (1, 2, 0)
    assert store.find_story("story:katjen|following").removed_at is None  # type: ignore[union-attr]


def test_failed_item_is_not_tombstoned(store: Store, config: Config, folder: Path) -> None:
    add_source(store, "sample", str(folder))
    sync_source(store, config, "sample")
    (folder / "following.txt").write_bytes(b"")  # now unreadable as a story
    report = sync_source(store, config, "sample")
    assert (report.failed, report.removed) == (1, 0)


def test_lock_excludes_a_second_holder_and_survives_a_dead_one(any_db_url: str) -> None:
    store = Store.open(any_db_url)
    try:
        source = store.ensure_source("s", "/s")
        store.commit()
        with SourceLock(store.engine, source.id, "s"), pytest.raises(SourceBusy):
            SourceLock(store.engine, source.id, "s").acquire()
        # A holder that was killed -9 leaves its row behind; its dead pid frees the lock.
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
        ghost = SourceLock(store.engine, source.id, "s")
        ghost.holder = ghost.holder.split(":")[0] + f":{dead}:ghost"
        ghost.acquire()
        ghost._stop.set()  # the ghost "dies" without releasing
        with SourceLock(store.engine, source.id, "s") as lock:
            assert lock.holder != ghost.holder
    finally:
        store.close()


def test_two_sync_commands_at_once_one_says_busy(sqlite_url: str, folder: Path,
                                                 capsys) -> None:
    assert main(["--db", sqlite_url, "source", "add", "sample", str(folder)]) == 0
    store = Store.open(sqlite_url)
    source = store.get_source("sample")
    assert source is not None
    # SQLite write transactions begin IMMEDIATE: an idle session must not keep one open while
    # this "other sync" (the lock below, the CLI run) writes on other connections.
    store.commit()
    with SourceLock(store.engine, source.id, "sample"):
        capsys.readouterr()
        assert main(["--db", sqlite_url, "sync", "sample", "-q"]) == 0
        assert "busy" in capsys.readouterr().out
    assert main(["--db", sqlite_url, "sync", "-q"]) == 0
    assert "3 new" in capsys.readouterr().out
    store.close()


def test_source_registry_validates(store: Store, folder: Path) -> None:
    add_source(store, "ok", str(folder), schedule="0 3 * * *", settings={"delay": "0.5"})
    assert [s.name for s in list_sources(store)] == ["ok"]
    assert list_sources(store)[0].settings == {"delay": 0.5}
    with pytest.raises(UsageError, match="already exists"):
        add_source(store, "ok", str(folder))
    with pytest.raises(UsageError, match="cron"):
        add_source(store, "bad", str(folder), schedule="every night")
    with pytest.raises(UsageError, match="unknown source setting"):
        add_source(store, "bad", str(folder), settings={"speed": 3})
    with pytest.raises(UsageError, match="source name"):
        add_source(store, "no spaces", str(folder))
    loaded = load_sources_from_config(store, {"toml": {"location": str(folder),
                                                       "schedule": "30 2 * * *",
                                                       "adult": True}})
    assert loaded[0].settings == {"adult": True}


def test_missed_runs_are_detected() -> None:
    trigger = CronTrigger.from_crontab("0 3 * * *", timezone="UTC")
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert missed_since(trigger, None, now)
    assert missed_since(trigger, now - timedelta(days=2), now)
    assert not missed_since(trigger, datetime(2026, 11, 25, 3, 0, 5, tzinfo=UTC), now)


def test_source_cli_round_trip(sqlite_url: str, folder: Path, capsys) -> None:
    assert main(["--db", sqlite_url, "source", "add", "s1", str(folder), "--schedule",
                 "0 3 * * *", "--fandom", "Due South", "--delay", "0"]) == 0
    assert main(["--db", sqlite_url, "source", "list"]) == 0
    assert "s1" in capsys.readouterr().out
    assert main(["--db", sqlite_url, "source", "show", "s1"]) == 0
    shown = capsys.readouterr().out
    assert "0 3 * * *" in shown and "Due South" in shown and "delay" in shown
    assert main(["--db", sqlite_url, "source", "remove", "s1"]) == 0
    assert main(["--db", sqlite_url, "source", "show", "s1"]) == 1


def test_scheduler_catches_up_reloads_and_stops_on_sigterm(sqlite_url: str, folder: Path,
                                                          tmp_path: Path) -> None:
    import os
    import signal
    import time

    from sqlalchemy import create_engine, text

    assert main(["--db", sqlite_url, "source", "add", "nightly", str(folder),
                 "--schedule", "0 3 * * *"]) == 0
    log = (tmp_path / "scheduler.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "fanarchive", "--db", sqlite_url,
                             "scheduler", "--reload-every", "1"], stdout=log, stderr=log)
    engine = create_engine(sqlite_url)
    try:
        deadline = time.monotonic() + 60
        runs = 0
        while time.monotonic() < deadline and not runs:
            with engine.connect() as conn:
                runs = conn.execute(text("select count(*) from runs where kind='sync' "
                                         "and status='finished'")).scalar_one()
            time.sleep(0.3)
        assert runs == 1, "the never-run source should have been caught up once at start"
        # A source added while the daemon runs is picked up without a restart.
        assert main(["--db", sqlite_url, "source", "add", "later", str(folder),
                     "--schedule", "15 4 * * *"]) == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "scheduled later" not in Path(log.name).read_text():
            time.sleep(0.3)
        assert "scheduled later" in Path(log.name).read_text()
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "Scheduler stopped" in Path(log.name).read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()


def test_sources_from_a_config_file_are_registered_by_sync(sqlite_url: str, folder: Path,
                                                           tmp_path: Path, capsys) -> None:
    config = tmp_path / "my.toml"
    config.write_text(f'[sources.fromtoml]\nlocation = "{folder}"\nschedule = "0 3 * * *"\n'
                      'delay = 0.5\n', encoding="utf-8")
    assert main(["--db", sqlite_url, "--config", str(config), "sync", "-q"]) == 0
    assert "fromtoml: 3 new" in capsys.readouterr().out
    assert main(["--db", sqlite_url, "source", "show", "fromtoml"]) == 0
    shown = capsys.readouterr().out
    assert "0 3 * * *" in shown and "0.5" in shown


def test_status_shows_next_scheduled_run(sqlite_url: str, folder: Path, capsys) -> None:
    assert main(["--db", sqlite_url, "source", "add", "nightly", str(folder),
                 "--schedule", "0 3 * * *"]) == 0
    capsys.readouterr()
    assert main(["--db", sqlite_url, "status"]) == 0
    out = capsys.readouterr().out
    assert 'schedule: nightly "0 3 * * *", next run' in out and " 03:00 " in out
