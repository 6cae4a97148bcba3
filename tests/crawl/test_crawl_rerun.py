"""``fanarchive import URL`` run again on a site without validators (as real eFiction).

A first import crawls everything. Run again on a source whose crawl has finished, a plain import
uses a sync's change detection (``ChangePolicy.for_rerun``: no deep re-check, no tombstones):
the listings are read again, and a story's own pages (printer view, gate, consent URL) are
asked for only when a listing shows another Updated date, chapter count, word count or
completion than the stored revision. Everything here is measured on the server's request log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from fanarchive.store.models import Revision, Run
from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    READABLE,
    by_title,
    cli_import,
    counts,
    crawl,
    mismatches,
    records,
    visible_sids,
)
from tests.sites.server import ArchiveServer


def _sid(path: str) -> int | None:
    sid = dict(parse_qsl(urlsplit(path).query)).get("sid")
    return int(sid) if sid and sid.isdigit() else None


def story_requests(site: ArchiveServer, since: int, members: set[int]) -> list[str]:
    """Requests for a story's own pages after log entry ``since``, but the members-only story
    (a login box, never stored: asked for on every run, as on the first)."""
    return [e.path for e in site.log.entries()[since:]
            if e.route == "/viewstory.php" and _sid(e.path) not in members]


def revision_numbers(store: Store, site: ArchiveServer, sid: int) -> list[int]:
    row = store.find_story(f"efiction:{site.host}:{site.port}:{sid}")
    assert row is not None
    return [r.number for r in store.revisions(row)]


def changes_of(store: Store, run_id: int) -> dict[str, Any]:
    run = store.session.get(Run, run_id)
    assert run is not None and run.options is not None
    return dict(run.options["changes"])


def test_plain_import_run_again_fetches_only_what_the_listings_say_changed(
        store: Store, site_factory: Callable[..., ArchiveServer]) -> None:
    site = site_factory("efiction", stories=12, max_chapters=4)
    model = site.model
    assert not site.options.conditional  # no ETag, no Last-Modified: nothing to revalidate
    stored = visible_sids(model, access=READABLE)
    members = set(visible_sids(model, access=["members_only"]))

    # -- a first import: every story, as before
    first = crawl(store, site.url + "/")
    assert (first.new, first.failed) == (len(stored), 0), first.errors
    first_requests = len(site.log)
    assert len(story_requests(site, 0, members)) >= len(stored)
    store.session.expire_all()
    assert "changes" not in (store.session.get(Run, first.run_id).options or {})
    before = counts(store)

    # -- run again, nothing changed: no story page at all, every story unchanged
    mark = len(site.log)
    second = crawl(store, site.url + "/")
    assert (second.new, second.updated, second.unchanged, second.failed, second.removed) == (
        0, 0, len(stored), 0, 0)
    assert story_requests(site, mark, members) == []
    again = site.log.entries()[mark:]
    assert not [e for e in again if "If-None-Match" in e.headers
                or "If-Modified-Since" in e.headers]
    assert len(again) < first_requests / 2
    assert counts(store) == before  # not a row more
    assert store.session.scalar(select(Revision.id).where(Revision.run_id == second.run_id)) \
        is None
    changes = changes_of(store, second.run_id)
    assert changes["vouched"] == len(stored) and changes["refetched"] == {}
    assert changes["full_walk"]  # a plain import walks every listing: none is parked

    # -- one story gets a chapter (Updated and the chapter count move on its listing); another
    # is edited silently (same words, same date): without validators or a deep re-check, only
    # the first is worth a request
    grown = next(s for s in stored if model.access(model.story(s)) == "open")
    silent = next(s for s in stored if s != grown)
    model.add_chapter(grown)
    chapter = model.story(silent).chapters[0]
    first_word, rest = chapter.text.split(" ", 1)
    model.edit_chapter(silent, 1, ("Edited" if first_word != "Edited" else "Fixed") + " " + rest)
    mark = len(site.log)
    third = crawl(store, site.url + "/")
    assert (third.new, third.updated, third.unchanged, third.failed) == (
        0, 1, len(stored) - 1, 0), third.errors
    assert {_sid(p) for p in story_requests(site, mark, members)} == {grown}
    assert changes_of(store, third.run_id)["refetched"] == {"changed": 1}
    assert revision_numbers(store, site, grown) == [1, 2]
    assert revision_numbers(store, site, silent) == [1]
    record = by_title(records(store))[model.story(grown).title][0]
    assert mismatches(record, model, grown, overrides={"relationships": []}) == []
    assert len(record["chapters"]) == len(model.story(grown).chapters)


def test_a_gated_story_that_changed_is_read_again_through_its_gate(
        store: Store, site_factory: Callable[..., ArchiveServer]) -> None:
    """A rated story's pages are its gate and its consent URL: both are set aside while the
    story is unchanged and both are asked for again when its listing says it changed."""
    site = site_factory("efiction", stories=12, max_chapters=4)
    model = site.model
    members = set(visible_sids(model, access=["members_only"]))
    gated = visible_sids(model, access=["age_consent"])[0]
    crawl(store, site.url + "/")
    mark = len(site.log)
    crawl(store, site.url + "/")
    assert story_requests(site, mark, members) == []

    model.set_completed(gated, not model.story(gated).completed)  # Updated stays
    mark = len(site.log)
    third = crawl(store, site.url + "/")
    assert (third.new, third.updated, third.failed) == (0, 1, 0), third.errors
    asked = story_requests(site, mark, members)
    assert {_sid(p) for p in asked} == {gated}
    assert any("ageconsent=ok" in p for p in asked)  # the consent URL, read in full
    assert revision_numbers(store, site, gated) == [1, 2]
    record = by_title(records(store))[model.story(gated).title][0]
    assert mismatches(record, model, gated, overrides={"relationships": []}) == []


def test_cli_import_run_again_says_the_stories_are_unchanged(
        tmp_path: Any, site_factory: Callable[..., ArchiveServer]) -> None:
    site = site_factory("efiction", stories=8, max_chapters=3)
    model = site.model
    stored = visible_sids(model, access=READABLE)
    members = set(visible_sids(model, access=["members_only"]))
    db = f"sqlite:///{tmp_path / 'rerun.sqlite3'}"
    first = cli_import(db, site.url + "/")
    assert first.returncode == 0, first.stderr
    assert f"{len(stored)} new" in first.stdout, first.stdout
    mark = len(site.log)
    second = cli_import(db, site.url + "/")
    assert second.returncode == 0, second.stderr
    assert " 0 new" in second.stdout and " 0 updated" in second.stdout, second.stdout
    assert f"{len(stored)} unchanged" in second.stdout, second.stdout
    assert story_requests(site, mark, members) == []


def test_a_rerun_killed_midway_resumes_to_what_an_uninterrupted_one_stores(
        tmp_path: Any) -> None:
    """kill -9 during a plain import run again (some stories changed): the next run resumes
    with the same change detection: the stories already read again are not asked for a third
    time, the others are, and the database ends as after an uninterrupted re-run."""
    import time

    from tests.crawl.test_crawl_resume import _comparable, _differences
    from tests.crawl.test_crawl_support import (
        cli_config,
        kill_hard,
        serve_cookieless,
        start_cli_import,
    )

    delay = ("--delay", "0.02")
    config = cli_config(tmp_path)
    site = serve_cookieless(seed=7, stories=16, max_chapters=3)
    model = site.model
    whole_db = f"sqlite:///{tmp_path / 'whole.sqlite3'}"
    killed_db = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    try:
        for db in (whole_db, killed_db):
            assert cli_import(db, site.url + "/", *delay, config=config).returncode == 0
        changed = [sid for sid in visible_sids(model, access=["open"])][:6]
        assert len(changed) >= 4
        for sid in changed:
            model.add_chapter(sid)
        whole = cli_import(whole_db, site.url + "/", *delay, config=config)
        assert whole.returncode == 0 and f"{len(changed)} updated" in whole.stdout, whole.stdout

        mark = len(site.log)
        process = start_cli_import(killed_db, site.url + "/", *delay, config=config)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            served = [e for e in site.log.entries()[mark:] if "action=printable" in e.path]
            if len(served) >= 2:
                break
            time.sleep(0.002)
        assert process.poll() is None, "the re-run ended before the kill"
        kill_hard(process)
        killed_at = len(site.log)
        before_kill = {e.path for e in site.log.entries()[mark:killed_at]
                       if "action=printable" in e.path}
        again = cli_import(killed_db, site.url + "/", *delay, config=config)
        assert again.returncode == 0, again.stderr
        after_kill = [e.path for e in site.log.entries()[killed_at:]
                      if e.route == "/viewstory.php"]
    finally:
        site.stop()

    # Only changed stories were read, and none twice across the kill (the in-flight ones
    # aside: a page whose answer the kill cut off is asked for again).
    members = set(visible_sids(model, access=["members_only"]))
    # The kill landed inside the re-run: some changed stories were read, some were left.
    read_before = {_sid(p) for p in before_kill} - members
    assert read_before and set(changed) - read_before
    assert {_sid(p) for p in before_kill | set(after_kill)} - members == set(changed)
    assert len({p for p in set(after_kill) & before_kill if _sid(p) not in members}) <= 2
    stores = Store.open(whole_db), Store.open(killed_db)
    try:
        assert _differences(_comparable(stores[1]), _comparable(stores[0])) == []
        assert counts(stores[1])["revisions"] == counts(stores[0])["revisions"]
    finally:
        for opened in stores:
            opened.close()
