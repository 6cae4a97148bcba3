"""URL canonicalization, crawl scope and trap detection.

One page reached through many spellings (``?b=2&a=1`` and ``?a=1&b=2``, a session id, a
fragment, ``:80``) must be fetched once, so every URL is canonicalized before it is looked up in
the frontier, and the canonical form is what gets requested and stored.

Session ids are dropped by name, except ``sid`` and ``s``: eFiction uses ``sid=<digits>`` as
the story id, so those two go only when their value looks like a session token (phpBB's
``sid=<32 hex>``, vBulletin's ``s=<32 hex>``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only ever carry a session, whatever their value.
SESSION_PARAMS = frozenset({
    "phpsessid", "jsessionid", "sessionid", "session_id", "sessid", "sess_id", "cfid",
    "cftoken", "zenid", "oscsid", "xtcsid", "sesskey", "wsessid",
})
# Parameters that are sessions only when the value is a token; otherwise (eFiction's sid=12)
# they identify content and must stay.
TOKEN_SESSION_PARAMS = frozenset({"sid", "s", "session", "sess"})
# ``;jsessionid=...`` and friends appended to a path segment by servlet/PHP URL rewriting.
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/;?#]*", re.IGNORECASE)

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_BARE_PCT = re.compile(r"%(?![0-9A-F]{2})")
# Characters left as they are in each component; anything else is percent-encoded (UTF-8).
_PATH_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~/:@!$&'()*+,;=%]")
_QUERY_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~/:@!$'()*+,;=?%]")  # "&" and "=" split pairs


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _escape(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def _normalize_escapes(text: str, unsafe: re.Pattern[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the rest, encode unsafe chars."""
    if "%" in text:
        text = _BARE_PCT.sub("%25", _PCT.sub(_unescape, text))
    return unsafe.sub(_escape, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, so ``/a/./b/../c`` and ``/a/c`` are one page."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if len(output) > 0:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = path.endswith(("/.", "/.."))
    return "/" + "/".join(output) + ("/" if trailing and output else "")


def _is_session_param(key: str, value: str) -> bool:
    name = key.lower()
    if name in SESSION_PARAMS or name.startswith("aspsessionid"):
        return True
    return name in TOKEN_SESSION_PARAMS and _looks_like_token(value)


def _looks_like_token(value: str) -> bool:
    """PHP session ids are 26-32 letters and digits (or 32+ hex); story ids are short numbers."""
    if len(value) >= 32 and all(c in "0123456789abcdefABCDEF" for c in value):
        return True
    return len(value) >= 26 and value.isalnum() and value.isascii() and not value.isdigit()


def _host(hostname: str) -> str:
    host = hostname.strip().rstrip(".").lower()
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    return host


@lru_cache(maxsize=50_000)  # navigation links repeat on every page of a site
def canonicalize(url: str) -> str:
    """The canonical form of an absolute http(s) URL; ValueError for anything else."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if not parts.hostname:
        raise ValueError(f"URL has no host: {url!r}")
    host = _host(parts.hostname)
    if not host:  # "http://./", "http://\x85/": nothing left once dots and blanks are gone
        raise ValueError(f"URL has no host: {url!r}")
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    port = parts.port  # raises ValueError for a non-numeric port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = _PATH_SESSION.sub("", parts.path)
    path = _remove_dot_segments(_normalize_escapes(path or "/", _PATH_UNSAFE) or "/")
    pairs = []
    for piece in parts.query.split("&"):
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        if _is_session_param(key, value):
            continue
        pairs.append(_normalize_escapes(key, _QUERY_UNSAFE) + sep
                     + _normalize_escapes(value, _QUERY_UNSAFE))
    query = "&".join(sorted(pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


def absolute_link(base: str, href: str) -> str | None:
    """The canonical absolute URL of a link found on ``base``; None for non-http(s) links."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    if re.match(r"^(?:javascript|mailto|data|tel|ftp|news|irc|file):", href, re.IGNORECASE):
        return None
    try:
        return canonicalize(urljoin(base, href))
    except ValueError:
        return None


def without_params(url: str, names: frozenset[str] | tuple[str, ...]) -> str:
    """Canonical ``url`` without the query parameters ``names`` (compared in lower case)."""
    parts = urlsplit(url)
    if not parts.query or not names:
        return url
    wanted = {name.lower() for name in names}
    kept = [piece for piece in parts.query.split("&")
            if piece.partition("=")[0].lower() not in wanted]
    if len(kept) == len(parts.query.split("&")):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), ""))


def netloc_of(url: str) -> str:
    """Host plus non-default port of a canonical URL: the key politeness is counted by."""
    return urlsplit(url).netloc.rpartition("@")[2]


def _www_twin(netloc: str) -> str:
    host = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    if host.startswith("[") or host.replace(".", "").isdigit() or "." not in host:
        return netloc  # IP literals and single-label names have no www twin
    return netloc[4:] if netloc.startswith("www.") else f"www.{netloc}"


@dataclass(frozen=True)
class Scope:
    """The hosts and path prefixes a crawl may fetch; everything else is never requested.

    ``areas`` are (netloc, path prefix) pairs. Derived from the start URLs, each start URL
    allows its own folder on its host, plus the same folder on the host's ``www.`` twin (old
    archives often redirect between the two).
    """

    areas: frozenset[tuple[str, str]]

    @classmethod
    def from_start_urls(cls, start_urls: list[str], hosts: tuple[str, ...] = (),
                        path_prefixes: tuple[str, ...] = ()) -> Scope:
        areas: set[tuple[str, str]] = set()
        prefixes = tuple(p if p.startswith("/") else "/" + p for p in path_prefixes)
        netlocs = []
        for url in start_urls:
            canonical = canonicalize(url)
            netloc = netloc_of(canonical)
            netlocs.append(netloc)
            path = urlsplit(canonical).path
            folder = path[: path.rfind("/") + 1] or "/"
            for place in (netloc, _www_twin(netloc)):
                for prefix in prefixes or (folder,):
                    areas.add((place, prefix))
        for extra in hosts:
            netloc = netloc_of(canonicalize(extra if "://" in extra else f"http://{extra}/"))
            for prefix in prefixes or ("/",):
                areas.add((netloc, prefix))
        return cls(frozenset(areas))

    @property
    def netlocs(self) -> frozenset[str]:
        return frozenset(netloc for netloc, _ in self.areas)

    def reason_outside(self, url: str) -> str | None:
        """None when ``url`` (canonical) is in scope, else why not: off-host or off-path."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            return "scheme"
        netloc = parts.netloc.rpartition("@")[2]
        prefixes = [prefix for place, prefix in self.areas if place == netloc]
        if not prefixes:
            return "off-host"
        if not any(parts.path.startswith(prefix) for prefix in prefixes):
            return "off-path"
        return None


def trap_reason(url: str, max_url_length: int, max_path_repeats: int,
                max_path_segments: int) -> str | None:
    """Why ``url`` looks like a crawler trap (endless generated URLs), or None."""
    if max_url_length and len(url) > max_url_length:
        return f"URL longer than {max_url_length} characters"
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if max_path_segments and len(segments) > max_path_segments:
        return f"path deeper than {max_path_segments} segments"
    if max_path_repeats and segments:
        segment, count = Counter(segments).most_common(1)[0]
        if count >= max_path_repeats:
            return f"path segment {segment!r} repeats {count} times"
    return None


def url_pattern(url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The URL with numeric query values blanked: pages of one listing share a pattern.

    ``browse.php?offset=15`` and ``browse.php?offset=30``, or a calendar's ``?month=5`` and
    ``?month=6``, have the same pattern; following such links is a pagination chain, which is
    bounded by ``max_chain`` instead of by depth.
    """
    parts = urlsplit(url)
    params = []
    for piece in parts.query.split("&") if parts.query else []:
        key, _, value = piece.partition("=")
        params.append((key, "#" if value.lstrip("-").isdigit() else value))
    return parts.netloc, parts.path, tuple(sorted(params))
