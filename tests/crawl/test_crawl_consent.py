"""One age/warning gate per rating, not per story (issue #4: requests per story).

eFiction's gate asks the same consent of every story of a rating (``warning=<rating id>``, plus
``ageconsent=ok`` for age-consent ratings). With the archivist's consent (``adult``) the crawl
remembers, per host, each listed story's rating and what the first gate of each rating asked
for, and asks for the other stories of that rating with the consent in the URL: the very URL
the gate's consent link leads to. Without consent nothing changes. Measured on the served
site's request log.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from fanarchive_parsers.efiction.consent import ConsentMemory
from sqlalchemy import text

from fanarchive.config import Config
from fanarchive.sources.web import canonicalize
from fanarchive.store.store import Store
from fanarchive.sync.registry import add_source
from fanarchive.sync.runner import sync_source
from tests.crawl.test_crawl_support import (
    READABLE,
    crawl,
    printer_path,
    printer_url,
    readable_problems,
    run_errors,
    visible_sids,
)
from tests.sites.content import ArchiveModel
from tests.sites.server import ArchiveServer

GATED = ("warning", "age_consent")


def _query(path: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))


def _consent_url(site: ArchiveServer, sid: int) -> str:
    """The URL a story's gate leads to: its printer view plus its rating's consent."""
    model = site.model
    rating = model.rating_of(model.story(sid))
    extra = "&ageconsent=ok" if model.access(model.story(sid)) == "age_consent" else ""
    return canonicalize(f"{printer_url(site, sid)}{extra}&warning={rating.rid}")


def _rating(site: ArchiveServer, sid: int) -> int:
    return site.model.rating_of(site.model.story(sid)).rid


def _gates_met(site: ArchiveServer, start: int = 0) -> list[int]:
    """The rated stories whose printer view was asked for without consent (their gate)."""
    gated = visible_sids(site.model, access=GATED)
    paths = Counter(e.path for e in site.log.entries()[start:])
    return [sid for sid in gated for _ in range(paths[printer_path(site, sid)])]


def test_one_gate_per_rating_and_every_rated_story_whole(store: Store, site_factory) -> None:
    site = site_factory("efiction", stories=40, max_chapters=4)
    model = site.model
    report = crawl(store, site.url + "/")
    assert report.crawl.complete and report.failed == 0, report.errors
    assert readable_problems(store, model, chapters=True) == []

    gated = visible_sids(model, access=GATED)
    ratings = Counter(_rating(site, sid) for sid in gated)
    assert any(n > 1 for n in ratings.values())  # some rating has stories to spare a gate
    met = Counter(_rating(site, sid) for sid in _gates_met(site))
    assert met == dict.fromkeys(ratings, 1), met  # each gated rating's gate, once
    # Every rated story's text came from its consent URL, once: the URL the gate leads to.
    log = Counter((e.path, e.status) for e in site.log)
    for sid in gated:
        assert log[(_consent_url(site, sid)[len(site.url):], 200)] == 1, sid
    assert report.crawl.outcomes["gate-passed"] == len(ratings)
    assert report.crawl.outcomes["consent-applied"] == len(gated) - len(ratings)
    # Recorded where the gate path records it: the story's sources are its consent URLs.
    stored = {row.locator for row in store.session.execute(text(
        "select locator from story_sources"))}
    assert {_consent_url(site, sid) for sid in gated} <= stored
    # The URL rewritten is no problem and no failure.
    assert not [e for e in run_errors(store, report.run_id) if e[1] == "consent-applied"]


def test_without_consent_nothing_changes(store: Store, site_factory) -> None:
    site = site_factory("efiction", stories=24, max_chapters=3)
    report = crawl(store, site.url + "/", adult=False)
    assert report.crawl.complete
    gated = visible_sids(site.model, access=GATED)
    assert sorted(_gates_met(site)) == sorted(gated)  # every gate met, and recorded
    assert not [p for p in site.log.paths() if "warning=" in p or "ageconsent=" in p]
    recorded = {u: code for u, code, _ in run_errors(store, report.run_id)}
    assert all(recorded[printer_url(site, sid)] == "gated" for sid in gated)
    assert "consent-applied" not in report.crawl.outcomes


def _bodies(site: ArchiveServer, start: int) -> list[str]:
    """Story pages asked for since ``start`` (the members-only story's login box aside)."""
    members = {str(s) for s in visible_sids(site.model, access=["members_only"])}
    return [e.path for e in site.log.entries()[start:] if e.route == "/viewstory.php"
            and _query(e.path).get("sid") not in members]


def test_second_crawl_fetches_no_story_body(store: Store, site_factory) -> None:
    site = site_factory("efiction", stories=30, max_chapters=3)
    first = crawl(store, site.url + "/")
    assert first.failed == 0 and first.crawl.outcomes["consent-applied"] > 0
    mark = len(site.log)
    again = crawl(store, site.url + "/")
    assert (again.new, again.updated, again.failed) == (0, 0, 0)
    assert _bodies(site, mark) == []


def test_sync_of_unchanged_site_fetches_no_story_body(store: Store, site_factory,
                                                      config: Config) -> None:
    site = site_factory("efiction", stories=30, max_chapters=3, crawl_delay=0)
    add_source(store, "archive", site.url, settings={
        "delay": 0, "adult": True, "allow_private": True, "ignore_crawl_delay": True,
        "deep_recheck_days": 0})
    first = sync_source(store, config, "archive")
    assert first.failed == 0 and first.crawl is not None
    assert first.crawl.outcomes["consent-applied"] > 0
    assert readable_problems(store, site.model) == []
    # Twice: the rewritten URLs are parked with their stories, and stay so once parked.
    for _ in range(2):
        mark = len(site.log)
        report = sync_source(store, config, "archive")
        assert (report.new, report.updated, report.failed) == (0, 0, 0)
        assert _bodies(site, mark) == []
    # A new chapter in a story read through a rewritten URL: that story alone is asked for
    # again, with its consent (no gate).
    rated = next(sid for sid in visible_sids(site.model, access=GATED)
                 if printer_path(site, sid) not in {e.path for e in site.log})
    site.model.add_chapter(rated)
    mark = len(site.log)
    report = sync_source(store, config, "archive")
    assert report.updated == 1 and report.failed == 0
    asked = _bodies(site, mark)
    assert asked == [_consent_url(site, rated)[len(site.url):]], asked
    assert readable_problems(store, site.model, chapters=True) == []


def test_memory_is_per_host_bounded_and_waits_for_a_probe(monkeypatch) -> None:
    from fanarchive_parsers.efiction import consent

    from fanarchive.parsed import ParsedStory, ParseResult

    def listing(host: str, sids: range, rating: str) -> tuple[str, ParseResult]:
        stubs = [ParsedStory(identity=f"efiction:{host}:{sid}", fields={"rating": rating})
                 for sid in sids]
        return f"http://{host}/browse.php?type=titles", ParseResult(
            stories=stubs, page_kind="index", parser="efiction")

    def printer(host: str, sid: int) -> str:
        return (f"http://{host}/viewstory.php?sid={sid}&action=printable&textsize=0"
                "&chapter=all")

    memory = ConsentMemory()
    memory.observe(*listing("a.test:81", range(1, 6), "NC-17"))
    memory.observe(*listing("b.test", range(1, 6), "NC-17"))
    assert memory.before_fetch(printer("a.test:81", 1)) == printer("a.test:81", 1)  # probe
    assert memory.before_fetch(printer("a.test:81", 2)) is None  # wait for the probe
    assert memory.before_fetch(printer("b.test", 2)) == printer("b.test", 2)  # other host
    gate = ParseResult(page_kind="gate", parser="efiction", links=[
        printer("a.test:81", 1) + "&ageconsent=ok&warning=5"])
    memory.observe(printer("a.test:81", 1), gate)
    assert memory.before_fetch(printer("a.test:81", 2)) == (
        printer("a.test:81", 2) + "&ageconsent=ok&warning=5")
    assert memory.before_fetch(printer("b.test", 3)) is None  # b's own probe goes on
    # A URL the gate would rewrite differently, or with consent already, is left alone.
    odd = "http://a.test:81/viewstory.php?sid=3&chapter=2&i=1"
    assert memory.before_fetch(odd) == odd
    # A story page of a rating fetched without consent: the rating needs none.
    memory.observe(*listing("a.test:81", range(10, 12), "G"))
    memory.observe(printer("a.test:81", 10), ParseResult(parser="efiction"))
    assert memory.before_fetch(printer("a.test:81", 11)) == printer("a.test:81", 11)
    # Bounded: the oldest stories are forgotten first.
    monkeypatch.setattr(consent, "MAX_STORIES", 3)
    memory.observe(*listing("c.test", range(1, 10), "R"))
    assert len(memory._hosts["c.test"].rating_of) == 3  # noqa: SLF001
    # Other parsers' pages teach nothing.
    other = ConsentMemory()
    other.observe("http://d.test/x", ParseResult(page_kind="index", parser="htmlstory",
                                                 stories=listing("d.test", range(1, 2),
                                                                 "R")[1].stories))
    assert len(other) == 0


def test_model_has_a_rating_with_several_gated_stories() -> None:
    """The site the tests crawl has what they measure: a gated rating with several stories."""
    model = ArchiveModel.generate(seed=0, stories=40, max_chapters=4)
    gated = [s for s in model.visible_stories() if model.access(s) in GATED]
    assert len(gated) > len({model.rating_of(s).rid for s in gated})
    assert READABLE
