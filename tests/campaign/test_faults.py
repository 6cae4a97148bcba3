"""Fault campaign: a real ``fanarchive import`` of a served eFiction archive that misbehaves.

One fifth of the archive's answers are faulted (429 and 503 with Retry-After, connection
resets, slow trickles, truncated bodies; deterministic per seed, URL and attempt), its home
page links to a host that does not resolve (inside the crawl's scope, so it is really tried), to
a page on a second server and to a redirect onto that server (both outside the scope), and the
site has its usual redirect loop and off-site redirect. Everything is judged from the servers'
request logs and the database:

* every story an unfaulted crawl of the same site imports is imported, with the same content;
* a retry after a 429/503 comes no sooner than its Retry-After;
* the second server (the off-host target) sees no request at all;
* no URL is requested more than ``retries + 1`` times;
* the dead host, the loop and the off-host redirect are recorded with their reasons.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from campaign import (
    FULL,
    SEED,
    cli_env,
    compare_snapshots,
    consistency_problems,
    query,
    run_cli,
    say,
    snapshot,
    sqlite_url,
    titles,
)

from tests.sites.content import ArchiveModel
from tests.sites.faults import FaultPlan
from tests.sites.launch import build_site
from tests.sites.requestlog import LogEntry
from tests.sites.server import ArchiveServer
from tests.sites.wire import Request, Response

STORIES = 40 if FULL else 15
CHAPTERS = 6 if FULL else 3
RATE = 0.2
KINDS = ("429", "503", "reset", "slow", "truncated")
RETRIES = 3
RETRY_AFTER = 1  # seconds the faulted 429/503 answers ask for
DEAD_HOST = "nonexistent.invalid"
CRAWL_FLAGS = ["--delay", "0", "--adult", "--allow-private", "--ignore-crawl-delay"]
# The dead host is put in scope so the crawler really tries it; quick backoff keeps the test
# short (the waits a server asks for with Retry-After are never shortened).
CONFIG = f"""
[fanarchive.crawl]
hosts = ["{DEAD_HOST}"]
retries = {RETRIES}
backoff_base = 0.1
backoff_cap = 1.0
"""


class _WithHostileLinks:
    """The eFiction site, plus links on its home page that lead nowhere good.

    The importer follows the links its eFiction parser picks (same-host listing and story
    scripts), so the hostile places hide behind such links: ``browse.php?type=gone`` redirects
    to a host that does not resolve (put in the crawl's scope by the config, so it is really
    tried), ``type=elsewhere`` redirects to the second server (outside the scope), and
    ``type=loop`` redirects round in a circle. A plain link to the second server sits beside
    them for good measure (the parser drops it; the crawler would refuse it).
    """

    def __init__(self, inner: Any, other_url: str) -> None:
        self.inner = inner
        self.other_url = other_url
        self.links = ["browse.php?type=gone", "browse.php?type=elsewhere",
                      "browse.php?type=loop&hop=0", other_url + "/viewstory.php?sid=2"]

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def model(self) -> ArchiveModel:
        return self.inner.model  # type: ignore[no-any-return]

    @property
    def options(self) -> Any:
        return self.inner.options

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def handle(self, request: Request) -> Response:
        kind = request.arg("type") if request.path == "/browse.php" else None
        if kind == "gone":
            return Response.redirect(f"http://{DEAD_HOST}/viewstory.php?sid=1")
        if kind == "elsewhere":
            return Response.redirect(self.other_url + "/viewstory.php?sid=1")
        if kind == "loop":
            following = ((request.int_arg("hop", 0) or 0) + 1) % 3
            return Response.redirect(f"/browse.php?type=loop&hop={following}")
        response = self.inner.handle(request)
        if request.path in ("/", "/index.php") and response.status == 200:
            anchors = "".join(f'<a href="{href}">{href}</a> ' for href in self.links)
            body = response.body.replace(b"</body>", anchors.encode() + b"</body>", 1)
            response = dataclasses.replace(response, body=body)  # never touch a cached page
        return response


@dataclass
class Campaign:
    site: ArchiveServer
    other: ArchiveServer
    faulted_db: Path
    clean_db: Path
    faulted_log: list[LogEntry]
    stdout: str


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    from tests.web.crawlkit import page, serve_pages

    work = tmp_path_factory.mktemp("faults")
    (work / "config.toml").write_text(CONFIG, encoding="utf-8")
    env = cli_env(work / "home")
    other = serve_pages({"/": page("/viewstory.php?sid=1"),
                         "/viewstory.php": page(body="an off-host story")})
    plan = FaultPlan(rate=RATE, seed=SEED, kinds=KINDS, retry_after=RETRY_AFTER)
    model = ArchiveModel.generate(seed=SEED % 1000, stories=STORIES, max_chapters=CHAPTERS)
    hostile = _WithHostileLinks(build_site("efiction", model, crawl_delay=0), other.url)
    site = ArchiveServer(hostile, plan).start()
    try:
        def argv(db: Path) -> list[str]:
            return ["--db", sqlite_url(db), "--config", str(work / "config.toml"), "import",
                    "-q", site.url + "/", *CRAWL_FLAGS]

        faulted = work / "faulted.sqlite3"
        done = run_cli(argv(faulted), env=env, logs=work / "logs", timeout=600)
        log = site.log.entries()
        say(f"faulted crawl: {len(log)} requests, {len(site.log.faults())} faulted "
            f"({dict(Counter(e.fault for e in site.log.faults()))}) in {done.seconds:.1f}s")
        site.faults.disable()
        clean = work / "clean.sqlite3"
        run_cli(argv(clean), env=env, logs=work / "logs", timeout=600)
        yield Campaign(site, other, faulted, clean, log, done.stdout)
    finally:
        site.stop()
        other.stop()


def _story_routes(campaign: Campaign) -> list[LogEntry]:
    return [e for e in campaign.faulted_log if e.path != "/robots.txt"]


def test_faults_really_happened(campaign: Campaign) -> None:
    kinds = Counter(e.fault for e in campaign.faulted_log if e.fault)
    requests = len(_story_routes(campaign))
    assert sum(kinds.values()) >= RATE * requests / 2, (kinds, requests)
    assert kinds["429"] + kinds["503"] > 0 and kinds["reset"] + kinds["truncated"] > 0, kinds


def test_every_story_is_imported_despite_faults(campaign: Campaign) -> None:
    problems = consistency_problems(campaign.faulted_db)
    assert not problems, problems
    faulted, clean = snapshot(campaign.faulted_db), snapshot(campaign.clean_db)
    model = campaign.site.model
    readable = [s for s in model.visible_stories() if not s.members_only]
    assert len(clean) == len(readable), "the unfaulted crawl itself missed stories"
    diff = compare_snapshots(faulted, clean, titles(campaign.clean_db))
    assert not diff, "the faulted crawl differs from an unfaulted one:\n" + "\n".join(diff)
    assert sorted(titles(campaign.faulted_db).values()) == sorted(s.title for s in readable)
    assert {s.revisions for s in faulted.values()} == {1}


def test_retry_after_is_respected(campaign: Campaign) -> None:
    by_path: dict[str, list[LogEntry]] = {}
    for entry in campaign.faulted_log:
        by_path.setdefault(entry.path, []).append(entry)
    checked = 0
    early = []
    for path, entries in by_path.items():
        for asked, following in zip(entries, entries[1:], strict=False):
            if asked.fault in ("429", "503"):
                checked += 1
                gap = following.time - asked.time
                if gap < RETRY_AFTER - 0.01:
                    early.append(f"{path}: retried {gap:.3f}s after a {asked.status} that asked "
                                 f"for {RETRY_AFTER}s")
    assert checked, "no 429/503 was retried: the campaign proves nothing about Retry-After"
    assert not early, "\n".join(early)


def _frontier(campaign: Campaign) -> dict[str, tuple[Any, ...]]:
    """url -> (state, outcome, attempts, reason) of the faulted crawl's frontier."""
    rows = query(campaign.faulted_db, "SELECT url, state, outcome, attempts, reason "
                                      "FROM crawl_urls")
    return {row[0]: tuple(row[1:]) for row in rows}


def _row(campaign: Campaign, target: str) -> tuple[Any, ...]:
    from fanarchive.sources.web import canonicalize

    frontier = _frontier(campaign)
    url = canonicalize(campaign.site.url + target)
    assert url in frontier, f"{url} was never queued; the frontier has {sorted(frontier)[:20]}"
    return frontier[url]


def test_no_request_ever_reaches_another_host(campaign: Campaign) -> None:
    assert campaign.other.log.entries() == [], [e.path for e in campaign.other.log]
    state, outcome, _, reason = _row(campaign, "/browse.php?type=elsewhere")
    assert (state, outcome) == ("off-scope", "off-scope"), (state, outcome, reason)
    assert campaign.other.url in (reason or ""), reason
    # The site's own off-site redirect, to a host nobody serves, is refused the same way.
    offsite = [row for url, row in _frontier(campaign).items() if "offsite.invalid" in url]
    assert all(row[0] == "off-scope" for row in offsite), offsite


def test_retries_are_bounded(campaign: Campaign) -> None:
    counts = Counter(e.path for e in campaign.faulted_log if e.path != "/robots.txt")
    over = {path: n for path, n in counts.items() if n > RETRIES + 1}
    assert not over, f"requested more than retries + 1 = {RETRIES + 1} times: {over}"
    assert campaign.site.log.count("/robots.txt") <= 1 + RETRIES


def test_dead_host_and_redirect_loop_are_recorded(campaign: Campaign) -> None:
    # The dead host's robots.txt cannot be fetched, which RFC 9309 reads as "disallow all":
    # the redirect is refused with the name-resolution failure as its reason. (Without
    # --allow-private the crawler resolves hosts itself first and records a dns-error.)
    row = _row(campaign, "/browse.php?type=gone")
    state, outcome, attempts, reason = row
    assert state in ("failed", "robots-disallowed"), row
    assert attempts <= RETRIES + 1, row
    assert "Name or service not known" in (reason or "") or outcome in ("dns-error",
                                                                        "connect-error"), row
    state, outcome, _, reason = _row(campaign, "/browse.php?hop=0&type=loop")
    assert (state, outcome) == ("failed", "redirect-loop"), (state, outcome, reason)
    errors = query(campaign.faulted_db, "SELECT locator, code, message FROM run_errors")
    assert any("type=gone" in locator for locator, _, _ in errors), errors
    # The run still finished: a dead host and a hostile site are not a failed run.
    status = query(campaign.faulted_db, "SELECT status FROM runs ORDER BY id")
    assert status == [("finished",)], status
