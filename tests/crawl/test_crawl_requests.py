"""What a crawl of an eFiction archive costs, request by request, from the server's log.

One printer view of every chapter per story, straight from the listings: no reading view, no
chapter page, no story index, no review page. Where the site has a title listing, the listings
that repeat it (categories, characters, genres, most recent, authors) are never asked for;
series pages are (they number the parts). A rated story costs one request, its consent URL,
but for the first of each rating, which meets the gate (the crawl then knows that rating's
consent), or when the listing's link carries the consent (eFiction's javascript popups).
Without a title listing or without a printer view, the crawl falls back to the other listings
and to the chapter pages, and still gets every story whole.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import text

from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    by_title,
    cli_import,
    counts,
    crawl,
    printer_path,
    printer_url,
    readable_problems,
    records,
    run_errors,
    visible_sids,
)
from tests.sites.efiction import EFictionOptions
from tests.sites.server import ArchiveServer

GATED = ("warning", "age_consent")
READABLE = ("open", *GATED)


def _query(path: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))


def _kind(path: str) -> str:
    """What a request asked for, in the words of the assertions below."""
    route, query = urlsplit(path).path, _query(path)
    if route == "/viewstory.php":
        if query.get("action") == "printable" and query.get("chapter") == "all":
            return "printer view" + (" with consent" if "warning" in query else "")
        return "other story page"
    if route == "/browse.php":
        return f"browse {query.get('type', 'menu')}"
    return route


def _all_right(store: Store, site: ArchiveServer) -> list[str]:
    return readable_problems(store, site.model)


def _listing_pages(site: ArchiveServer) -> int:
    return -(-len(site.model.visible_stories()) // EFictionOptions().per_page)


def _series_pages(site: ArchiveServer) -> int:
    model = site.model
    return sum(1 for series in model.series.values()
               if any(model.visible(sid) for sid in series.sids))


def test_one_printer_view_per_story_and_no_repeated_listing(store: Store,
                                                            site_factory) -> None:
    site = site_factory("efiction", stories=30, max_chapters=5)
    model = site.model
    report = crawl(store, site.url + "/")
    assert report.crawl.complete and report.failed == 0, report.errors
    assert _all_right(store, site) == []

    visible = visible_sids(model)
    gated = visible_sids(model, access=GATED)
    ratings = {model.rating_of(model.story(sid)).rid for sid in gated}
    kinds = Counter(_kind(e.path) for e in site.log)
    assert kinds == {
        "/robots.txt": 1,
        "/": 1,
        "browse titles": _listing_pages(site),  # ?offset=0 is the first page: asked for once
        "/viewseries.php": _series_pages(site),
        # The first rated story of each rating answers its gate; the crawl then knows what
        # that rating's consent is, and asks for the others of the rating with it at once.
        "printer view": len(visible) - len(gated) + len(ratings),
        "printer view with consent": len(gated),
    }, kinds
    # Each URL once: no story page, chapter, index, author page or other listing.
    assert all(n == 1 for n in Counter(site.log.paths()).values())
    readable = visible_sids(model, access=READABLE)
    fixed = 2 + _listing_pages(site) + _series_pages(site)
    assert len(site.log) == fixed + len(visible) + len(ratings)
    assert (len(site.log) - fixed) / len(readable) < 1.2

    # The members-only story: its printer view answers a login box, recorded as such.
    (members,) = visible_sids(model, access=["members_only"])
    outcomes = {(u, code) for u, code, _ in run_errors(store, report.run_id)}
    assert (printer_url(site, members), "login") in outcomes


def test_listings_carrying_the_consent_cost_one_request_per_story(store: Store,
                                                                  site_factory) -> None:
    """eFiction's own listings (popups on) link a rated story through a javascript confirm()
    carrying its consent: the printer view is asked for with it, and no gate is ever met."""
    site = site_factory("efiction", stories=30, max_chapters=5, popups=True)
    model = site.model
    report = crawl(store, site.url + "/")
    assert report.crawl.complete and report.failed == 0, report.errors
    assert _all_right(store, site) == []

    visible = visible_sids(model)
    gated = visible_sids(model, access=GATED)
    printed = [e for e in site.log if _kind(e.path).startswith("printer view")]
    assert len(printed) == len(visible)  # one request per story, gated ones included
    consented = {_query(e.path)["sid"] for e in printed if "warning" in _query(e.path)}
    assert consented == {str(sid) for sid in gated}
    assert "gate-passed" not in report.crawl.outcomes
    assert len(site.log) == 2 + _listing_pages(site) + _series_pages(site) + len(visible)


def test_consent_in_listing_links_is_not_used_without_adult(store: Store,
                                                            site_factory) -> None:
    """The listing's consent is the archivist's to give: without ``adult`` it is taken off
    the link, the gate is met and recorded, and no request carries a consent parameter."""
    site = site_factory("efiction", stories=20, max_chapters=3, popups=True)
    model = site.model
    report = crawl(store, site.url + "/", adult=False)
    assert report.crawl.complete
    assert not [p for p in site.log.paths() if "warning=" in p or "ageconsent=" in p]
    gated = visible_sids(model, access=GATED)
    recorded = {u: code for u, code, _ in run_errors(store, report.run_id)}
    assert gated and all(recorded[printer_url(site, sid)] == "gated" for sid in gated)
    assert all(site.log.count(printer_path(site, sid)) == 1 for sid in gated)
    found = by_title(records(store))
    assert sorted(found) == sorted(model.story(s).title for s in visible_sids(
        model, access=["open"]))


def test_a_site_without_title_listing_is_discovered_through_the_others(store: Store,
                                                                       site_factory) -> None:
    site = site_factory("efiction", stories=24, max_chapters=3, title_listing=False)
    report = crawl(store, site.url + "/")
    assert report.crawl.complete and report.failed == 0, report.errors
    assert _all_right(store, site) == []
    kinds = Counter(_kind(e.path) for e in site.log)
    assert "browse titles" not in kinds
    assert kinds["browse categories"] > 0 and kinds["/viewuser.php"] > 0  # the fallback
    assert kinds["other story page"] == 0  # still the printer view, never the chapters


def test_a_site_without_printer_view_is_read_chapter_by_chapter(store: Store,
                                                                site_factory) -> None:
    """A printer URL answered with the reading view of chapter 1 is taken for chapter 1 (not
    the whole story), and the chapter pages bring the rest."""
    site = site_factory("efiction", stories=12, max_chapters=4, printer_view=False)
    model = site.model
    report = crawl(store, site.url + "/")
    assert report.crawl.complete and report.failed == 0, report.errors
    assert _all_right(store, site) == []
    several = [s for s in visible_sids(model, access=READABLE)
               if len(model.story(s).chapters) > 1]
    assert several
    for sid in several:
        asked = {_query(p).get("chapter") for p in site.log.paths()
                 if _query(p).get("sid") == str(sid) and "chapter" in _query(p)}
        assert {str(n) for n in range(2, len(model.story(sid).chapters) + 1)} <= asked


def test_plain_import_run_again_revalidates_every_page(tmp_path, site_factory) -> None:
    """``fanarchive import URL`` run twice against a site with validators: the second run
    costs a 304 for every page it asked for before (gates and the login box included) and
    writes nothing."""
    from fanarchive.store.store import Store as OpenStore

    site = site_factory("efiction", stories=16, max_chapters=3, conditional=True)
    db = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    first = cli_import(db, site.url + "/")
    assert first.returncode == 0, first.stderr
    store = OpenStore.open(db)
    try:
        before = counts(store)
    finally:
        store.close()
    mark = len(site.log)
    second = cli_import(db, site.url + "/")
    assert second.returncode == 0, second.stderr
    again = site.log.entries()[mark:]
    assert [(e.path, e.status) for e in again if e.status != 304
            and e.path != "/robots.txt"] == []
    assert all("If-None-Match" in e.headers for e in again if e.path != "/robots.txt")
    assert " 0 new" in second.stdout and " 0 updated" in second.stdout, second.stdout
    store = OpenStore.open(db)
    try:
        after = counts(store)
        logins = store.session.execute(text(
            "SELECT COUNT(*) FROM run_errors WHERE code = 'login'")).scalar_one()
    finally:
        store.close()
    assert after == before  # no document, revision or frontier row more
    assert logins == 2  # the members-only story, reported by both runs
