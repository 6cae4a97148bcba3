"""A static, browsable website of the collection (``-o FOLDER``): open index.html or serve it.

    index.html                   counts and the ways in
    titles/1.html …              every story A–Z, 500 to a page
    authors/, fandoms/, ratings/ an index page each, then one page per author/fandom/rating
    stories/<slug>-<id>.html     one page per story: every metadata field, then all chapters
    style.css                    the one style sheet, phone-first

No JavaScript, no search, nothing fetched from anywhere else: story HTML goes through the shared
sanitizer and every page carries a Content-Security-Policy that would block what slipped by.
Story pages are written as the stories stream past; the index pages need only a small entry
per story, so memory grows with the number of stories, not with their text.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from fanarchive.export.filenames import ascii_slug
from fanarchive.export.folder import atomic_folder
from fanarchive.export.items import ExportItem, iter_items
from fanarchive.export.metadata_html import metadata_block
from fanarchive.export.sanitize import chapter_html, escape, text_to_html
from fanarchive.export.site_templates import CSS, page
from fanarchive.store.store import Store
from fanarchive.story import RATINGS

PER_PAGE = 500
SUMMARY_CHARS = 400


@dataclass
class Entry:
    """What an index page shows of a story."""

    href: str  # relative to the site folder
    title: str
    sort_key: str
    authors: list[str]
    fandoms: list[str]
    rating: str
    words: int
    chapters: int
    status: str | None
    summary: str


class Slugs:
    """Stable, unique, ASCII file names for authors and fandoms."""

    def __init__(self) -> None:
        self._by_name: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, name: str) -> str:
        key = name.casefold()
        slug = self._by_name.get(key)
        if slug is None:
            slug = ascii_slug(name) or "x"
            if slug in self._taken or slug == "index":
                slug = f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
            self._taken.add(slug)
            self._by_name[key] = slug
        return slug


@dataclass
class Site:
    folder: Path
    authors: Slugs = field(default_factory=Slugs)
    fandoms: Slugs = field(default_factory=Slugs)
    entries: list[Entry] = field(default_factory=list)
    author_names: dict[str, str] = field(default_factory=dict)  # slug → name as first seen
    fandom_names: dict[str, str] = field(default_factory=dict)

    def write(self, relative: str, html: str) -> None:
        path = self.folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")


def rating_slug(rating: str) -> str:
    return ascii_slug(rating) or "not-rated"


def _sort_key(title: str) -> str:
    key = re.sub(r"^(the|a|an)\s+", "", title.casefold().strip())
    return re.sub(r"[^\w]+", " ", key).strip() or "~"


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def story_page(item: ExportItem, site: Site) -> str:
    """The HTML page of one story (every metadata field, then all chapters)."""
    s = item.story
    title = s.title or "Untitled"
    body = [f"<h1>{escape(title)}</h1>"]
    if s.authors:
        links = ", ".join(f'<a href="../authors/{site.authors(a.name)}.html">{escape(a.name)}</a>'
                          for a in s.authors)
        body.append(f'<p class="byline">by {links}</p>')
    body.append(metadata_block(
        item, fandom_href=lambda n: f"../fandoms/{site.fandoms(n)}.html",
        rating_href=lambda r: f"../ratings/{rating_slug(r)}.html"))
    if len(s.chapters) > 1:
        toc = "".join(f'<li><a href="#ch-{n}">{escape(c.title or f"Chapter {c.position}")}</a>'
                      "</li>" for n, c in enumerate(s.chapters, start=1))
        body.append(f'<nav class="toc"><h2>Chapters</h2><ol>{toc}</ol></nav>')
    if not s.chapters:
        body.append('<p class="missing">No chapter text of this story survived.</p>')
    for number, chapter in enumerate(s.chapters, start=1):
        heading = chapter.title or (f"Chapter {chapter.position}" if len(s.chapters) > 1
                                    else "")
        parts = [f'<section class="chapter" id="ch-{number}">']
        if heading:
            parts.append(f"<h2>{escape(heading)}</h2>")
        if chapter.notes:
            parts.append(f'<div class="chapter-notes">{text_to_html(chapter.notes)}</div>')
        parts.append(f'<div class="text">{chapter_html(chapter)}</div>')
        if chapter.end_notes:
            parts.append(f'<div class="end-notes">{text_to_html(chapter.end_notes)}</div>')
        parts.append("</section>")
        body.append("\n".join(parts))
    return page(title, "\n".join(body), "../", s.language or "en")


def _entry_html(entry: Entry, root: str, site: Site) -> str:
    by = ", ".join(f'<a href="{root}authors/{site.authors(a)}.html">{escape(a)}</a>'
                   for a in entry.authors)
    info = [escape(entry.rating), *map(escape, entry.fandoms), f"{entry.words:,} words",
            f"{entry.chapters} chapter{'s' if entry.chapters != 1 else ''}"]
    if entry.status:
        info.append(escape(entry.status))
    summary = f'<p class="summary">{escape(entry.summary)}</p>' if entry.summary else ""
    return (f'<li><a href="{root}{entry.href}">{escape(entry.title)}</a>'
            + (f" by {by}" if by else "")
            + f'<div class="info">{" · ".join(info)}</div>{summary}</li>')


def _listing(site: Site, folder: str, href: Callable[[int], str], heading: str,
             entries: list[Entry]) -> None:
    """Pages ``folder/href(1)``, ``folder/href(2)``, …: the entries sorted by title."""
    entries = sorted(entries, key=lambda e: (e.sort_key, e.href))
    pages = max(1, -(-len(entries) // PER_PAGE))
    for number in range(1, pages + 1):
        chunk = entries[(number - 1) * PER_PAGE:number * PER_PAGE]
        nav = ""
        if pages > 1:
            nav = '<p class="pages">Page ' + "".join(
                f"<strong>{n}</strong>" if n == number else f'<a href="{href(n)}">{n}</a>'
                for n in range(1, pages + 1)) + "</p>"
        items = "\n".join(_entry_html(e, "../", site) for e in chunk)
        body = (f"<h1>{escape(heading)}</h1>\n<p>{len(entries):,} "
                f"stor{'ies' if len(entries) != 1 else 'y'}</p>\n{nav}"
                f'<ul class="works">\n{items}\n</ul>\n{nav}')
        title = heading if number == 1 else f"{heading} (page {number})"
        site.write(f"{folder}/{href(number)}", page(title, body, "../"))


def _paged_name(slug: str, number: int) -> str:
    return f"{slug}.html" if number == 1 else f"{slug}-{number}.html"


def _name_index(site: Site, folder: str, heading: str, groups: dict[str, list[Entry]],
                names: dict[str, str]) -> None:
    ordered = sorted(groups, key=lambda slug: (names[slug].casefold(), slug))
    items = "".join(f'<li><a href="{slug}.html">{escape(names[slug])}</a> '
                    f"({len(groups[slug])})</li>" for slug in ordered)
    site.write(f"{folder}/index.html", page(
        heading, f"<h1>{escape(heading)}</h1>\n<ul class=\"names\">{items}</ul>", "../"))
    for slug in ordered:
        _listing(site, folder, partial(_paged_name, slug), names[slug], groups[slug])


def _indexes(site: Site) -> None:
    entries = site.entries
    _listing(site, "titles", lambda n: f"{n}.html", "All stories by title", entries)
    by_author: dict[str, list[Entry]] = defaultdict(list)
    by_fandom: dict[str, list[Entry]] = defaultdict(list)
    by_rating: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        for name in dict.fromkeys(entry.authors):
            by_author[site.authors(name)].append(entry)
        for name in dict.fromkeys(entry.fandoms):
            by_fandom[site.fandoms(name)].append(entry)
        by_rating[rating_slug(entry.rating)].append(entry)
    _name_index(site, "authors", "Authors", by_author, site.author_names)
    _name_index(site, "fandoms", "Fandoms", by_fandom, site.fandom_names)
    rating_names = {rating_slug(r): r for r in RATINGS}
    rating_names.update({rating_slug(e.rating): e.rating for e in entries})
    _name_index(site, "ratings", "Ratings", by_rating, rating_names)
    words = sum(e.words for e in entries)
    body = (f"<h1>The collection</h1>\n<p>{len(entries):,} stories, {words:,} words, by "
            f"{len(by_author):,} authors in {len(by_fandom):,} fandoms.</p>\n"
            '<ul class="names">'
            '<li><a href="titles/1.html">Browse by title</a></li>'
            '<li><a href="authors/index.html">Browse by author</a></li>'
            '<li><a href="fandoms/index.html">Browse by fandom</a></li>'
            '<li><a href="ratings/index.html">Browse by rating</a></li></ul>\n')
    fandom_list = sorted(by_fandom, key=lambda slug: -len(by_fandom[slug]))[:50]
    if fandom_list:
        body += "<h2>Fandoms</h2>\n<ul class=\"names\">" + "".join(
            f'<li><a href="fandoms/{slug}.html">{escape(site.fandom_names[slug])}</a> '
            f"({len(by_fandom[slug])})</li>" for slug in fandom_list) + "</ul>\n"
    site.write("index.html", page("The collection", body, ""))


def _entry(item: ExportItem, href: str) -> Entry:
    s = item.story
    title = s.title or "Untitled"
    return Entry(href=href, title=title, sort_key=_sort_key(title),
                 authors=[a.name for a in s.authors], fandoms=list(s.fandoms),
                 rating=s.rating.canonical, words=s.word_count, chapters=len(s.chapters),
                 status=s.status, summary=_short(s.summary))


def build(items: Iterable[ExportItem], folder: Path,
          on_record: Callable[[], None] | None = None) -> int:
    """Write the site for ``items`` into an existing empty ``folder``; returns stories."""
    site = Site(folder)
    site.write("style.css", CSS)
    for item in items:
        slug = ascii_slug(item.story.title)
        href = f"stories/{slug + '-' if slug else ''}{item.uid}.html"
        for author in item.story.authors:
            site.author_names.setdefault(site.authors(author.name), author.name)
        for fandom in item.story.fandoms:
            site.fandom_names.setdefault(site.fandoms(fandom), fandom)
        site.write(href, story_page(item, site))
        site.entries.append(_entry(item, href))
        if on_record:
            on_record()
    _indexes(site)
    return len(site.entries)


def write(store: Store, options: Any, output: Path,
          on_record: Callable[[], None] | None = None) -> int:
    """The static site of the selected stories in the folder ``output``."""
    with atomic_folder(output, "html") as folder:
        return build(iter_items(store, options), folder, on_record)
