"""kill -9 in the middle of a crawl, then run the same import again.

The import runs as a real ``fanarchive`` process against a served archive; it is killed with
SIGKILL (no handler, no flush) once some of the story pages have been fetched, then started
again and left to finish. The database must equal that of an uninterrupted crawl of an
identical site on the same address, and no page stored before the kill may be fetched again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    cli_config,
    cli_import,
    counts,
    crawl,
    duplicate_rows,
    kill_hard,
    records,
    serve_cookieless,
    start_cli_import,
    visible_sids,
)
from tests.sites.server import ArchiveServer

STORIES, CHAPTERS = 12, 3
# A small politeness delay so the crawl takes a few seconds and the kill lands inside it.
DELAY = ("--delay", "0.02")


def _serve(port: int = 0) -> ArchiveServer:
    return serve_cookieless(seed=7, stories=STORIES, max_chapters=CHAPTERS, port=port)


def _comparable(store: Store) -> list[dict[str, Any]]:
    out = []
    for record in records(store):
        for source in record["sources"]:
            source.pop("fetched_at")  # when, not what
        out.append(record)
    return sorted(out, key=lambda r: r["id"])


def _differences(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[str]:
    """Which records differ, and in which fields (readable when the comparison fails)."""
    out = []
    mine = {r["id"]: r for r in got}
    for record in want:
        other = mine.pop(record["id"], None)
        if other is None:
            out.append(f"{record['title']!r}: missing")
            continue
        for key in record:
            mine_value, want_value = other.get(key), record[key]
            if mine_value == want_value:
                continue
            if isinstance(mine_value, dict) and isinstance(want_value, dict):
                mine_value = {k: v for k, v in mine_value.items() if want_value.get(k) != v}
                want_value = {k: v for k, v in want_value.items() if other[key].get(k) != v}
            out.append(f"{record['title']!r} {key}: {mine_value!r:.300} != {want_value!r:.300}")
    out += [f"{r['title']!r}: extra" for r in mine.values()]
    return out


def _pages(store: Store) -> set[tuple[str, str]]:
    return {(str(u), str(s)) for u, s in store.session.execute(
        text("SELECT url, sha256 FROM documents")).all()}


def _frontier(store: Store) -> set[tuple[str, str, str | None]]:
    return {(str(u), str(s), o) for u, s, o in store.session.execute(
        text("SELECT url, state, outcome FROM crawl_urls")).all()}


def test_kill_9_mid_crawl_then_resume_equals_an_uninterrupted_crawl(tmp_path: Path) -> None:
    config = cli_config(tmp_path)
    reference = _serve()
    port = reference.port
    whole_db = f"sqlite:///{tmp_path / 'whole.sqlite3'}"
    try:
        # The reference runs in this process (same pipeline, same settings as the command).
        store = Store.open(whole_db)
        report = crawl(store, reference.url + "/", delay=float(DELAY[1]))
        store.close()
        assert report.crawl.complete and report.failed == 0
        whole_requests = len(reference.log)
    finally:
        reference.stop()

    site = _serve(port)  # the same archive at the same address, so URLs and ids agree
    resumed_db = f"sqlite:///{tmp_path / 'resumed.sqlite3'}"
    try:
        readable = visible_sids(site.model, access=["open", "warning", "age_consent"])
        process = start_cli_import(resumed_db, site.url + "/", *DELAY, config=config)
        deadline = time.monotonic() + 60
        # Kill once about half of the stories' printer views have been served.
        while time.monotonic() < deadline and process.poll() is None:
            served = [e for e in site.log if "action=printable" in e.path and e.status == 200]
            if len(served) >= len(readable) // 2:
                break
            time.sleep(0.005)
        assert process.poll() is None, "the crawl ended before the kill"
        kill_hard(process)
        assert process.returncode == -9
        killed_at = len(site.log)
        assert 0 < killed_at < whole_requests

        with_kill = Store.open(resumed_db)
        stored_before = {url for url, _ in _pages(with_kill)
                         if not url.endswith("/robots.txt")}
        with_kill.close()
        assert stored_before, "nothing was stored before the kill"

        again = cli_import(resumed_db, site.url + "/", *DELAY, config=config)
        assert again.returncode == 0, again.stderr
        after = [site.url + e.path for e in site.log.entries()[killed_at:]]
    finally:
        site.stop()

    # Pages stored before the kill were not fetched again (robots.txt is, once per run).
    assert sorted(stored_before & set(after)) == []
    assert after and len(after) < whole_requests

    whole, resumed = Store.open(whole_db), Store.open(resumed_db)
    try:
        assert _differences(_comparable(resumed), _comparable(whole)) == []
        assert len(_comparable(whole)) == len(readable)
        assert counts(resumed) == counts(whole)
        assert _pages(resumed) == _pages(whole)
        assert _frontier(resumed) == _frontier(whole)
        table = counts(resumed)
        assert table["revisions"] == table["stories"] == len(readable)  # one revision each
        assert duplicate_rows(resumed) == dict.fromkeys(duplicate_rows(resumed), 0)
    finally:
        whole.close()
        resumed.close()
