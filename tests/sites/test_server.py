"""The server's own behaviour: faults, the request log, conditional GET, lifecycle, CLI."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from tests.sites import faults as fk
from tests.sites.faults import FaultPlan
from tests.sites.launch import start_site
from tests.sites.server import ArchiveServer
from tests.sites.traps import ERROR_PAGE, LOGIN_PAGE, OFFSITE, OFFSITE_REDIRECT, REDIRECT_LOOP

pytest_plugins = ["tests.sites.fixtures"]

REPO = Path(__file__).resolve().parents[2]
SiteFactory = Callable[..., ArchiveServer]
# Building an SSL context costs ~60 ms per httpx.Client; share one (nothing here uses TLS).
TLS = ssl.create_default_context()


def fresh_get(url: str, **kwargs: object) -> httpx.Response:
    """One request on its own connection, so a fault cannot poison a pooled one."""
    with httpx.Client(timeout=5, verify=TLS) as client:
        return client.get(url, **kwargs)  # type: ignore[arg-type]


# ---- decisions ----------------------------------------------------------------------------


def test_fault_rate_and_kind_mix_match_configuration() -> None:
    plan = FaultPlan(rate=0.2, seed=11)
    decisions = [plan.decide(f"/viewstory.php?sid={i}", 0) for i in range(3000)]
    faults = [d for d in decisions if d is not None]
    assert 0.17 < len(faults) / len(decisions) < 0.23
    kinds = Counter(f.kind for f in faults)
    assert set(kinds) == set(fk.ALL_KINDS)
    for count in kinds.values():
        assert abs(count / len(faults) - 1 / len(fk.ALL_KINDS)) < 0.05
    dated = [f for f in faults if f.kind in (fk.RATE_LIMITED, fk.UNAVAILABLE)]
    share = sum(f.retry_after_as_date for f in dated) / len(dated)
    assert 0.2 < share < 0.4


def test_faults_are_deterministic_per_seed_url_and_attempt() -> None:
    urls = [f"/p{i}" for i in range(400)]
    a, b, c = FaultPlan(rate=0.3, seed=1), FaultPlan(rate=0.3, seed=1), FaultPlan(rate=0.3, seed=2)
    assert [a.decide(u, 0) for u in urls] == [b.decide(u, 0) for u in urls]
    assert [a.decide(u, 0) for u in urls] != [c.decide(u, 0) for u in urls]
    # A retry is a fresh roll, and past max_faulted_attempts the request always succeeds.
    assert [a.decide(u, 0) for u in urls] != [a.decide(u, 1) for u in urls]
    assert all(a.decide(u, 2) is None for u in urls)
    # Weights, restriction and exemption.
    only = FaultPlan(rate=1.0, kinds=(fk.RESET, fk.SLOW), weights=(1.0, 0.0), only=("/view",))
    assert {only.decide(f"/view{i}", 0).kind for i in range(50)} == {fk.RESET}
    assert only.decide("/other", 0) is None
    assert FaultPlan(rate=1.0).decide("/robots.txt", 0) is None
    with pytest.raises(ValueError):
        FaultPlan(kinds=("explode",))


# ---- each kind on the wire ----------------------------------------------------------------


@pytest.fixture
def faulty(site_factory: SiteFactory) -> ArchiveServer:
    return site_factory("efiction", stories=8, max_chapters=2)


def test_rate_limit_and_unavailable_send_retry_after(faulty: ArchiveServer) -> None:
    seen_forms = set()
    for kind, status in ((fk.RATE_LIMITED, 429), (fk.UNAVAILABLE, 503)):
        faulty.faults.configure(rate=1.0, kinds=(kind,), http_date_share=0.5)
        for i in range(12):
            response = fresh_get(faulty.urljoin(f"/browse.php?type=titles&offset={i}"))
            assert response.status_code == status
            value = response.headers["retry-after"]
            if value.isdigit():
                assert value == "1"
                seen_forms.add("seconds")
            else:
                wait = parsedate_to_datetime(value).timestamp() - time.time()
                assert 0 < wait <= 2.5
                seen_forms.add("date")
    assert seen_forms == {"seconds", "date"}


def test_retry_after_a_fault_succeeds_and_the_log_shows_the_wait(faulty: ArchiveServer) -> None:
    faulty.faults.configure(rate=1.0, kinds=(fk.RATE_LIMITED,), max_faulted_attempts=1)
    url = faulty.urljoin("/index.php")
    assert fresh_get(url).status_code == 429
    time.sleep(0.2)
    assert fresh_get(url).status_code == 200
    entries = faulty.log.for_path("/index.php")
    assert [(e.status, e.fault, e.attempt) for e in entries] == [(429, "429", 0), (200, None, 1)]
    assert faulty.log.gaps("/index.php")[0] >= 0.2
    assert faulty.faults.history == [("/index.php", 0, "429")]


def test_reset_closes_without_a_response(faulty: ArchiveServer) -> None:
    faulty.faults.configure(rate=1.0, kinds=(fk.RESET,))
    with pytest.raises(httpx.TransportError):
        fresh_get(faulty.urljoin("/index.php"))
    assert faulty.log[-1].status == 0 and faulty.log[-1].fault == fk.RESET


def test_truncated_body_is_detected_by_the_client(faulty: ArchiveServer) -> None:
    faulty.faults.configure(rate=1.0, kinds=(fk.TRUNCATED,))
    with pytest.raises(httpx.RemoteProtocolError):
        fresh_get(faulty.urljoin("/index.php"))
    assert faulty.log[-1].status == 200 and faulty.log[-1].fault == fk.TRUNCATED


def test_slow_body_trickles_and_can_time_out(faulty: ArchiveServer) -> None:
    faulty.faults.configure(rate=1.0, kinds=(fk.SLOW,), slow_seconds=0.4, slow_chunks=4)
    started = time.monotonic()
    response = fresh_get(faulty.urljoin("/index.php"))
    assert time.monotonic() - started >= 0.35
    faulty.faults.disable()
    assert response.content == fresh_get(faulty.urljoin("/index.php")).content
    faulty.faults.configure(rate=1.0, kinds=(fk.SLOW,), slow_seconds=2.0, slow_chunks=4)
    timeout = httpx.Timeout(0.2)
    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=timeout, verify=TLS) as client:
        client.get(faulty.urljoin("/browse.php?type=titles"))


def test_error_page_with_status_200(faulty: ArchiveServer) -> None:
    faulty.faults.configure(rate=1.0, kinds=(fk.ERROR_200,))
    response = fresh_get(faulty.urljoin(faulty.story_path(faulty.model.visible_stories()[0].sid)))
    assert response.status_code == 200
    assert "Too many connections" in response.text and "chaptertitle" not in response.text


def test_mixed_faults_on_the_wire_at_the_configured_rate(faulty: ArchiveServer) -> None:
    faulty.faults.configure(rate=0.25, seed=5, slow_seconds=0.02, max_faulted_attempts=None)
    targets = [f"/calendar.php?year=2000&month={m}&n={n}" for m in range(1, 13) for n in range(10)]
    outcomes = Counter()
    for target in targets:
        try:
            response = fresh_get(faulty.urljoin(target))
            outcomes[response.status_code] += 1
        except httpx.TransportError:
            outcomes["transport"] += 1
    planned = [faulty.faults.decide(t, 0) for t in targets]
    planned_kinds = Counter(p.kind for p in planned if p is not None)
    logged = Counter(e.fault for e in faulty.log if e.fault)
    assert logged == planned_kinds  # the wire did exactly what the plan said
    assert 0.15 < sum(logged.values()) / len(targets) < 0.35
    assert outcomes[429] == planned_kinds[fk.RATE_LIMITED]
    assert outcomes[503] == planned_kinds[fk.UNAVAILABLE]
    assert outcomes["transport"] == planned_kinds[fk.RESET] + planned_kinds[fk.TRUNCATED]


# ---- fixed traps ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["efiction", "static", "txt"])
def test_trap_urls_on_every_site(site_factory: SiteFactory, kind: str) -> None:
    site = site_factory(kind, stories=3, max_chapters=1)
    with httpx.Client(timeout=5, follow_redirects=True, max_redirects=10,
                      verify=TLS) as client, pytest.raises(httpx.TooManyRedirects):
        client.get(site.urljoin(REDIRECT_LOOP))
    hops = {e.path for e in site.log.touched(REDIRECT_LOOP)}
    assert len(hops) == 3  # a cycle, not an ever-growing chain
    offsite = fresh_get(site.urljoin(OFFSITE_REDIRECT))
    assert offsite.status_code == 302 and offsite.headers["location"].startswith(OFFSITE)
    error = fresh_get(site.urljoin(ERROR_PAGE))
    assert error.status_code == 200 and "database error" in error.text.lower()
    login = fresh_get(site.urljoin(LOGIN_PAGE))
    assert login.status_code == 200 and 'type="password"' in login.text.replace("'", '"')


# ---- request log ------------------------------------------------------------------------


def test_log_records_requests_and_client_headers(efiction_site: ArchiveServer) -> None:
    with httpx.Client(headers={"User-Agent": "fanarchive-test/1.0"}, verify=TLS) as client:
        client.get(efiction_site.urljoin("/robots.txt"))
        client.get(efiction_site.urljoin("/index.php"), headers={"If-None-Match": '"abc"'})
        client.head(efiction_site.urljoin("/index.php"))
    entries = efiction_site.log.entries()
    assert [(e.method, e.path, e.status) for e in entries] == [
        ("GET", "/robots.txt", 200), ("GET", "/index.php", 200), ("HEAD", "/index.php", 200),
    ]
    when, method, path, status, headers = entries[1]  # unpacks as the documented 5-tuple
    assert (method, path, status) == ("GET", "/index.php", 200)
    assert headers["user-agent"] == headers["User-Agent"] == "fanarchive-test/1.0"
    assert headers["If-None-Match"] == '"abc"'
    assert entries[0].time <= when <= time.monotonic()
    assert efiction_site.log.count("/index.php") == 2
    assert efiction_site.log.touched("/admin.php") == []
    assert entries[2].attempt == 1  # HEAD and GET of one target share the attempt counter


# ---- conditional GET -----------------------------------------------------------------------


def test_efiction_sends_no_validators_by_default(efiction_site: ArchiveServer) -> None:
    url = efiction_site.urljoin(efiction_site.story_path(efiction_site.model.stories[1].sid))
    response = fresh_get(url)
    assert "etag" not in response.headers and "last-modified" not in response.headers
    assert response.headers["cache-control"].startswith("no-store")
    again = fresh_get(url, headers={"If-None-Match": "*",
                                    "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert again.status_code == 200


def test_conditional_get_when_enabled(site_factory: SiteFactory) -> None:
    site = site_factory("efiction", conditional=True)
    sid = next(s.sid for s in site.model.visible_stories() if site.model.access(s) == "open")
    url = site.urljoin(site.chapter_path(sid, 1))
    first = fresh_get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert fresh_get(url, headers={"If-None-Match": etag}).status_code == 304
    assert fresh_get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert fresh_get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    site.model.edit_chapter(sid, 1, "Changed text.")
    changed = fresh_get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert fresh_get(url, headers={"If-Modified-Since": modified}).status_code == 200
    assert [e.status for e in site.log.for_path(site.chapter_path(sid, 1))] == [
        200, 304, 304, 200, 200, 200,
    ]


# ---- lifecycle and the serve script ------------------------------------------------------


def test_start_is_fast_and_stop_cuts_keepalive_connections() -> None:
    started = time.monotonic()
    site = start_site("efiction")
    assert time.monotonic() - started < 1.0  # generation + bind; typically ~0.1 s
    client = httpx.Client(timeout=2, verify=TLS)
    try:
        assert client.get(site.urljoin("/index.php")).status_code == 200  # pooled connection
        site.faults.configure(rate=1.0, kinds=(fk.SLOW,), slow_seconds=30)
        stopping = time.monotonic()
        site.stop()  # must not wait for keep-alive connections or the trickling body
        assert time.monotonic() - stopping < 1.0
        with pytest.raises(httpx.TransportError):
            client.get(site.urljoin("/index.php"))
    finally:
        client.close()
        site.stop()


def test_serve_script_prints_urls_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.sites.serve", "--stories", "5", "--chapters", "2"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().split() for _ in range(3)]
        assert [kind for kind, _ in lines] == ["efiction", "static", "txt"]
        for _, url in lines:
            assert fresh_get(url + "/robots.txt").status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
