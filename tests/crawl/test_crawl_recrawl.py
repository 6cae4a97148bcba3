"""A second crawl of an unchanged archive writes nothing; with validators it costs 304s.

Counts of every table the import writes are compared before and after. Sites that send
``ETag``/``Last-Modified`` (``conditional=True``) must answer the second crawl's requests for
unchanged pages with 304, so nothing is downloaded or parsed again. A changed page is then
fetched and stored, and only that one.
"""

from __future__ import annotations

from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    by_title,
    counts,
    crawl,
    mismatches,
    printer_path,
    printer_url,
    records,
    serve_cookieless,
    visible_sids,
)
from tests.sites.server import ArchiveServer

FROM_MODEL = ("/viewstory.php", "/browse.php", "/viewuser.php", "/viewseries.php", "/",
              "/index.php", "/authors.php")


def _second_pass(site: ArchiveServer, before: int) -> list:
    return site.log.entries()[before:]


def test_second_crawl_of_unchanged_efiction_writes_nothing(store: Store, site_factory) -> None:
    """Real eFiction sends no validators: the listings are read again and say every story is
    unchanged, so no story page is (tests/crawl/test_crawl_rerun.py has the details); nothing
    is written."""
    site = site_factory("efiction", stories=10, max_chapters=3)
    first = crawl(store, site.url + "/")
    assert first.new == len(visible_sids(site.model, access=["open", "warning",
                                                             "age_consent"]))
    before, requests = counts(store), len(site.log)
    exported = records(store)

    second = crawl(store, site.url + "/")
    assert (second.new, second.updated, second.failed) == (0, 0, 0)
    assert second.unchanged == first.new
    assert counts(store) == before
    assert records(store) == exported
    again = site.log.entries()[requests:]
    members = {printer_path(site, sid) for sid in visible_sids(site.model,
                                                               access=["members_only"])}
    assert again and not [e.path for e in again if e.route == "/viewstory.php"
                          and e.path not in members]


def test_conditional_recrawl_costs_304s_and_writes_nothing(store: Store) -> None:
    site = serve_cookieless(seed=2, stories=10, max_chapters=3, conditional=True)
    try:
        first = crawl(store, site.url + "/")
        assert first.new > 0 and first.failed == 0
        before, mark = counts(store), len(site.log)
        second = crawl(store, site.url + "/")
        again = _second_pass(site, mark)
    finally:
        site.stop()

    assert (second.new, second.updated, second.failed) == (0, 0, 0)
    assert counts(store) == before  # not a row more: no document, revision or frontier row
    # Every story, chapter, listing, author and series page: one 304 each, with validators.
    pages = [e for e in again if e.route in FROM_MODEL and "warning=" not in e.path
             and e.path not in access_pages(site)]
    assert pages and all(e.status == 304 for e in pages), [
        (e.path, e.status) for e in pages if e.status != 304]
    assert all("If-None-Match" in e.headers for e in pages)
    # One printer view per story, and nothing else of it: the gated stories' consent URLs
    # stand in for the gate URLs (kept in access_pages), neither reading views nor chapters.
    stories = [e for e in again if "action=printable" in e.path
               and e.path not in access_pages(site)]
    assert len(stories) == first.new and all(e.status == 304 for e in stories)
    assert not [e for e in again if e.route == "/viewstory.php" and "action=printable"
                not in e.path]
    assert second.crawl.not_modified >= len(pages)


def access_pages(site: ArchiveServer) -> set[str]:
    """Story URLs that answer with an age/content gate or a members-only login box."""
    return {printer_path(site, s) for s in visible_sids(
        site.model, access=["warning", "age_consent", "members_only"])}


def test_conditional_recrawl_revalidates_access_pages_too(store: Store) -> None:
    """Gate and login pages carry validators like any page: a re-crawl costs a 304 each, and
    they stay recorded as what they are (passed, gated, login required)."""
    site = serve_cookieless(seed=2, stories=10, max_chapters=3, conditional=True)
    try:
        first = crawl(store, site.url + "/")
        before, mark = counts(store), len(site.log)
        second = crawl(store, site.url + "/")
        again = _second_pass(site, mark)
    finally:
        site.stop()
    assert [(e.path, e.status) for e in again
            if e.status != 304 and e.path != "/robots.txt"] == []
    # The access pages the first crawl met (one gate per rating: the others of a rating were
    # asked for with its consent at once) are revalidated, and only those.
    gates = access_pages(site)
    met = {e.path for e in site.log.entries()[:mark] if e.path in gates}
    assert met and {e.path for e in again if e.path in gates} == met
    assert (second.new, second.updated, second.failed) == (0, 0, 0)
    assert counts(store) == before
    # The members-only story is still reported as needing a login, run after run.
    (members,) = visible_sids(site.model, access=["members_only"])
    logins = [p for p in second.crawl.problems if p.outcome == "login"]
    assert [p.url for p in logins] == [printer_url(site, members)]
    assert second.crawl.outcomes["gate-passed"] == first.crawl.outcomes["gate-passed"] > 0


def test_recrawl_without_consent_keeps_gates_gated_with_304s(store: Store) -> None:
    """Without consent a gate is recorded as gated; revalidated, it stays gated (a 304 never
    turns it into a story page), and consenting later reads it again to find the consent
    link."""
    site = serve_cookieless(seed=2, stories=10, max_chapters=3, conditional=True)
    gated = visible_sids(site.model, access=["warning", "age_consent"])
    try:
        first = crawl(store, site.url + "/", adult=False)
        mark = len(site.log)
        second = crawl(store, site.url + "/", adult=False)
        again = _second_pass(site, mark)
        mark = len(site.log)
        third = crawl(store, site.url + "/", adult=True)
        consenting = _second_pass(site, mark)
    finally:
        site.stop()
    assert first.new > 0 and (second.new, second.updated) == (0, 0)
    status = {e.path: e.status for e in again}
    assert gated and all(status[printer_path(site, sid)] == 304 for sid in gated)
    recorded = {p.url: p.outcome for p in second.crawl.problems}
    assert all(recorded[printer_url(site, sid)] == "gated" for sid in gated)
    # Consent now: the gates are read in full (no validators) and their stories come.
    read = {e.path: e for e in consenting}
    for sid in gated:
        entry = read[printer_path(site, sid)]
        assert entry.status == 200 and "If-None-Match" not in entry.headers
    assert third.new == len(gated)


# Regression: the HTTP client once kept the site's PHPSESSID cookie, so pages depended on
# earlier consents in the same session and a re-crawl saw new documents.
def test_conditional_recrawl_of_efiction_with_sessions_writes_nothing(store: Store,
                                                                      site_factory) -> None:
    site = site_factory("efiction", stories=14, max_chapters=3, conditional=True)
    crawl(store, site.url + "/")
    before = counts(store)
    second = crawl(store, site.url + "/")
    assert (second.new, second.updated) == (0, 0)
    assert counts(store) == before


def test_static_recrawl_304s_then_an_edit_is_picked_up(store: Store, site_factory) -> None:
    """Apache-style validators: unchanged parts cost a 304; an edited part is fetched and
    becomes a new revision of that story only."""
    site = site_factory("static", stories=10, max_chapters=3)
    model = site.model
    first = crawl(store, site.url + "/")
    assert first.new == len(model.visible_stories())
    before, mark = counts(store), len(site.log)

    second = crawl(store, site.url + "/")
    again = _second_pass(site, mark)
    assert (second.new, second.updated) == (0, 0)
    assert counts(store) == before
    parts = {p for s in model.visible_stories() for p in site.part_paths(s.sid)}
    assert {e.path for e in again if e.status == 304} >= parts
    assert not [e for e in again if e.path in parts and e.status != 304]

    story = next(s for s in model.visible_stories() if len(s.chapters) > 1)
    model.edit_chapter(story.sid, 2, "An edited second part.\n\nWith two paragraphs now.")
    mark = len(site.log)
    third = crawl(store, site.url + "/")
    again = _second_pass(site, mark)
    assert (third.new, third.updated) == (0, 1)
    changed = {e.path for e in again if e.status == 200 and e.path in parts}
    assert changed == {site.part_path(story.sid, 2)}  # only the edited page came again
    after = counts(store)
    assert after["revisions"] == before["revisions"] + 1
    assert after["stories"] == before["stories"]
    record = by_title(records(store))[story.title][0]
    assert record["chapters"][1]["text"] == "An edited second part.\n\nWith two paragraphs now."
    assert [c["text"] for c in record["chapters"][:1] + record["chapters"][2:]] == [
        c.text for c in story.chapters[:1] + story.chapters[2:]]


def test_efiction_edit_is_picked_up_with_every_field_still_right(store: Store) -> None:
    """An edited chapter of a story in a series: the next crawl stores one new revision of
    that story, with the new text and every other field (series part included) still right;
    the other stories' printer views cost a 304 each."""
    site = serve_cookieless(seed=2, stories=10, max_chapters=3, conditional=True)
    model = site.model
    try:
        crawl(store, site.url + "/")
        before = counts(store)
        sid = next(s.sid for s in model.visible_stories()
                   if model.series_of(s.sid) and not s.members_only)
        model.edit_chapter(sid, 1, "A new first chapter.\n\nIn two paragraphs.")
        mark = len(site.log)
        report = crawl(store, site.url + "/")
        again = _second_pass(site, mark)
    finally:
        site.stop()

    assert (report.new, report.updated, report.failed) == (0, 1, 0)
    after = counts(store)
    assert after["revisions"] == before["revisions"] + 1
    assert after["stories"] == before["stories"]
    record = by_title(records(store))[model.story(sid).title][0]
    assert mismatches(record, model, sid, overrides={"relationships": []}) == []
    assert record["series"]["part"] == model.series_of(sid)[1]
    printed = {e.path: e.status for e in again if "action=printable" in e.path}
    changed = {p for p, status in printed.items() if status == 200}
    assert len(changed) == 1 and f"sid={sid}&" in next(iter(changed))
    assert all(status == 304 for p, status in printed.items() if p not in changed)
