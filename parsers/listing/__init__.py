"""Web-server directory listings ("Index of /stories/"): Apache, nginx, lighttpd, IIS, Python.

A listing holds no story; it is an ``index`` page whose ``links`` are the story files
(``.txt``, ``.html``, ...) and subdirectories in it, for the crawler to fetch and hand to the
plain-text and HTML parsers. Left out: the parent directory, column-sort links
(``?C=M;O=A``), and anything outside the listed directory (server footers, icons).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from fanarchive_parsers.htmlstory.dom import inline_text, parse_page, title_of

from fanarchive.document import Document
from fanarchive.hookspecs import hookimpl
from fanarchive.parsed import ParseResult

__all__ = ["ListingParser", "fanarchive_parsers"]

# ---- detection ----------------------------------------------------------------------------
# (pattern over the page head, confidence). Autoindex titles are fixed strings in the servers'
# source, so one match is near certainty; the sort-link and parent-link forms back them up.
SIGNS: tuple[tuple[re.Pattern[bytes], float], ...] = (
    (re.compile(rb"<title>\s*index of /", re.IGNORECASE), 0.98),  # Apache, nginx, lighttpd
    (re.compile(rb"<title>\s*directory listing for /", re.IGNORECASE), 0.97),  # Python
    (re.compile(rb"<h1>\s*index of /", re.IGNORECASE), 0.95),
    (re.compile(rb"\[to parent directory\]", re.IGNORECASE), 0.9),  # IIS
    (re.compile(rb"<a href=\"\?C=[NMSD];O=[AD]\">", re.IGNORECASE), 0.9),  # mod_autoindex
)
HEAD_BYTES = 4096

# ---- links --------------------------------------------------------------------------------
# Files worth fetching: stories in text or HTML form (archives are for the import command).
STORY_SUFFIXES = frozenset({".txt", ".text", ".html", ".htm", ".xhtml", ".shtml"})
PARENT_TEXTS = frozenset({"parent directory", "../", "..", "[to parent directory]", "up",
                          "parent"})


class ListingParser:
    name = "listing"
    version = "1.0.0"
    description = "web-server directory listings (Apache, nginx, lighttpd, IIS): links only"

    def detect(self, document: Document) -> float:
        if not document.looks_like_html:
            return 0.0
        head = document.content[:HEAD_BYTES]
        return max((confidence for rx, confidence in SIGNS if rx.search(head)), default=0.0)

    def parse(self, document: Document) -> ParseResult:
        page = parse_page(document)
        base = page.url or _listed_path(title_of(page))
        seen: dict[str, None] = {}
        for a in page.root.iter("a"):
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("?", "#")) or ":" in href.split("/", 1)[0]:
                continue  # sort links, anchors, mailto:/http: links to elsewhere
            if inline_text(a).lower() in PARENT_TEXTS:
                continue
            url = page.absolute(href) if page.url else _join_path(base, href)
            if url is None or not _inside(url, base) or not _wanted(url):
                continue
            seen.setdefault(url, None)
        return ParseResult(links=list(seen), page_kind="index", flags=list(page.flags))


def _listed_path(title: str | None) -> str | None:
    """The directory a listing shows, from its title, when the page has no URL (a saved file)."""
    if not title:
        return None
    match = re.search(r"(?:index of|directory listing for)\s+(/\S*)", title, re.IGNORECASE)
    if match is None:
        return None
    path = match.group(1)
    return path if path.endswith("/") else path + "/"


def _join_path(base: str | None, href: str) -> str | None:
    if base is None:
        return href if not href.startswith("/") else None
    if href.startswith("/"):
        return href
    return base + href


def _directory(url: str) -> str:
    path = urlsplit(url).path if "://" in url else url
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def _inside(url: str, base: str | None) -> bool:
    """Whether ``url`` is below the listed directory (not the parent, not another tree)."""
    if base is None:
        return True
    if "://" in url and "://" in base and urlsplit(url).netloc != urlsplit(base).netloc:
        return False
    here = _directory(base)
    path = urlsplit(url).path if "://" in url else url
    return path.startswith(here) and path != here


def _wanted(url: str) -> bool:
    path = unquote(urlsplit(url).path if "://" in url else url)
    if path.endswith("/"):
        return True  # a subdirectory
    name = path.rsplit("/", 1)[-1].lower()
    return any(name.endswith(suffix) for suffix in STORY_SUFFIXES)


@hookimpl
def fanarchive_parsers() -> list[ListingParser]:
    return [ListingParser()]
