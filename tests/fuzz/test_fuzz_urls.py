"""URL canonicalization and crawl scope over generated URLs.

``canonicalize`` must be idempotent (the frontier looks URLs up by their canonical form, so a
second pass that changed anything would fetch a page twice); its output must name the same
host to the scope check as to the HTTP client; and no spelling of a URL on another host (user
info, ports, case, dots, the start host in the path or query) may count as in scope.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import httpx
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fanarchive.sources.web.urls import Scope, absolute_link, canonicalize, netloc_of

DEPTH = float(os.environ.get("FANARCHIVE_FUZZ_SCALE", "1"))  # 20: a deeper nightly pass
FUZZ = settings(max_examples=int(80 * DEPTH), deadline=None, derandomize=True, database=None)

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
HOSTS = st.lists(LABEL, min_size=1, max_size=3).map(".".join).map(lambda h: h + ".example")
# Path and query text: anything, including escapes, unicode, dot segments and separators.
PIECE = st.one_of(
    st.text(max_size=12).filter(lambda s: "#" not in s),
    st.sampled_from([".", "..", "%2e", "%2E%2e", "%", "%zz", "%41", "%7e", "~", ";jsessionid=1",
                     "a b", "é", "日本", "+", "=", "&", "?", "//", "@", ":", "\\", "%00", "%25"]),
)
PATHS = st.lists(PIECE, max_size=5).map(lambda parts: "/" + "/".join(parts))
PARAMS = st.lists(st.tuples(PIECE, PIECE), max_size=4).map(
    lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
SESSION = st.sampled_from(["", "PHPSESSID=0123456789abcdef0123456789abcdef",
                           "sid=abcdefghijklmnopqrstuvwxyz12", "sid=12", "s=3"])


@st.composite
def urls(draw: st.DrawFn, host: str | None = None) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    host = host or draw(HOSTS)
    host = draw(st.sampled_from([host, host.upper(), host + ".", "www." + host]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    user = draw(st.sampled_from(["", "user@", "user:pw@"]))
    query = "&".join(p for p in (draw(PARAMS), draw(SESSION)) if p)
    fragment = draw(st.sampled_from(["", "#top", "#a?b=c"]))
    return (f"{scheme}://{user}{host}{port}{draw(PATHS)}" + (f"?{query}" if query else "")
            + fragment)


def canonical_or_none(url: str) -> str | None:
    try:
        return canonicalize(url)
    except ValueError:
        return None


@FUZZ
@given(urls())
def test_canonicalize_is_idempotent(url: str) -> None:
    once = canonical_or_none(url)
    assume(once is not None)
    assert canonicalize(once) == once


@FUZZ
@given(st.text(max_size=60))
def test_canonicalize_raises_only_value_error(text: str) -> None:
    for candidate in (text, "http://" + text, "https://h.example/" + text):
        once = canonical_or_none(candidate)
        if once is not None:
            assert canonicalize(once) == once
            assert urlsplit(once).scheme in ("http", "https")
            assert not urlsplit(once).fragment


@FUZZ
@given(urls())
def test_the_client_connects_to_the_host_the_scope_checked(url: str) -> None:
    canonical = canonical_or_none(url)
    assume(canonical is not None)
    scoped = netloc_of(canonical)
    requested = httpx.URL(canonical)
    default = {"http": 80, "https": 443}[requested.scheme]
    port = requested.port if requested.port not in (None, default) else None
    assert scoped == (requested.host if port is None else f"{requested.host}:{port}")


@FUZZ
@given(HOSTS, PATHS, urls())
def test_urls_under_the_start_folder_are_in_scope(host: str, folder: str, url: str) -> None:
    start = canonical_or_none(f"http://{host}{folder}/")
    assume(start is not None)
    scope = Scope.from_start_urls([start])
    base = start.split("?")[0]
    for path in ("", "story.php", "a/b/c.html"):
        inside = canonical_or_none(base + path + "?" + urlsplit(url).query)
        if inside is not None:
            assert scope.reason_outside(inside) is None, (start, inside)


@FUZZ
@given(HOSTS, HOSTS, PATHS)
def test_no_spelling_of_another_host_is_in_scope(host: str, other: str, path: str) -> None:
    assume(other != host and not other.endswith("." + host) and other != "www." + host)
    scope = Scope.from_start_urls([f"http://{host}/"])
    for candidate in (f"http://{other}{path}", f"http://{host}@{other}{path}",
                      f"http://{host}:80@{other}/", f"http://{other}/{host}/",
                      f"http://{other}/?u=http://{host}/", f"http://{host}.{other}/",
                      f"https://{other.upper()}.:443{path}", f"http://{other}#@{host}/",
                      f"http://{other}\\@{host}/"):
        canonical = canonical_or_none(candidate)
        if canonical is None:
            continue
        requested = httpx.URL(canonical).host
        if requested.rstrip(".") in (host, "www." + host):
            continue  # really on the start host (e.g. user info that names another host)
        assert scope.reason_outside(canonical) == "off-host", (candidate, canonical)


@FUZZ
@given(urls(), PIECE)
def test_links_resolve_to_canonical_http_urls_or_nothing(base: str, href: str) -> None:
    canonical_base = canonical_or_none(base)
    assume(canonical_base is not None)
    for link in (href, "javascript:" + href, "  " + href, "mailto:" + href, "//" + href):
        found = absolute_link(canonical_base, link)
        if found is not None:
            assert canonicalize(found) == found
            assert not found.lower().startswith(("javascript:", "mailto:"))


def test_hosts_that_normalize_to_nothing_are_refused() -> None:
    # Found by the properties above: these became "http:///", which is not a URL.
    for url in ("http://\x85#", "http://./", "http://../x", "https://.../"):
        assert canonical_or_none(url) is None, url
    assert absolute_link("http://0.example/", "//.") is None
