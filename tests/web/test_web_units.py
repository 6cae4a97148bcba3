"""Pure units of the web source: canonical URLs, scope, traps, robots rules, settings."""

from __future__ import annotations

from datetime import timedelta
from email.utils import formatdate

import pytest

from fanarchive.config import load_config
from fanarchive.errors import UsageError
from fanarchive.sources.web.frontier import Frontier, NewUrl, utcnow
from fanarchive.sources.web.politeness import HostSlot, parse_retry_after
from fanarchive.sources.web.robots import RobotsRules
from fanarchive.sources.web.settings import CrawlSettings
from fanarchive.sources.web.urls import (
    Scope,
    absolute_link,
    canonicalize,
    trap_reason,
    url_pattern,
    without_params,
)
from fanarchive.store.models import Source
from fanarchive.store.store import Store

CANONICAL = [
    # scheme and host case, default port, empty path, fragment
    ("HTTP://Archive.Example.ORG:80/index.php#top", "http://archive.example.org/index.php"),
    ("https://archive.example.org:443", "https://archive.example.org/"),
    ("http://archive.example.org:8080/", "http://archive.example.org:8080/"),
    ("http://archive.example.org./a", "http://archive.example.org/a"),
    # query sorted, empty query and empty pairs dropped, blank values kept
    ("http://h/viewstory.php?sid=12&chapter=3", "http://h/viewstory.php?chapter=3&sid=12"),
    ("http://h/browse.php?type=titles&offset=15&", "http://h/browse.php?offset=15&type=titles"),
    ("http://h/search.php?", "http://h/search.php"),
    ("http://h/search.php?q=&a=1", "http://h/search.php?a=1&q="),
    ("http://h/list?flag&a=1", "http://h/list?a=1&flag"),
    # eFiction's sid is a story id and must survive; session ids must not
    ("http://h/viewstory.php?sid=7", "http://h/viewstory.php?sid=7"),
    ("http://h/viewstory.php?sid=7&PHPSESSID=3fa9c0e1b2d4c6e8f0a1b3c5d7",
     "http://h/viewstory.php?sid=7"),
    ("http://h/index.php?phpsessid=abc", "http://h/index.php"),
    ("http://h/viewtopic.php?t=5&sid=0123456789abcdef0123456789abcdef",
     "http://h/viewtopic.php?t=5"),
    ("http://h/showthread.php?s=0123456789abcdef0123456789abcdef&t=9",
     "http://h/showthread.php?t=9"),
    ("http://h/list.php?s=2", "http://h/list.php?s=2"),
    ("http://h/a.jsp;jsessionid=A1B2C3D4?x=1", "http://h/a.jsp?x=1"),
    ("http://h/a.do;JSESSIONID=zz/b", "http://h/a.do/b"),
    ("http://h/page?sessionid=x1&ASPSESSIONIDQQ=abc&cftoken=12&id=4", "http://h/page?id=4"),
    # dot segments and percent-encoding
    ("http://h/a/./b/../c", "http://h/a/c"),
    ("http://h/a/b/..", "http://h/a/"),
    ("http://h/%7euser/%41%2f", "http://h/~user/A%2F"),
    ("http://h/my story.html", "http://h/my%20story.html"),
    ("http://h/caf\u00e9?q=\u00fc", "http://h/caf%C3%A9?q=%C3%BC"),
    ("http://h/p?q=50%", "http://h/p?q=50%25"),
    ("http://\u00fcml\u00e4ut.example/", "http://xn--mlut-moa5l.example/"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected
    assert canonicalize(expected) == expected  # idempotent


@pytest.mark.parametrize("url", ["ftp://h/x", "mailto:a@b", "http:///nohost", "/relative"])
def test_canonicalize_refuses_non_http(url: str) -> None:
    with pytest.raises(ValueError):
        canonicalize(url)


def test_absolute_link() -> None:
    base = "http://h/efiction/viewstory.php?sid=1"
    assert absolute_link(base, "viewstory.php?sid=2&amp;x=1") == \
        "http://h/efiction/viewstory.php?amp;x=1&sid=2"  # parsers unescape entities first
    assert absolute_link(base, " ../index.php#x ") == "http://h/index.php"
    assert absolute_link(base, "//H:80/y") == "http://h/y"
    for junk in ("#top", "", "javascript:void(0)", "mailto:x@y", "JavaScript:go()", "ftp://h/"):
        assert absolute_link(base, junk) is None


def test_scope_from_start_urls() -> None:
    scope = Scope.from_start_urls(["http://archive.example/efiction/index.php",
                                   "http://127.0.0.1:8001/"])
    inside = ["http://archive.example/efiction/viewstory.php?sid=1",
              "https://archive.example/efiction/x",  # same host, other scheme
              "http://www.archive.example/efiction/x",  # www twin
              "http://127.0.0.1:8001/anything"]
    for url in inside:
        assert scope.reason_outside(url) is None, url
    assert scope.reason_outside("http://archive.example/other/") == "off-path"
    assert scope.reason_outside("http://elsewhere.example/efiction/") == "off-host"
    assert scope.reason_outside("http://127.0.0.1:8002/") == "off-host"  # other port
    assert scope.reason_outside("http://www.127.0.0.1:8001/") == "off-host"  # no twin for IPs
    wider = Scope.from_start_urls(["http://archive.example/efiction/"], hosts=("mirror.example",),
                                  path_prefixes=("/",))
    assert wider.reason_outside("http://archive.example/other/") is None
    assert wider.reason_outside("http://mirror.example/x") is None


def test_traps() -> None:
    def trap(url: str) -> str | None:
        return trap_reason(url, max_url_length=200, max_path_repeats=3, max_path_segments=10)

    assert trap("http://h/a/b/c.html") is None
    assert trap("http://h/stories/stories/x") is None
    assert "repeats" in (trap("http://h/a/b/a/b/a/b/") or "")
    assert "longer" in (trap("http://h/?q=" + "x" * 300) or "")
    assert "deeper" in (trap("http://h" + "/d" + "".join(f"/s{i}" for i in range(12))) or "")


def test_without_params_drops_consent_and_keeps_the_rest() -> None:
    consent = ("ageconsent", "warning")
    url = canonicalize("http://h/viewstory.php?sid=12&ageconsent=ok&Warning=5&chapter=all")
    assert without_params(url, consent) == "http://h/viewstory.php?chapter=all&sid=12"
    plain = "http://h/viewstory.php?chapter=all&sid=12"
    assert without_params(plain, consent) == plain
    assert without_params("http://h/", consent) == "http://h/"
    assert without_params(url, ()) == url


def test_access_pages_are_revalidated_unless_consent_now_needs_them_read() -> None:
    from fanarchive.sources.web.crawler import NO_CONSENT_LINK, _conditional_headers
    from fanarchive.sources.web.frontier import Entry

    def entry(outcome: str, reason: str | None = None) -> Entry:
        return Entry(1, "http://h/viewstory.php?sid=1", "h", 0, 0, 0, "pending", '"e1"',
                     "Thu, 15 Dec 2005 12:00:00 GMT", "ab" * 32, outcome, reason)

    for outcome in ("ok", "not-modified", "gate-passed", "login"):
        assert _conditional_headers(entry(outcome), adult=True)["If-None-Match"] == '"e1"'
    assert _conditional_headers(entry("gated"), adult=False)  # still no consent: a 304 will do
    assert _conditional_headers(entry("gated"), adult=True) == {}  # find the consent link
    assert _conditional_headers(entry("gated", NO_CONSENT_LINK), adult=True)  # none to find
    assert _conditional_headers(entry("http-404"), adult=True) == {}


def test_url_pattern_groups_pagination_not_stories() -> None:
    assert url_pattern("http://h/browse.php?offset=15&type=titles") == \
        url_pattern("http://h/browse.php?offset=30&type=titles")
    assert url_pattern("http://h/calendar.php?month=5&year=2013") == \
        url_pattern("http://h/calendar.php?month=6&year=2013")
    assert url_pattern("http://h/browse.php?type=titles") != \
        url_pattern("http://h/browse.php?type=authors")


def test_robots_rules_follow_rfc_9309() -> None:
    body = b"User-agent: *\nDisallow: /admin.php\nCrawl-delay: 2\n\n" \
           b"User-agent: fanarchive\nDisallow: /reviews.php\nRequest-rate: 1/5\n"
    rules = RobotsRules.from_response("fanarchive", 200, body)
    assert not rules.allowed("http://h/reviews.php?item=1")
    assert rules.allowed("http://h/admin.php")  # our own group replaces the * group
    assert rules.allowed("http://h/robots.txt")
    assert rules.crawl_delay() == 5.0
    assert RobotsRules.from_response("fanarchive", 404, b"").allowed("http://h/x")
    assert not RobotsRules.from_response("fanarchive", 503, b"").allowed("http://h/x")
    assert not RobotsRules.from_response("fanarchive", None, b"", "timeout").allowed("http://h/x")


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == 30.0
    assert parse_retry_after(formatdate(999_000, usegmt=True), now=1_000_000) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_slot_delay_jitter_backoff_and_cap() -> None:
    settings = CrawlSettings(delay=1.0, jitter=0.5, backoff_base=1.0, backoff_cap=10.0,
                             max_retry_after=30.0, max_crawl_delay=60.0)
    now = [100.0]
    slot = HostSlot("h", settings, clock=lambda: now[0], rng=lambda: 1.0)
    assert slot._spacing() == 1.5  # jitter only ever lengthens the delay
    assert [slot.backoff(n) for n in (1, 2, 3, 5)] == [1.5, 3.0, 6.0, 15.0]
    assert slot.wait_requested(3600) == 30.0  # Retry-After is capped
    assert slot.stats.retry_after_wait == 30.0
    slot.apply_robots(RobotsRules.from_response("fanarchive", 200,
                                                b"User-agent: *\nCrawl-delay: 120\n"))
    assert slot.delay == 60.0 and slot.notes
    ignoring = HostSlot("h", CrawlSettings(delay=0, ignore_crawl_delay=True))
    ignoring.apply_robots(RobotsRules.from_response("fanarchive", 200,
                                                    b"User-agent: *\nCrawl-delay: 5\n"))
    assert ignoring.delay == 0 and ignoring._spacing() == 0.0


def test_circuit_breaker_is_half_open_after_a_pause() -> None:
    now = [0.0]
    slot = HostSlot("h", CrawlSettings(breaker_threshold=3, breaker_pause=60,
                                       breaker_max_trips=2), clock=lambda: now[0])
    assert not slot.record_failure() and not slot.record_failure()
    assert slot.record_failure() and slot.paused and not slot.given_up
    now[0] = 61.0
    assert not slot.paused
    assert slot.record_failure() and slot.given_up  # one more failure re-trips at once
    healthy = HostSlot("h", CrawlSettings(breaker_threshold=3))
    for _ in range(10):
        healthy.record_failure()
        healthy.record_failure()
        healthy.record_success()
    assert healthy.stats.breaker_trips == 0


def test_settings_layers_and_validation() -> None:
    config = load_config()
    shipped = CrawlSettings.from_config(config)
    assert shipped == CrawlSettings()  # the TOML and the dataclass agree
    assert (shipped.delay, shipped.concurrency, shipped.retries) == (1.0, 2, 5)
    layered = CrawlSettings.from_config(config, {"delay": 2, "adult": "yes"},
                                        {"delay": 0, "max_pages": None, "max-depth": "3",
                                         "hosts": "a.example, b.example"})
    assert (layered.delay, layered.adult, layered.max_pages, layered.max_depth) == \
        (0.0, True, 100_000, 3)
    assert layered.hosts == ("a.example", "b.example")
    with pytest.raises(UsageError, match="unknown crawl setting"):
        CrawlSettings.from_config(config, {"dealy": 1})
    with pytest.raises(UsageError, match="concurrency"):
        CrawlSettings(concurrency=0)
    with pytest.raises(UsageError, match="not a valid"):
        CrawlSettings().with_overrides({"max_pages": "many"})


def test_user_agent_names_the_contact() -> None:
    assert "contact: set [crawl] contact" in CrawlSettings().user_agent_header()
    ua = CrawlSettings(contact="archivist@example.org").user_agent_header()
    assert ua == "fanarchive/0.1 (+https://fanarchive.invalid; contact: archivist@example.org)"
    assert CrawlSettings(user_agent="mybot/1", contact="x").user_agent_header() == \
        "mybot/1 (contact: x)"
    assert CrawlSettings().agent_token == "fanarchive"


def test_frontier_queue_semantics(store: Store, source: Source) -> None:
    frontier = Frontier(store.session, source.id)
    assert frontier.prepare() is False and frontier.next_due() is None
    added = frontier.add([NewUrl("http://h/", "h", 0), NewUrl("http://h/a", "h", 1),
                          NewUrl("http://h/a", "h", 1),  # duplicates in one batch
                          NewUrl("http://h/deep", "h", 9, state="skipped", outcome="max-depth"),
                          NewUrl("http://x/", "x", 1, state="off-scope", outcome="off-scope")])
    assert added == 2 and frontier.counts() == {"pending": 2, "skipped": 1, "off-scope": 1}
    # Found again closer to the start: the depth refusal is lifted, the row is not duplicated.
    assert frontier.add([NewUrl("http://h/deep", "h", 2)]) == 1
    assert frontier.add([NewUrl("http://h/", "h", 0)]) == 0
    claimed = frontier.claim({}, default_capacity=2, limit=10)
    assert [e.url for e in claimed] == ["http://h/", "http://h/a"]  # breadth first, per host
    frontier.release([claimed[1].id])
    frontier.finish(claimed[0].id, state="done", outcome="ok")
    later = frontier.lookup("http://h/deep")
    assert later is not None and later.depth == 2
    frontier.finish(later.id, state="pending", next_attempt_at=utcnow() + timedelta(hours=1))
    store.commit()
    # A killed run left "fetching" rows: resuming puts them back; done rows stay done.
    assert frontier.claim({}, 2, 10)[0].url == "http://h/a"
    assert frontier.prepare() is True
    assert frontier.counts() == {"done": 1, "pending": 2, "off-scope": 1}
    assert frontier.next_due() is not None and frontier.next_due(["h"]) is None
    # Nothing pending: the next run is a new crawl and queues finished URLs again.
    for entry in frontier.claim({}, 5, 10):
        frontier.finish(entry.id, state="done", outcome="ok")
    frontier.finish(frontier.lookup("http://h/deep").id, state="done")  # type: ignore[union-attr]
    assert frontier.prepare() is False
    assert frontier.counts() == {"pending": 3, "off-scope": 1}
