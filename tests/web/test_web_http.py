"""The fetcher on its own, over httpx.MockTransport: caps, error words, headers, SSRF guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from fanarchive.sources.web.http import Fetcher, FetchResult, refused_address
from fanarchive.sources.web.settings import CrawlSettings


def fetch(handler: httpx.MockTransport, url: str = "http://archive.example/page",
          **settings: object) -> FetchResult:
    async def go() -> FetchResult:
        fetcher = Fetcher(CrawlSettings(**settings), transport=handler)  # type: ignore[arg-type]
        try:
            return await fetcher.fetch(url)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def test_headers_sent_and_redirects_returned_not_followed() -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "/elsewhere"})

    result = fetch(httpx.MockTransport(app), contact="archivist@example.org")
    assert result.status == 302 and result.location == "/elsewhere"
    assert len(seen) == 1
    assert seen[0].headers["User-Agent"].endswith("contact: archivist@example.org)")
    assert seen[0].headers["From"] == "archivist@example.org"


def test_body_cap_while_streaming_without_content_length() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    result = fetch(httpx.MockTransport(app), max_bytes=10_000)
    assert result.error == "too-large" and result.content == b""
    assert 10_000 < result.bytes_read < 100_000  # stopped early, not after reading it all


def test_body_cap_from_content_length() -> None:
    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"y" * 5000)

    assert fetch(httpx.MockTransport(app), max_bytes=4999).error == "too-large"
    ok = fetch(httpx.MockTransport(app), max_bytes=5000)
    assert ok.status == 200 and len(ok.content) == 5000


@pytest.mark.parametrize(("exc", "word"), [
    (httpx.ConnectError("refused"), "connect-error"),
    (httpx.ConnectTimeout("slow"), "timeout"),
    (httpx.ReadTimeout("slow"), "timeout"),
    (httpx.ReadError("reset by peer"), "reset"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), "reset"),
    (httpx.RemoteProtocolError("peer closed connection without sending complete message "
                               "body: received 10 bytes, expected 20"), "truncated"),
])
def test_network_failures_become_error_words(exc: Exception, word: str) -> None:
    def app(request: httpx.Request) -> httpx.Response:
        raise exc

    result = fetch(httpx.MockTransport(app))
    assert result.status is None and result.error == word


def test_charset_and_media_type() -> None:
    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<p>hi</p>",
                              headers={"Content-Type": "text/HTML; Charset=\"windows-1252\""})

    result = fetch(httpx.MockTransport(app))
    assert (result.media_type, result.charset) == ("text/html", "windows-1252")


def test_private_addresses_refused_unless_allowed() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "169.254.169.254", "::1",
                    "0.0.0.0", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1"):
        assert refused_address(address), address
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"):
        assert not refused_address(address), address

    async def check(allow: bool, url: str) -> str | None:
        fetcher = Fetcher(CrawlSettings(allow_private=allow))
        try:
            return await fetcher.check_host(url)
        finally:
            await fetcher.aclose()

    assert "private-address" in (asyncio.run(check(False, "http://127.0.0.1:9/")) or "")
    assert "private-address" in (asyncio.run(check(False, "http://localhost:9/")) or "")
    assert asyncio.run(check(True, "http://127.0.0.1:9/")) is None
