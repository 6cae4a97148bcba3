"""A printer view the site refuses (404, 403) does not lose the story.

Listings lead straight to each story's printer view of every chapter. Where that answers an
error, the crawler asks the eFiction parser for stand-ins: the story's reading view
(``viewstory.php?sid=N``, consent kept), then the other chapter pages that view names. The
refused URL is recorded as ``recovered`` (not a failure); the story arrives whole. The served
site's ``broken_printer`` stories answer before any age gate, so a rated story is read through
its gate as well (or straight with its consent, where an earlier gate of its rating taught
the crawl the consent parameters). Everything is measured on the server's request log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    READABLE,
    crawl,
    printer_path,
    readable_problems,
    run_errors,
    visible_sids,
)
from tests.sites.content import ArchiveModel
from tests.sites.server import ArchiveServer


def _query(path: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))


def pick_broken(model: ArchiveModel) -> list[int]:
    """An open, a warning-gated and an age-gated story with several chapters, and a
    one-chapter story."""
    chosen: list[int] = []
    for access in READABLE:
        chosen.append(next(sid for sid in visible_sids(model, access=[access])
                           if len(model.story(sid).chapters) > 1))
    chosen.append(next(sid for sid in visible_sids(model, access=READABLE)
                       if len(model.story(sid).chapters) == 1))
    return chosen


def all_right(store: Store, model: ArchiveModel) -> list[str]:
    return readable_problems(store, model, chapters=True)


def serve(site_factory: Callable[..., ArchiveServer], **options: Any) -> ArchiveServer:
    model = ArchiveModel.generate(seed=0, stories=16, max_chapters=4)
    return site_factory("efiction", model=model, broken_printer=tuple(pick_broken(model)),
                        **options)


@pytest.mark.parametrize("status", [404, 403])
def test_refused_printer_views_are_read_through_the_reading_view(
        store: Store, site_factory: Callable[..., ArchiveServer], status: int) -> None:
    site = serve(site_factory, broken_printer_status=status)
    model = site.model
    broken = list(site.options.broken_printer)
    report = crawl(store, site.url + "/")
    assert report.crawl.complete, report.crawl.stopped
    assert (report.new, report.failed) == (len(visible_sids(model, access=READABLE)), 0), \
        report.errors
    assert all_right(store, model) == []

    log = site.log.entries()
    refused_urls = set()
    for sid in broken:
        mine = [e for e in log if e.route == "/viewstory.php" and _query(e.path).get("sid")
                == str(sid)]
        # The printer view was asked for once and refused; the reading view and every other
        # chapter page came instead, each once; no story index, no one-chapter printer view.
        refused = [e for e in mine if _query(e.path).get("action") == "printable"]
        assert [e.status for e in refused] == [status]
        # Asked for as listed, or with its rating's consent once an earlier gate taught it.
        consented = "warning" in _query(refused[0].path)
        asked = refused[0].path if consented else printer_path(site, sid)
        assert refused[0].path == asked
        refused_urls.add(site.url + asked)
        pages = Counter(_query(e.path).get("chapter", "1") for e in mine
                        if e.status == 200 and "action" not in _query(e.path))
        chapters = len(model.story(sid).chapters)
        assert set(pages) == {str(n) for n in range(1, chapters + 1)}, (sid, pages)
        gated = model.access(model.story(sid)) != "open"
        assert consented <= gated
        # The gate, then the consent URL; one request where the consent was known already.
        assert pages["1"] == (2 if gated and not consented else 1)
        assert all(count == 1 for number, count in pages.items() if number != "1")
        assert not [e for e in mine if "index" in _query(e.path)]
    # The other stories cost what they always did: their printer views, nothing else.
    for sid in set(visible_sids(model, access=["open"])) - set(broken):
        assert [e.status for e in log if e.route == "/viewstory.php"
                and _query(e.path).get("sid") == str(sid)] == [200]

    # Recorded as recovered, not as failures: the run's errors, and `status`.
    errors = run_errors(store, report.run_id)
    recovered = {locator: message for locator, code, message in errors if code == "recovered"}
    assert set(recovered) == refused_urls
    assert all(f"answered {status}; read through " in m for m in recovered.values())
    assert not [e for e in errors if e[1].startswith("http-")]


def test_status_lists_the_recovered_printer_views_and_no_failure(
        store: Store, site_factory: Callable[..., ArchiveServer], sqlite_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    from fanarchive.cli import main

    site = serve(site_factory)
    report = crawl(store, site.url + "/")
    assert report.failed == 0
    capsys.readouterr()
    assert main(["--db", sqlite_url, "status"]) == 0
    shown = capsys.readouterr().out
    assert shown.count("(recovered)") == len(site.options.broken_printer), shown
    assert "answered 404; read through" in shown
    assert "failed item" not in shown
    # Listed as outcomes, not with the failure mark.
    recovered_lines = [line for line in shown.splitlines() if "(recovered)" in line]
    assert recovered_lines and all("·" in line and "✗" not in line for line in recovered_lines)


def test_run_again_a_recovered_story_costs_nothing_until_it_changes(
        store: Store, site_factory: Callable[..., ArchiveServer]) -> None:
    """The refused printer view belongs to its story: set aside with the pages that stood in
    for it while the story is unchanged; when its listing shows a new chapter, the printer
    view is asked for again, refused again, and the reading view's chapter menu brings the
    new chapter too."""
    site = serve(site_factory)
    model = site.model
    broken = list(site.options.broken_printer)
    members = set(visible_sids(model, access=["members_only"]))
    crawl(store, site.url + "/")

    mark = len(site.log)
    second = crawl(store, site.url + "/")
    assert (second.new, second.updated, second.failed) == (0, 0, 0)
    assert second.unchanged == len(visible_sids(model, access=READABLE))
    assert [e.path for e in site.log.entries()[mark:] if e.route == "/viewstory.php"
            and int(_query(e.path)["sid"]) not in members] == []

    for sid in broken[:3]:  # an open and two gated stories
        model.add_chapter(sid)
    mark = len(site.log)
    third = crawl(store, site.url + "/")
    assert (third.new, third.updated, third.failed) == (0, 3, 0), third.errors
    asked = [e for e in site.log.entries()[mark:] if e.route == "/viewstory.php"
             and int(_query(e.path)["sid"]) not in members]
    assert {int(_query(e.path)["sid"]) for e in asked} == set(broken[:3])
    for sid in broken[:3]:
        last = str(len(model.story(sid).chapters))
        assert any(_query(e.path).get("chapter") == last and e.status == 200 for e in asked
                   if _query(e.path)["sid"] == str(sid)), sid
    assert all_right(store, model) == []
