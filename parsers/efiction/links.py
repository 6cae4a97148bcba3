"""Which links on an eFiction page lead to stories, and the URL forms eFiction uses.

Only story-bearing scripts are returned for crawling (story pages, listings, author and series
pages, their pagination): reviews, search forms, login and skin switches would cost requests
and find nothing new. PHP session ids are dropped from the query; the crawler canonicalizes the
rest.

A listing's links are narrowed further (:func:`listing_links`): a story is asked for through
its printer view of all chapters (one request for the whole story, metadata included), and
where the site has a title listing (``browse.php?type=titles``, which pages through every
story) the listings that list the same stories again (categories, characters, genres, most
recent, authors) are left out. Series pages stay (they number the parts), and so does any
listing of a kind not known to repeat the title listing. A site without a title listing gets
every listing, as before.
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
# The parameters a story's printer view of every chapter needs besides its sid; consent
# parameters of the link (a listing's javascript gate link carries them) are kept too.
PRINTER_VIEW = (("action", "printable"), ("textsize", "0"), ("chapter", "all"))
# Pages that list again what the title listing lists (by category, character, genre or
# warning class, rating, date, author; the browse menu), or the home page the crawl started
# from: not worth a request where the site has a title listing. Other listings are followed.
REPEATED_LISTINGS = frozenset({"", "categories", "characters", "class", "recent", "featured",
                               "series", "ratings", "rating", "genres", "warnings"})
REPEATING_SCRIPTS = frozenset({"authors.php", "viewuser.php", "categories.php", "index.php",
                               ""})
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
    kept = [(k, v) for k, v in pairs if (k.lower() not in DROP_PARAMS
            or (k.lower() == "textsize" and action == "printable"))
            and not (k.lower() == "offset" and v == "0")]  # the first page, named twice
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


def printer_view(url: str) -> str:
    """The printer view of every chapter of the story ``url`` shows (any viewstory.php link:
    reading view, chapter, index, gate consent), consent parameters kept."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    sid = [(k, v) for k, v in pairs if k.lower() == "sid"][:1]
    consent = [(k, v) for k, v in pairs if k.lower() in CONSENT_PARAMS]
    query = urlencode([*sid, *consent, *PRINTER_VIEW])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def reading_view(url: str) -> str | None:
    """The reading view showing what the printer view ``url`` prints, consent parameters kept:
    the story's first page for every chapter, the chapter's page for one; None for any URL
    that is not a printer view. (Where a printer view is refused, the story is read there.)"""
    query = query_of(url)
    if sid_of(url) is None or query.get("action") != "printable":
        return None
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    sid = [(k, v) for k, v in pairs if k.lower() == "sid"][:1]
    consent = [(k, v) for k, v in pairs if k.lower() in CONSENT_PARAMS]
    chapter = query.get("chapter", "")
    number = [("chapter", chapter)] if chapter.isdigit() and chapter != "1" else []
    return urlunsplit((parts.scheme, parts.netloc, parts.path,
                       urlencode([*sid, *consent, *number]), ""))


def is_title_listing(url: str) -> bool:
    """eFiction's listing of every story by title (``browse.php?type=titles``, any page)."""
    script = script_of(url)
    return script == "titles.php" or (
        script == "browse.php" and query_of(url).get("type", "").lower() == "titles")


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


def listing_links(page: Page) -> list[str]:
    """What a listing (browse, author, series, home page) is worth following, in page order.

    Stories: their printer view of all chapters. Listings: where the page links to the title
    listing, all but those that list the same stories again (:func:`repeats_titles`); the
    series pages stay (they number the parts), and so does this listing's own pagination.
    Without a title listing every crawlable listing is followed, so that such a site is still
    discovered whole.
    """
    found = discovery_links(page)
    titles = any(is_title_listing(url) for url in found)
    own = _shape(page.url) if page.url else None
    wanted: dict[str, None] = {}
    for url in found:
        if sid_of(url) is not None:
            wanted.setdefault(printer_view(url), None)
        elif not titles or not repeats_titles(url) or _shape(url) == own:
            wanted.setdefault(url, None)
    return list(wanted)


def repeats_titles(url: str) -> bool:
    """A listing of stories the title listing lists as well (or the home page)."""
    script = script_of(url)
    if script == "browse.php":
        return query_of(url).get("type", "").lower() in REPEATED_LISTINGS
    return script in REPEATING_SCRIPTS


def _shape(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A listing's pages share the script and every parameter but the offset."""
    query = sorted((k, v) for k, v in query_of(url).items() if k != "offset")
    return script_of(url), tuple(query)
