"""Simulated nights of `fanarchive sync` against the served eFiction archive.

Configuration of the main test (``test_four_nights``), stated exactly:

* site: ``efiction_site``-like, 12 stories (seed 0, up to 4 chapters), no validators (as real
  eFiction), robots Crawl-delay 0; source settings ``delay = 0``, ``adult = true``,
  ``deep_recheck_days = 20`` (the deep re-check re-reads 1/20 of the stories per night);
* night 1 (``today`` = D1): full import;
* night 2 (D2): story A and story B each get chapter 1 edited silently (one word replaced: the
  word count and the Updated date stay), story C gets a chapter, story R is removed. D2 is the
  first day after today whose 1/20 share holds exactly one of the stored stories other than C
  and R: that story is A. So A's edit is caught by the deep re-check and B's is not (until B's
  own night);
* night 3 (D3, a day whose share holds none of the stories): nothing changed;
* night 4 (D3 again): R is back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fanarchive.config import Config
from fanarchive.store.models import Revision, Run, StoryRow
from fanarchive.store.store import Store
from fanarchive.sync.changes import DeepCheck
from fanarchive.sync.registry import add_source
from fanarchive.sync.runner import sync_source
from tests.sites.server import ArchiveServer

FAST = {"delay": 0, "adult": True, "allow_private": True, "ignore_crawl_delay": True}


def identity(site: ArchiveServer, sid: int) -> str:
    return f"efiction:{site.host}:{site.port}:{sid}"


def stored_sids(site: ArchiveServer) -> list[int]:
    """Stories a sync can store: all visible ones but the members-only."""
    return sorted(s.sid for s in site.model.visible_stories() if not s.members_only)


def edit_one_word(site: ArchiveServer, sid: int) -> None:
    """A typo fix: chapter 1's first word replaced; words, Updated and chapters stay."""
    chapter = site.model.story(sid).chapters[0]
    first, rest = chapter.text.split(" ", 1)
    site.model.edit_chapter(sid, 1, ("Edited" if first != "Edited" else "Fixed") + " " + rest)


def night(store: Store, config: Config, site: ArchiveServer, today: date) -> tuple[Any, Run]:
    site.log.clear()
    report = sync_source(store, config, "archive", today=today)
    run = store.session.get(Run, report.run_id)
    assert run is not None and run.status == "finished", run and run.message
    return report, run


def changes_of(run: Run) -> dict[str, Any]:
    """What the change detection did in a run (``runs.options["changes"]``)."""
    assert run.options is not None
    return dict(run.options["changes"])


def diff(revision: Revision) -> dict[str, Any]:
    assert revision.diff is not None
    return dict(revision.diff)


def counts(report: Any) -> tuple[int, int, int, int, int]:
    return report.new, report.updated, report.unchanged, report.removed, report.failed


def revisions(store: Store, site: ArchiveServer, sid: int) -> list[Revision]:
    row = store.find_story(identity(site, sid))
    assert row is not None
    return list(store.revisions(row))


def body_requests(site: ArchiveServer) -> list[str]:
    """Requests for a story's own pages (reading view, gate, printer view)."""
    return [e.path for e in site.log if e.route == "/viewstory.php"]


def find_day(start: date, wanted: Callable[[date], bool], days: int = 19) -> date:
    for offset in range(1, days + 1):
        day = start + timedelta(days=offset)
        if wanted(day):
            return day
    pytest.skip("no suitable day in the deep re-check rotation (ports decide identities)")


def test_four_nights(site_factory: Callable[..., ArchiveServer], store: Store,
                     config: Config) -> None:
    site = site_factory("efiction", stories=12, max_chapters=4, crawl_delay=0)
    add_source(store, "archive", site.url, settings={**FAST, "deep_recheck_days": 20})
    sids = stored_sids(site)
    today = datetime.now(UTC).date()
    share = DeepCheck(1 / 20, today)
    members_only = {s.sid for s in site.model.visible_stories() if s.members_only}

    # -- night 1: everything is new
    first, run1 = night(store, config, site, today)
    assert counts(first) == (len(sids), 0, 0, 0, 0)
    assert run1.requests == len(site.log) and run1.bytes_in > 0

    # Pick the stories: C gets a chapter, R vanishes, A is in night 2's deep share, B is not.
    c_sid, r_sid = sids[0], sids[1]
    others = sids[2:]
    d2 = find_day(today, lambda d: sum(share.covers(identity(site, s), d) for s in others) == 1)
    a_sid = next(s for s in others if share.covers(identity(site, s), d2))
    b_sid = next(s for s in others if s != a_sid)
    d3 = find_day(today, lambda d: not any(share.covers(identity(site, s), d) for s in sids))
    c_chapters = len(site.model.story(c_sid).chapters)

    # -- night 2: two silent edits, a new chapter, a removal
    edit_one_word(site, a_sid)
    edit_one_word(site, b_sid)
    site.model.add_chapter(c_sid)
    site.model.remove_story(r_sid)
    second, run2 = night(store, config, site, d2)
    assert counts(second) == (0, 2, len(sids) - 3, 1, 0)
    assert changes_of(run2)["refetched"] == {"changed": 1, "deep": 1}
    # Every index page was walked (the title listing names every story, and the listings that
    # repeat it are never followed), so R could be tombstoned after a single pass.
    assert changes_of(run2)["full_walk"] and changes_of(run2)["passes"] == 1
    assert run2.requests == len(site.log)
    a_revs, b_revs, c_revs = (revisions(store, site, s) for s in (a_sid, b_sid, c_sid))
    assert [r.number for r in a_revs] == [1, 2]
    assert diff(a_revs[1])["chapters_edited"] == [1]
    assert diff(a_revs[1])["chapters_added"] == [] and diff(a_revs[1])["chapters_removed"] == []
    assert [r.number for r in b_revs] == [1], "B's silent edit waits for B's deep re-check"
    assert [r.number for r in c_revs] == [1, 2]
    assert diff(c_revs[1])["chapters_added"] == [c_chapters + 1]
    assert diff(c_revs[1])["chapters_edited"] == []
    assert "updated" in diff(c_revs[1])["fields_changed"]
    removed = store.find_story(identity(site, r_sid))
    assert removed is not None and removed.removed_at is not None
    assert removed.removed_at.date() == datetime.now(UTC).date()
    assert [r.number for r in revisions(store, site, r_sid)] == [1]
    for sid in set(sids) - {a_sid, c_sid}:
        assert len(revisions(store, site, sid)) == 1
    # Only the story pages of A and C were requested (and the members-only login page).
    wanted = {str(s) for s in (a_sid, c_sid, *members_only)}
    assert {_sid(p) for p in body_requests(site)} == wanted

    # -- night 3: nothing changed, no story page requested
    third, run3 = night(store, config, site, d3)
    assert counts(third) == (0, 0, len(sids) - 1, 0, 0)
    assert changes_of(run3)["refetched"] == {}
    assert changes_of(run3)["listings_parked"] == 0  # nothing redundant left to park
    assert changes_of(run3)["full_walk"]
    assert all(_sid(p) in {str(s) for s in members_only} for p in body_requests(site))
    assert not [p for p in body_requests(site)
                if "printable" in p and int(_sid(p)) not in members_only]
    # Listings, series pages and the login box only (night 1 met one gate per rating).
    assert run3.requests == len(site.log) < run1.requests / 2
    assert store.session.scalar(select(Revision.id).where(Revision.run_id == run3.id)) is None

    # -- night 4: R is back
    site.model.restore_story(r_sid)
    fourth, _ = night(store, config, site, d3)
    assert counts(fourth) == (0, 1, len(sids) - 1, 0, 0)
    restored = store.find_story(identity(site, r_sid))
    assert restored is not None and restored.removed_at is None
    assert [r.number for r in revisions(store, site, r_sid)] == [1]  # same text: no revision
    assert {_sid(p) for p in body_requests(site)} == {str(r_sid), *map(str, members_only)}
    total = store.session.scalar(select(StoryRow.id).where(StoryRow.removed_at.is_not(None)))
    assert total is None


def test_conditional_site_revalidates_with_304s(
        site_factory: Callable[..., ArchiveServer], store: Store, config: Config) -> None:
    """With ETag/Last-Modified, every story page is revalidated nightly: silent edits are
    caught without a deep re-check, and an unchanged night costs 304s, no story text."""
    site = site_factory("efiction", stories=8, max_chapters=3, crawl_delay=0, conditional=True)
    add_source(store, "archive", site.url, settings={**FAST, "deep_recheck_days": 0})
    sids = stored_sids(site)
    today = datetime.now(UTC).date()
    first, _ = night(store, config, site, today)
    assert counts(first) == (len(sids), 0, 0, 0, 0)

    edit_one_word(site, sids[0])
    second, run2 = night(store, config, site, today)
    assert counts(second) == (0, 1, len(sids) - 1, 0, 0)
    assert diff(revisions(store, site, sids[0])[1])["chapters_edited"] == [1]
    assert changes_of(run2)["refetched"]["revalidate"] == len(sids)

    third, run3 = night(store, config, site, today)
    assert counts(third) == (0, 0, len(sids), 0, 0)
    text_pages = [e for e in site.log if e.route == "/viewstory.php"
                  and ("printable" in e.path or "warning=" in e.path)]
    assert text_pages and all(e.status == 304 for e in text_pages)
    assert all("If-None-Match" in e.headers or "If-Modified-Since" in e.headers
               for e in text_pages)
    assert run3.requests == len(site.log)
    assert store.session.scalar(select(Revision.id).where(Revision.run_id == run3.id)) is None


def test_status_shows_what_a_sync_cost(site_factory: Callable[..., ArchiveServer],
                                       sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from fanarchive.cli import main

    site = site_factory("efiction", stories=3, max_chapters=2, crawl_delay=0)
    assert main(["--db", sqlite_url, "source", "add", "tiny", site.url, "--delay", "0",
                 "--adult", "--allow-private", "--ignore-crawl-delay"]) == 0
    assert main(["--db", sqlite_url, "sync", "-q"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert f"{len(site.log)} requests" in line
    site.log.clear()
    assert main(["--db", sqlite_url, "sync", "-q", "--deep"]) == 0
    assert "printable" in " ".join(e.path for e in site.log)  # --deep re-reads every story
    capsys.readouterr()
    assert main(["--db", sqlite_url, "status"]) == 0
    shown = capsys.readouterr().out
    assert "requests" in shown and str(len(site.log)) in shown


def _sid(path: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(path).query)["sid"][0]
