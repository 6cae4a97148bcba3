"""Which links on an eFiction page lead to stories, and the URL forms eFiction uses.

Only story-bearing scripts are returned for crawling (story pages, listings, author and series
pages, their pagination): reviews, search forms, login and skin switches would cost requests
and find nothing new. PHP session ids are dropped from the query; the crawler canonicalizes the
rest.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fanarchive_parsers.htmlstory.dom import Page
from lxml import etree

# Scripts whose pages list or hold stories.
CRAWL_SCRIPTS = frozenset({"viewstory.php", "browse.php", "viewuser.php", "viewseries.php",
                           "series.php", "authors.php", "titles.php", "categories.php",
                           "index.php", "stories.php", ""})
# Query parameters that only change the look of a page or identify the session.
DROP_PARAMS = frozenset({"phpsessid", "skin", "sort", "textsize"})
KEEP_ACTIONS = frozenset({"printable"})
# Listings link gated stories through javascript:if(confirm('...')) location = 'viewstory...'
_JS_LOCATION = re.compile(r"location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"]")


def script_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1].lower()


def query_of(url: str) -> dict[str, str]:
    return {k.lower(): v for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)}


def sid_of(url: str | None) -> str | None:
    if not url or script_of(url) != "viewstory.php":
        return None
    sid = query_of(url).get("sid", "")
    return sid if sid.isdigit() else None


def clean_url(url: str) -> str:
    """``url`` without session ids and display-only parameters (order kept)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    action = next((v for k, v in pairs if k.lower() == "action"), None)
    kept = [(k, v) for k, v in pairs if k.lower() not in DROP_PARAMS
            or (k.lower() == "textsize" and action == "printable")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


# The gate's consent parameters: eFiction honours them on every viewstory.php request, so a
# story link that carries them works without the PHP session that remembers the consent.
CONSENT_PARAMS = frozenset({"warning", "ageconsent"})


def with_consent(url: str, page_url: str | None) -> str:
    """``url`` plus the consent parameters ``page_url`` carries and ``url`` lacks.

    Without them the printer view of a gated story depends on a session cookie: a later crawl
    (a new session) gets the gate again where it stored the story, under another URL.
    """
    if not page_url:
        return url
    consent = [(k, v) for k, v in parse_qsl(urlsplit(page_url).query, keep_blank_values=True)
               if k.lower() in CONSENT_PARAMS]
    if not consent:
        return url
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    have = {k.lower() for k, _ in pairs}
    pairs += [(k, v) for k, v in consent if k.lower() not in have]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))


def printable_all(url: str) -> str:
    """A printable link of one chapter turned into the all-chapters form."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    out = [(k, "all" if k.lower() == "chapter" else v) for k, v in pairs]
    if not any(k.lower() == "chapter" for k, _ in pairs):
        out.append(("chapter", "all"))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(out), ""))


def hrefs(page: Page, root: etree._Element | None = None) -> list[tuple[str, etree._Element]]:
    """(absolute URL, anchor) for every usable link, ``javascript:`` gate links included."""
    if root is None:
        cached: list[tuple[str, etree._Element]] | None = page.cache.get("efiction_hrefs")
        if cached is None:
            cached = page.cache["efiction_hrefs"] = hrefs(page, page.root)
        return cached
    found: list[tuple[str, etree._Element]] = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href.lower().startswith("javascript:"):
            match = _JS_LOCATION.search(href)
            href = match.group(1).replace("&amp;", "&") if match else ""
        url = page.absolute(href)
        if url is not None:
            found.append((url, a))
    return found


def crawlable(url: str) -> bool:
    """Whether ``url`` is an eFiction page worth fetching for stories."""
    script = script_of(url)
    if script not in CRAWL_SCRIPTS:
        return False
    query = query_of(url)
    action = query.get("action")
    if action and action not in KEEP_ACTIONS:
        return False
    if script == "viewstory.php":
        return query.get("sid", "").isdigit()
    if script == "browse.php":
        return query.get("type", "") not in ("challenges",)
    return not (script in ("", "index.php") and query)  # no skin switches on the home page


def discovery_links(page: Page, exclude_sid: str | None = None) -> list[str]:
    """Every crawlable link on the page, in page order, without duplicates.

    Links to ``exclude_sid`` (the story this page shows) are left to the caller, which knows
    which of them are worth a request.
    """
    seen: dict[str, None] = {}
    # eFiction links within the archive are relative: links to other hosts are never its pages.
    host = urlsplit(page.url).netloc.lower() if page.url else None
    for url, _a in hrefs(page):
        if not crawlable(url) or (host and urlsplit(url).netloc.lower() != host):
            continue
        if exclude_sid is not None and sid_of(url) == exclude_sid:
            continue
        seen.setdefault(clean_url(url), None)
    return list(seen)
