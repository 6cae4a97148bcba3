"""Reliability of `fanarchive sync`: kill -9 and restart, a site that is down, two at once.

Kill points come from the test hook ``FANARCHIVE_TEST_KILL_AFTER_COMMITS=N`` (see
``fanarchive.sync.runner``): the sync process SIGKILLs itself right after its Nth commit, the
state an outside ``kill -9`` leaves between two transactions. The killed processes are real
`fanarchive sync` runs (``fanarchive.cli.main``), forked from a driver process that imported
fanarchive once: a fresh interpreter per run would cost seconds each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from fanarchive.cli import main
from fanarchive.config import Config
from fanarchive.store.store import Store
from fanarchive.sync.registry import add_source
from fanarchive.sync.runner import KILL_AFTER_COMMITS, sync_source
from tests.sites import FaultPlan, start_site
from tests.sites.server import ArchiveServer

ROOT = Path(__file__).resolve().parents[2]
FAST = {"delay": 0, "adult": True, "allow_private": True, "ignore_crawl_delay": True,
        "deep_recheck_days": 0}
# Kill after this many commits, round after round: uneven, so the kills land at different
# stages (parking, listings, story pages, the final flush and tombstones).
KILL_SCHEDULE = (14, 22, 17, 26, 12, 20, 15, 24, 18, 13, 21, 16)

DRIVER = r"""
import json, os, sys
import fanarchive.cli, fanarchive.sync.runner  # imported once; every run is a fork
for line in sys.stdin:
    pids = []
    for run in json.loads(line):  # started together, waited for together
        pid = os.fork()
        if pid == 0:
            out = os.open(run["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.environ.update(run["env"])
            try:
                code = fanarchive.cli.main(run["argv"])
            except BaseException:
                code = 99
            sys.stdout.flush()
            os._exit(code)
        pids.append(pid)
    results = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        results.append({"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
                        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1})
    print(json.dumps(results), flush=True)
"""


@dataclass
class Driver:
    proc: subprocess.Popen[str]
    folder: Path

    def run_all(self, runs: list[tuple[list[str], dict[str, str]]]) -> list[dict[str, Any]]:
        """Fork one `fanarchive` process per (argv, env), all at once; their exit and output."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        outs = [self.folder / f"out{i}.txt" for i in range(len(runs))]
        request = [{"argv": argv, "env": env, "out": str(out)}
                   for (argv, env), out in zip(runs, outs, strict=True)]
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        results = json.loads(self.proc.stdout.readline())
        for result, out in zip(results, outs, strict=True):
            result["output"] = out.read_text()
        return list(results)

    def run(self, argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
        return self.run_all([(argv, env or {})])[0]


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    proc = subprocess.Popen([sys.executable, "-c", DRIVER], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    yield Driver(proc, tmp_path_factory.mktemp("driver"))
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def snapshot(db_url: str) -> dict[str, Any]:
    """Stories, revisions, tombstones and sightings, keyed by identity (never by row id)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stories = {row.identity: row.removed_at is not None for row in conn.execute(text(
                "select identity, removed_at from stories"))}
            revisions = sorted(
                (row.identity, row.number, row.content_hash, json.dumps(row.diff, sort_keys=True))
                for row in conn.execute(text(
                    "select s.identity, r.number, r.content_hash, r.diff from revisions r "
                    "join stories s on s.id = r.story_id")))
            sightings = sorted((row.identity, row.locator, row.removed_at is not None)
                               for row in conn.execute(text(
                                   "select s.identity, x.locator, x.removed_at "
                                   "from story_sources x join stories s on s.id = x.story_id")))
            pending = conn.execute(text(
                "select count(*) from crawl_urls where state in ('pending', 'fetching')"
            )).scalar_one()
    finally:
        engine.dispose()
    return {"stories": stories, "revisions": revisions, "sightings": sightings,
            "pending": pending}


def assert_no_revision_twice(snap: dict[str, Any]) -> None:
    by_story: dict[str, list[tuple[int, str]]] = {}
    for ident, number, content_hash, _ in snap["revisions"]:
        by_story.setdefault(ident, []).append((number, content_hash))
    for ident, revs in by_story.items():
        numbers = [n for n, _ in sorted(revs)]
        assert numbers == list(range(1, len(numbers) + 1)), ident
        hashes = [h for _, h in sorted(revs)]
        assert all(a != b for a, b in zip(hashes, hashes[1:], strict=False)), ident


def kill_until_done(driver: Driver, db_url: str, schedule: Iterator[int]) -> int:
    """Run `fanarchive sync` killed after N commits, again and again, until it finishes."""
    kills = 0
    for _ in range(40):
        result = driver.run(["--db", db_url, "sync", "-q"],
                            {KILL_AFTER_COMMITS: str(next(schedule))})
        if result["signal"] == 9:
            kills += 1
            continue
        assert (result["signal"], result["code"]) == (0, 0), result["output"]
        return kills
    raise AssertionError("the sync never finished")


def test_kill_9_at_many_points_then_restart_equals_an_uninterrupted_run(
        driver: Driver, site_factory: Callable[..., ArchiveServer], tmp_path: Path,
        config: Config) -> None:
    # 28 stories: enough commits for the kill points (a rated story costs one gate per
    # rating, not one per story, so there are fewer pages than stories suggest).
    site = site_factory("efiction", stories=40, max_chapters=2, crawl_delay=0)
    killed_url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    clean_url = f"sqlite:///{tmp_path / 'clean.sqlite3'}"
    for url in (killed_url, clean_url):
        store = Store.open(url)
        add_source(store, "archive", site.url, settings=FAST)
        store.close()
    schedule = iter(KILL_SCHEDULE * 4)

    def clean_night() -> None:
        store = Store.open(clean_url)
        try:
            sync_source(store, config, "archive")
        finally:
            store.close()

    clean_night()
    kills = kill_until_done(driver, killed_url, schedule)
    first = snapshot(killed_url)
    assert first == snapshot(clean_url)
    visible = sorted(s.sid for s in site.model.visible_stories() if not s.members_only)
    site.model.add_chapter(visible[0])
    site.model.remove_story(visible[1])
    clean_night()
    kills += kill_until_done(driver, killed_url, schedule)
    second = snapshot(killed_url)
    assert kills >= 10, f"only {kills} kill points"
    assert second == snapshot(clean_url)
    assert second["pending"] == 0
    assert sum(second["stories"].values()) == 1  # the removed story, tombstoned once
    assert len(second["revisions"]) == len(first["revisions"]) + 1
    assert_no_revision_twice(second)


def _crawl_config(tmp_path: Path) -> Path:
    """Give up on a dead host at once (the defaults retry for minutes, politely)."""
    path = tmp_path / "fast.toml"
    path.write_text("[fanarchive.crawl]\nretries = 1\nbackoff_base = 0.01\nbackoff_cap = 0.05\n"
                    "connect_timeout = 2.0\nbreaker_pause = 0.1\n")
    return path


def test_site_down_fails_its_run_retries_next_time_others_unaffected(
        site_factory: Callable[..., ArchiveServer], sqlite_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    up = site_factory("efiction", stories=3, max_chapters=2, crawl_delay=0)
    down = site_factory("efiction", stories=3, max_chapters=2, seed=5, crawl_delay=0)
    cli = ["--db", sqlite_url, "--config", str(_crawl_config(tmp_path))]
    flags = ["--delay", "0", "--adult", "--allow-private", "--ignore-crawl-delay"]
    assert main([*cli, "source", "add", "down", down.url, *flags]) == 0
    assert main([*cli, "source", "add", "up", up.url, *flags]) == 0
    assert main([*cli, "sync", "-q"]) == 0
    capsys.readouterr()

    port, model = down.port, down.model
    down.stop()
    up.model.add_chapter(sorted(up.model.stories)[0])
    assert main([*cli, "sync", "-q"]) == 0
    lines = capsys.readouterr().out
    assert "down: failed:" in lines and "unreachable" in lines
    assert "up: 0 new, 1 updated" in lines
    store = Store.open(sqlite_url)
    try:
        runs = store.session.execute(text(
            "select s.name, r.status, r.message from runs r join sources s on s.id = r.source_id "
            "order by r.id")).all()
        assert [(name, status) for name, status, _ in runs[-2:]] == [
            ("down", "failed"), ("up", "finished")]
        assert "unreachable" in runs[-2][2]
        removed = store.session.execute(text(
            "select count(*) from stories where removed_at is not null")).scalar_one()
        assert removed == 0  # an unreachable site is not a site whose stories vanished
    finally:
        store.close()
    assert main([*cli, "status"]) == 0
    assert "failed: SourceUnavailable" in capsys.readouterr().out

    again = start_site("efiction", model=model, port=port, crawl_delay=0)
    try:
        assert main([*cli, "sync", "down", "-q"]) == 0
        assert "down: 0 new, 0 updated" in capsys.readouterr().out
    finally:
        again.stop()


def test_two_sync_processes_at_once_one_says_busy(
        driver: Driver, site_factory: Callable[..., ArchiveServer], sqlite_url: str) -> None:
    # The titles listing trickles out over 3 s: whoever gets the lock holds it that long,
    # far longer than two forks take to start.
    slow = FaultPlan(rate=1.0, kinds=("slow",), only=("/browse.php?type=titles",),
                     slow_seconds=3.0, max_faulted_attempts=1)
    site = site_factory("efiction", stories=2, max_chapters=1, crawl_delay=0, faults=slow)
    assert main(["--db", sqlite_url, "source", "add", "twice", site.url, "--delay", "0",
                 "--adult", "--allow-private", "--ignore-crawl-delay"]) == 0
    command = ["--db", sqlite_url, "sync", "twice", "-q"]
    results = driver.run_all([(command, {}), (command, {})])
    assert [(r["signal"], r["code"]) for r in results] == [(0, 0), (0, 0)], results
    outputs = [r["output"] for r in results]
    busy = [out for out in outputs if "source twice is busy: another sync is running" in out]
    ran = [out for out in outputs if out.startswith("twice: ") and " new, " in out]
    assert len(busy) == 1 and len(ran) == 1, outputs
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from runs where kind = 'sync'")
                                ).scalar_one() == 1
    finally:
        engine.dispose()
