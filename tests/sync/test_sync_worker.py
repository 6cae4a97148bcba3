"""Scale-out: two `fanarchive worker` processes on one PostgreSQL queue sync like one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from fanarchive.cli import main
from fanarchive.config import Config
from fanarchive.store.store import Store
from fanarchive.sync.registry import add_source
from fanarchive.sync.runner import sync_source
from fanarchive.sync.worker import job_lock
from tests.databases import fresh_database
from tests.sites.server import ArchiveServer

ROOT = Path(__file__).resolve().parents[2]
FAST = {"delay": 0, "adult": True, "allow_private": True, "ignore_crawl_delay": True,
        "deep_recheck_days": 0}


def snapshot(db_url: str) -> dict[str, Any]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            revisions = sorted(
                (row.identity, row.number, row.content_hash, _json(row.diff))
                for row in conn.execute(text(
                    "select s.identity, r.number, r.content_hash, r.diff from revisions r "
                    "join stories s on s.id = r.story_id")))
            stories = sorted((row.identity, row.title, row.removed_at is not None)
                             for row in conn.execute(text(
                                 "select identity, title, removed_at from stories")))
    finally:
        engine.dispose()
    return {"stories": stories, "revisions": revisions}


def _json(value: Any) -> str:
    """SQLite hands JSON back as text, PostgreSQL as objects: compare them as one."""
    return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)


def register(db_url: str, sites: dict[str, ArchiveServer]) -> None:
    store = Store.open(db_url)
    try:
        for name, site in sites.items():
            add_source(store, name, site.url, settings=FAST)
    finally:
        store.close()


@pytest.mark.postgres
def test_two_workers_sync_like_one_process(site_factory: Callable[..., ArchiveServer],
                                           tmp_path: Path, config: Config) -> None:
    one = site_factory("efiction", stories=2, max_chapters=2, crawl_delay=0)
    two = site_factory("efiction", stories=2, max_chapters=2, seed=7, crawl_delay=0)
    # "again" crawls the same archive as "alpha": their jobs share one host lock.
    sites = {"alpha": one, "again": one, "beta": two}
    reference = f"sqlite:///{tmp_path / 'one-process.sqlite3'}"
    register(reference, sites)
    store = Store.open(reference)
    try:
        for name in sites:
            sync_source(store, config, name)
    finally:
        store.close()

    with fresh_database("postgresql") as db_url:
        register(db_url, sites)
        assert main(["--db", db_url, "sync", "--queue", *sites]) == 0
        assert main(["--db", db_url, "sync", "--queue", "alpha"]) == 0  # already waiting
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        workers = [subprocess.Popen(
            [sys.executable, "-m", "fanarchive", "--db", db_url, "worker", "--until-idle",
             "--name", f"w{i}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=env) for i in (1, 2)]
        logs = [worker.communicate(timeout=240)[0] for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], logs
        assert snapshot(db_url) == snapshot(reference)
        engine = create_engine(db_url)
        try:
            with engine.connect() as conn:
                jobs = conn.execute(text(
                    "select args->>'source' as source, status, lock from procrastinate_jobs "
                    "order by id")).all()
                runs = conn.execute(text(
                    "select s.name, r.status, r.started_at, r.finished_at from runs r "
                    "join sources s on s.id = r.source_id order by r.started_at")).all()
        finally:
            engine.dispose()
        assert sorted((job.source, job.status) for job in jobs) == [
            ("again", "succeeded"), ("alpha", "succeeded"), ("beta", "succeeded")]
        assert {job.lock for job in jobs if job.source in ("alpha", "again")} == {
            job_lock(one.url, "alpha")}
        assert [run.status for run in runs] == ["finished"] * 3
        same_host = [run for run in runs if run.name in ("alpha", "again")]
        assert same_host[0].finished_at <= same_host[1].started_at, "one host, one at a time"


def test_worker_needs_postgresql(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", sqlite_url, "worker"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs PostgreSQL" in err[0] and "sqlite" in err[0]
    assert main(["--db", "mysql+pymysql://root@127.0.0.1/none", "sync", "--queue", "x"]) == 1
    assert "needs PostgreSQL" in capsys.readouterr().err
