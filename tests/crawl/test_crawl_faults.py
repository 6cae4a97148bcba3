"""A crawl through a flaky server: every story still arrives, politely, with bounded retries.

A fifth of the responses go wrong (429 and 503 with ``Retry-After``, connection resets, slow
trickles, truncated bodies, database error pages served with 200). The server's request log
is the witness: the retry of a URL comes no sooner than the wait the server asked for.
"""

from __future__ import annotations

from collections import defaultdict

from fanarchive.store.store import Store
from tests.crawl.test_crawl_support import (
    READABLE,
    by_title,
    crawl,
    duplicate_rows,
    printer_path,
    readable_problems,
    records,
    run_errors,
    visible_sids,
)
from tests.sites.faults import ALL_KINDS, FaultPlan

EARLY = 0.02  # arrival times are taken when the request line is read: allow scheduling noise


def test_twenty_percent_faults_every_story_arrives(store: Store, site_factory) -> None:
    # Faults are rolled per URL: 24 stories make about 45 URLs (one printer view per story),
    # and seed 16 gives every kind among them (checked against the URLs of a clean crawl).
    plan = FaultPlan(rate=0.2, seed=16, kinds=ALL_KINDS, retry_after=1, slow_seconds=0.3)
    site = site_factory("efiction", stories=24, max_chapters=3, faults=plan)
    model = site.model
    report = crawl(store, site.url + "/")

    log = site.log.entries()
    faulted = [e for e in log if e.fault is not None]
    kinds = {e.fault for e in faulted}
    assert len(faulted) >= 0.1 * len(log), (len(faulted), len(log))
    assert kinds == set(ALL_KINDS), kinds  # 429, 503, reset, slow, truncated, error200

    # Every story arrives whole and right, as if nothing had gone wrong.
    assert report.crawl.complete and report.crawl.failures == 0, report.crawl.problems
    assert report.failed == 0, report.errors
    assert readable_problems(store, model) == []
    assert duplicate_rows(store) == dict.fromkeys(duplicate_rows(store), 0)
    # Nothing a fault produced was taken for content: no error page, no half body stored
    # as a story's source.
    for hits in by_title(records(store)).values():
        assert hits[0]["quality_flags"] == []

    # Retry-After respected, measured on the server: the next request for the same URL
    # arrives no sooner than the advertised wait after the 429/503 did.
    by_path = defaultdict(list)
    for entry in log:
        by_path[entry.path].append(entry)
    waits = []
    for entry in faulted:
        if entry.status not in (429, 503):
            continue
        later = [e for e in by_path[entry.path] if e.time > entry.time]
        assert later, f"{entry.path} never retried after {entry.status}"
        waits.append(later[0].time - entry.time)
        assert later[0].time - entry.time >= plan.retry_after - EARLY, (entry.path, waits[-1])
    assert waits
    # ... and the whole host waited: a 429/503 stops every request to the host, not just
    # that URL (requests already on the wire when it was sent are let through).
    for entry in faulted:
        if entry.status not in (429, 503):
            continue
        window = [e for e in log if entry.time + 0.25 < e.time < entry.time + plan.retry_after
                  - EARLY]
        assert window == [], (entry.path, [e.path for e in window])

    # Bounded retries: the plan faults a URL at most twice in a row, so three requests
    # get any URL through; none needed more.
    per_url = defaultdict(int)
    for entry in log:
        per_url[entry.path] += 1
    assert max(per_url.values()) <= 3, max(per_url.items(), key=lambda item: item[1])
    assert report.crawl.retries >= len([e for e in faulted if e.path != "/robots.txt"]) // 2


def test_a_url_that_never_recovers_is_given_up_and_the_crawl_goes_on(store: Store,
                                                                      site_factory) -> None:
    site = site_factory("efiction", stories=6, max_chapters=2)
    model = site.model
    victim = visible_sids(model, access=["open"])[0]
    target = printer_path(site, victim)
    site.faults.configure(rate=1.0, kinds=("503",), only=(target,), max_faulted_attempts=None,
                          retry_after=1)
    report = crawl(store, site.url + "/", retries=2)

    assert site.log.count(target) == 3  # the first try and exactly two retries
    gaps = site.log.gaps(target)
    assert all(g >= 1 - EARLY for g in gaps), gaps
    assert report.crawl.complete  # the crawl finished; the URL is recorded as failed
    assert report.crawl.failures == 1
    recorded = {u: (code, message) for u, code, message in run_errors(store, report.run_id)}
    code, message = recorded[site.url + target]
    assert code == "http-503" and "gave up after 3 attempts" in message
    found = by_title(records(store))
    # The victim's printer view is the story: that story is lost, every other one arrives.
    assert model.story(victim).title not in found
    others = [s for s in visible_sids(model, access=READABLE) if s != victim]
    assert sorted(found) == sorted(model.story(s).title for s in others)
