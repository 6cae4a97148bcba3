"""One HTTP request at a time, and the only module in fanarchive that imports httpx.

A :class:`Fetcher` sends a single GET (redirects are returned, not followed, so the crawler can
check every hop against its scope), streams the body with a size cap, and turns every network
failure into a :class:`FetchResult` with a short ``error`` word instead of an exception. The
transport is injectable (``httpx.MockTransport`` in unit tests), as in httpx's own design.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import httpx

from fanarchive.sources.web.settings import CrawlSettings

Transport = httpx.AsyncBaseTransport

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Error words, used as per-URL outcomes; the retryable ones are transient network trouble.
TIMEOUT = "timeout"
RESET = "reset"
CONNECT = "connect-error"
TRUNCATED = "truncated"
TOO_LARGE = "too-large"
DNS = "dns-error"
PRIVATE = "private-address"
PROTOCOL = "protocol-error"
RETRYABLE_ERRORS = frozenset({TIMEOUT, RESET, CONNECT, TRUNCATED, DNS, PROTOCOL})


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one request: a response (``status``) or a failure (``error``)."""

    url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    content: bytes = b""
    error: str | None = None
    detail: str = ""
    elapsed: float = 0.0
    bytes_read: int = 0
    requested: bool = True  # False when refused before any byte was sent

    @property
    def location(self) -> str | None:
        if self.status in REDIRECT_STATUSES:
            return self.headers.get("location") or None
        return None

    @property
    def media_type(self) -> str | None:
        value = self.headers.get("content-type")
        return value.split(";")[0].strip().lower() if value else None

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                return value.strip("\"' ")
        return None


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms); every run of the crawler shares one.
    return ssl.create_default_context()


def refused_address(address: str) -> bool:
    """True for addresses a crawl of the public web must never reach (SSRF guard)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified)


class Fetcher:
    """An HTTP/1.1 keep-alive client with the crawl's timeouts, size cap and User-Agent."""

    def __init__(self, settings: CrawlSettings, transport: Transport | None = None) -> None:
        self.settings = settings
        headers = {
            "User-Agent": settings.user_agent_header(),
            "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8",
        }
        if "@" in settings.contact:
            headers["From"] = settings.contact.strip()
        # No cookie jar: a page must not depend on what earlier pages set (a consent cookie
        # makes gated pages look different, so a re-crawl would see new documents).
        jar = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(
            allowed_domains=[]))
        self._client = httpx.AsyncClient(
            cookies=jar,
            transport=transport,
            verify=_tls_context(),
            http1=True,
            http2=False,
            follow_redirects=False,
            headers=headers,
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64,
                                keepalive_expiry=30.0),
            # Proxies come from settings only: an HTTP_PROXY in the environment must not
            # silently route an archive crawl (or loopback tests) elsewhere.
            trust_env=False,
            proxy=settings.proxy or None,
        )
        self._addresses: dict[str, str | None] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def check_host(self, url: str) -> str | None:
        """None when the URL's host may be contacted, else the reason it is refused."""
        if self.settings.allow_private:
            return None
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host in self._addresses:
            return self._addresses[host]
        reason: str | None = None
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port or (443 if parts.scheme == "https" else 80),
                type=socket.SOCK_STREAM)
        except OSError as exc:
            # Not cached: a DNS hiccup should not condemn the host for the whole run.
            return f"{DNS}: cannot resolve {host}: {exc}"
        for info in infos:
            address = str(info[4][0])
            if refused_address(address):
                reason = (f"{PRIVATE}: {host} resolves to {address}; set allow_private = true "
                          "to crawl private or loopback addresses")
                break
        self._addresses[host] = reason
        return reason

    async def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> FetchResult:
        """GET ``url`` once. Never raises for network trouble; see ``FetchResult.error``."""
        started = time.monotonic()
        limit = self.settings.max_bytes
        try:
            async with asyncio.timeout(self.settings.total_timeout or None):
                request = self._client.build_request("GET", url, headers=dict(headers or {}))
                response = await self._client.send(request, stream=True)
                try:
                    meta = _headers(response)
                    declared = meta.get("content-length", "")
                    if limit and declared.isdigit() and int(declared) > limit:
                        return FetchResult(url, response.status_code, meta, error=TOO_LARGE,
                                           detail=f"Content-Length {declared} > {limit} bytes",
                                           elapsed=time.monotonic() - started)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if limit and size > limit:
                            return FetchResult(url, response.status_code, meta,
                                               error=TOO_LARGE, bytes_read=size,
                                               detail=f"body larger than {limit} bytes",
                                               elapsed=time.monotonic() - started)
                        chunks.append(chunk)
                finally:
                    await response.aclose()
        except TimeoutError:
            total = self.settings.total_timeout
            return _failure(url, TIMEOUT, f"no complete response in {total:g} s", started)
        except httpx.TimeoutException as exc:
            return _failure(url, TIMEOUT, f"{type(exc).__name__}: {exc}", started)
        except httpx.ConnectError as exc:
            return _failure(url, CONNECT, str(exc) or "connection failed", started)
        except httpx.RemoteProtocolError as exc:
            text = str(exc)
            # A body shorter than its Content-Length, or a connection closed mid-body.
            kind = TRUNCATED if "incomplete" in text or "complete message body" in text else RESET
            return _failure(url, kind, text, started)
        except (httpx.ReadError, httpx.WriteError, ConnectionError) as exc:
            return _failure(url, RESET, str(exc) or type(exc).__name__, started)
        except httpx.DecodingError as exc:
            return _failure(url, PROTOCOL, f"cannot decode body: {exc}", started)
        except httpx.HTTPError as exc:
            return _failure(url, PROTOCOL, f"{type(exc).__name__}: {exc}", started)
        body = b"".join(chunks)
        return FetchResult(url, response.status_code, meta, body,
                           elapsed=time.monotonic() - started, bytes_read=len(body))


def _headers(response: httpx.Response) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def _failure(url: str, error: str, detail: str, started: float) -> FetchResult:
    return FetchResult(url, error=error, detail=detail, elapsed=time.monotonic() - started)
