"""Site chrome: navigation bars, ads, footers and link bars around a story.

Removed from the tree before the text is read. Links in link bars are kept (with their words)
first, because "Next part" is how a multi-part story is found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fanarchive_parsers.htmlstory.dom import Page, body_of
from lxml import etree

# Whole elements that never hold story text.
CHROME_TAGS = frozenset({"script", "style", "noscript", "nav", "footer", "aside", "iframe",
                         "object", "embed", "map", "template", "select", "button", "textarea"})
# id/class words of chrome containers (matched per word: "navbar", "nav-links", "footer").
_CHROME_WORDS = re.compile(
    r"^(?:nav|navbar|navigation|navlinks|menu|menubar|menulist|sidebar|leftcol|rightcol|"
    r"footer|foot|banner|ad|ads|advert|adverts|advertisement|sponsor|sponsors|breadcrumbs?|"
    r"crumbs|topbar|bottombar|copyright|counter|hitcounter|storynav|pagenav|chapternav|"
    r"partnav|pagelinks|jumpmenu|share|social|comments?|respond|reviewform|loginblock|"
    r"webring|skip)$",
    re.IGNORECASE,
)
_WORD_SPLIT = re.compile(r"[\s_\-]+")
# Words of navigation links: a short block made of links like these is a link bar.
NAV_WORDS = re.compile(
    r"\b(?:next|previous|prev|back|return|index|home|contents|table of contents|toc|main|top|"
    r"up|chapter|part|story|stories|archive|continue|forward|first|last|menu)\b|[<>«»]",
    re.IGNORECASE,
)
NEXT_WORDS = re.compile(
    r"^\W*(?:next(?:\s+(?:part|chapter|page|section|story))?|continue(?:d)?(?:\s+(?:to|in))?"
    r"(?:\s+(?:part|chapter)\s*\w*)?|forward|on to (?:part|chapter)\s*\w*|"
    r"(?:part|chapter)\s+\w+\s*(?:»|>>|&gt;&gt;|->))\W*$|^\s*(?:>>|»|->)\s*$",
    re.IGNORECASE,
)
PREV_WORDS = re.compile(r"^\W*(?:prev(?:ious)?(?:\s+(?:part|chapter|page))?|back(?:\s+a\s+part)?)"
                        r"\W*$|^\s*(?:<<|«|<-)\s*$", re.IGNORECASE)
INDEX_WORDS = re.compile(
    r"\b(?:index|contents|home|main page|story list|archive|return to|back to)\b",
    re.IGNORECASE,
)
_BAR_TAGS = frozenset({"p", "div", "center", "td", "table", "tr", "ul", "ol", "li", "span",
                       "font", "small", "h4", "h5", "h6", "dl", "blockquote"})
MAX_BAR_CHARS = 240


@dataclass(frozen=True)
class NavLink:
    url: str
    text: str
    rel: str  # "next", "prev", "index" or "other"


def _chrome_words(el: etree._Element) -> bool:
    for attr in ("id", "class"):
        value = el.get(attr)
        if value and any(_CHROME_WORDS.match(w) for w in _WORD_SPLIT.split(value) if w):
            return True
    return False


def link_rel(text: str, el: etree._Element | None = None) -> str:
    rel = (el.get("rel") or "").lower() if el is not None else ""
    if rel in ("next", "prev", "previous"):
        return "prev" if rel.startswith("prev") else "next"
    cls = (el.get("class") or "").lower() if el is not None else ""
    if "next" in cls.split():
        return "next"
    if "prev" in cls.split() or "previous" in cls.split():
        return "prev"
    if NEXT_WORDS.search(text):
        return "next"
    if PREV_WORDS.search(text):
        return "prev"
    if INDEX_WORDS.search(text):
        return "index"
    return "other"


def _link_text_ratio(el: etree._Element) -> tuple[int, int, int]:
    """(visible chars, chars inside links, number of links) of ``el``."""
    total = len(" ".join("".join(el.itertext()).split()))
    linked = 0
    count = 0
    for a in el.iter("a"):
        if a.get("href"):
            count += 1
            linked += len(" ".join("".join(a.itertext()).split()))
    return total, linked, count


def _first_chunks(el: etree._Element, limit: int) -> list[str]:
    chunks: list[str] = []
    size = 0
    for chunk in el.itertext():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return chunks


def is_link_bar(el: etree._Element) -> bool:
    """A short block that is mostly navigation links ("<< Prev | Index | Next >>")."""
    if el.tag not in _BAR_TAGS or el.find(".//a") is None:
        return False
    # A long block is prose whatever its links; stop reading it early.
    if sum(len(chunk) for chunk in _first_chunks(el, MAX_BAR_CHARS * 4)) > MAX_BAR_CHARS * 4:
        return False
    total, linked, count = _link_text_ratio(el)
    if count == 0 or total > MAX_BAR_CHARS:
        return False
    if linked * 10 < total * 6:  # less than 60% of the words are links
        return False
    words = " ".join("".join(el.itertext()).split())
    return count >= 3 or bool(NAV_WORDS.search(words))


def strip_chrome(page: Page, keep: Callable[[etree._Element], bool] | None = None
                 ) -> list[NavLink]:
    """Remove chrome from ``page`` in place; returns the navigation links found in it.

    ``keep`` protects elements (a metadata block inside a "header" div) from removal.
    """
    body = body_of(page)
    doomed: list[etree._Element] = []
    links: list[NavLink] = []
    walker = etree.iterwalk(body, events=("start",))
    for _event, el in walker:
        if not isinstance(el.tag, str) or el is body:
            continue
        chrome = el.tag in CHROME_TAGS or _chrome_words(el) or _is_ad(el) or is_link_bar(el)
        if chrome and (keep is None or not keep(el)):
            links += nav_links(page, el)
            doomed.append(el)
            walker.skip_subtree()
    for el in doomed:
        remove_keep_tail(el)
    return links


def _is_ad(el: etree._Element) -> bool:
    """Banner blocks: an image link and at most the word "Advertisement"."""
    if el.tag not in ("div", "p", "center", "td", "table"):
        return False
    if el.find(".//img") is None or el.find(".//a") is None:
        return False
    return " ".join("".join(el.itertext()).split()).lower() in ("", "advertisement", "sponsored")


def nav_links(page: Page, el: etree._Element) -> list[NavLink]:
    found = []
    for a in el.iter("a"):
        url = page.absolute(a.get("href"))
        if url is None:
            continue
        text = " ".join("".join(a.itertext()).split()) or (a.get("title") or "")
        if not text:
            img = a.find(".//img")
            text = (img.get("alt") or "") if img is not None else ""
        found.append(NavLink(url, text, link_rel(text, a)))
    return found


def remove_keep_tail(el: etree._Element) -> None:
    """Remove ``el`` but keep its tail text in the tree (lxml drops tails with elements)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)
