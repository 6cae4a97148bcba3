"""Cost of syncing an unchanged eFiction archive, relative to its first import.

    python bench/bench_sync.py                 # 500 stories
    python bench/bench_sync.py --stories 100   # a smoke run

A served eFiction-like archive (tests/sites, loopback, no delays) is imported once with
``fanarchive sync`` semantics, then synced again without any change: with the deep re-check
off, then with the default nightly share (1/30 of the stories re-read). Targets (issue 6):
0 story writes, wall time of the unchanged sync at most 0.1x the first import.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import figure  # noqa: E402


def _writes(store: object) -> int:
    from fanarchive.store.models import Revision

    return int(store.count(Revision))  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=500)
    parser.add_argument("--max-chapters", type=int, default=12)
    args = parser.parse_args()

    from fanarchive.config import load_config
    from fanarchive.store.store import Store
    from fanarchive.sync.registry import add_source
    from fanarchive.sync.runner import sync_source
    from tests.sites import start_site

    site = start_site("efiction", stories=args.stories, max_chapters=args.max_chapters,
                      crawl_delay=0)
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.sqlite3")
        add_source(store, "bench", site.url, settings={
            "delay": 0, "allow_private": True, "ignore_crawl_delay": True, "adult": True,
            "deep_recheck_days": 0})
        try:
            rows = []
            for label, deep_days in (("first import", 0), ("unchanged sync", 0),
                                     ("unchanged sync, deep 1/30", 30)):
                source = store.get_source("bench")
                assert source is not None
                source.settings = {**source.settings, "deep_recheck_days": deep_days}
                store.commit()
                revisions = _writes(store)
                started = time.perf_counter()
                report = sync_source(store, config, "bench", today=date(2026, 11, 25))
                wall = time.perf_counter() - started
                writes = _writes(store) - revisions
                rows.append((label, report, wall, writes))
        finally:
            store.close()
            site.stop()
    first_wall = rows[0][2]
    print(f"eFiction site: {args.stories} stories, up to {args.max_chapters} chapters each")
    for label, report, wall, writes in rows:
        crawl = report.crawl
        print(f"-- {label}: {report.new} new, {report.updated} updated, "
              f"{report.unchanged} unchanged, {report.removed} removed, {report.failed} failed")
        print(figure("requests", crawl.requests, ""))
        print(figure("bytes received", crawl.bytes_in / 1e6, "MB"))
        print(figure("story writes (revisions)", writes, ""))
        print(figure("wall time", wall, "s"))
        print(f"{'wall time vs first import':<34} {wall / first_wall:>14.3f} x")


if __name__ == "__main__":
    main()
