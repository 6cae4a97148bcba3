"""Where things are on a saved LiveJournal / Dreamwidth entry page, across page styles.

LJ-based sites rendered one entry through many layouts over twenty years; each list below goes
from the most specific markup to the most generic, and the first that matches wins:

* S2 "entry-content" (Dreamwidth, LJ Tabula Rasa / Smooth Sailing / most S2 layouts),
* S2 core2 "asset-body" (Expressive, Bloggish, Sturdy Gesture),
* LJ 2012+ "b-singlepost-body", S1/Generator tables (``entrybox``, ``td.entry``),
* anything else: the block of the page with the most prose, comments removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from fanarchive_parsers.htmlstory.dom import (
    Page,
    body_of,
    classes,
    inline_text,
    meta_content,
    title_of,
)
from lxml import etree

# Classes of the element holding the entry text, best first.
BODY_CLASSES = ("entry-content", "asset-body", "b-singlepost-body", "entry_text", "entrytext",
                "entry-text", "entry-body", "entry")
# Classes of the subject line (post title).
SUBJECT_CLASSES = ("entry-title", "asset-name", "b-singlepost-title", "entry-subject",
                   "subject", "caption", "entrysubj")
DATE_CLASSES = ("datetime", "entry-date", "asset-meta-date-posted", "b-singlepost-author-date",
                "date", "index")
TAG_CLASSES = ("tag", "ljtags", "entry-tags", "asset-tags-list", "b-singlepost-tags")
POSTER_CLASSES = ("poster", "entry-poster", "asset-meta-poster", "b-singlepost-author", "author")
# Comment sections and single comments, in every style; never story text.
_COMMENT_CLASS = re.compile(r"(?:^|[-_])(?:comments?|talk|replies|cmt)(?:$|[-_])|^dwexpcomment$")
_COMMENT_ID = re.compile(r"^(?:comments?|ljcmt\d+|t\d+|cmt\d+|comment-cmt\d+|commentlist)$")
# Markup that is page furniture inside the entry body: cut links, userpics, share buttons.
_FURNITURE_CLASSES = frozenset({"ljcut-link", "ljcut-decor", "cuttag_container", "cuttag",
                                "user-icon", "userpic", "lj-like", "b-singlepost-addons",
                                "entry-management-links", "entry-interaction-links",
                                "entry-linkbar", "entryHolderBgLinks", "b-linkbar"})
_READ_MORE = re.compile(r"^\(?\s*(?:read more|more|continue reading|cut|.{0,60})\s*[.…]*\s*\)?$",
                        re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WORD_DATE = re.compile(r"([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_DAY_FIRST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[a-z]*\.?,?\s+(\d{4})")


@dataclass
class Entry:
    body: etree._Element | None
    subject: str | None = None
    poster: str | None = None
    posted: str | None = None  # ISO date
    tags: list[str] = field(default_factory=list)
    url: str | None = None


def _has_any(el: etree._Element, names: frozenset[str] | tuple[str, ...]) -> bool:
    return any(c in names for c in classes(el))


def _find(root: etree._Element, names: tuple[str, ...],
          inside: etree._Element | None = None) -> etree._Element | None:
    """The first element (document order) with the best-ranked class of ``names``."""
    candidates = [el for el in (inside if inside is not None else root).iter()
                  if isinstance(el.tag, str) and el.get("class") and not _in_comments(el)]
    for name in names:
        for el in candidates:
            if name in classes(el):
                return el
    return None


def is_comment(el: etree._Element) -> bool:
    ident = el.get("id") or ""
    if _COMMENT_ID.match(ident):
        return True
    return any(_COMMENT_CLASS.search(c) for c in classes(el)) and not _has_any(
        el, ("comments-count", "entry-readlink", "comments-link"))


def _in_comments(el: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if isinstance(node.tag, str) and is_comment(node):
            return True
        node = node.getparent()
    return False


def is_furniture(el: etree._Element) -> bool:
    """Inside the entry body, but not the post: cut links, userpics, comment blocks."""
    if not isinstance(el.tag, str):
        return False
    if _has_any(el, _FURNITURE_CLASSES) or is_comment(el):
        return True
    if el.tag in ("b", "span", "div") and len(el) == 1 and el[0].tag == "a":
        href = el[0].get("href") or ""
        if "#cutid" in href and _READ_MORE.match(inline_text(el)):
            return True  # "( Read more... )" on a journal or friends page
    return False


def cut_links(body: etree._Element, page_url: str | None) -> list[str]:
    """Cut links to another page: the text behind them is not on this page."""
    out = []
    here = (page_url or "").partition("#")[0]
    for a in body.iter("a"):
        href = a.get("href") or ""
        target, _, fragment = href.partition("#")
        if fragment.startswith("cutid") and target and target != here:
            out.append(target)
    return out


def find_entry(page: Page) -> Entry:
    root = page.root
    body = _find(root, BODY_CLASSES)
    if body is None:
        body = _densest_block(body_of(page))
    subject_el = _find(root, SUBJECT_CLASSES)
    subject = inline_text(subject_el) if subject_el is not None else None
    if not subject:
        subject = _subject_from_title(title_of(page))
    return Entry(body=body, subject=subject or None, poster=_poster(root, body),
                 posted=_posted(root), tags=_tags(root), url=_canonical(page))


def _densest_block(body: etree._Element) -> etree._Element | None:
    """The div/td with the most text of its own (not counting nested blocks), comments out."""
    best, best_size = None, 200
    for el in body.iter("div", "td", "blockquote", "article"):
        if _in_comments(el):
            continue
        size = len((el.text or "").strip())
        for child in el:
            if isinstance(child.tag, str) and child.tag in ("div", "td", "table", "blockquote"):
                size += len((child.tail or "").strip())
                continue
            size += len("".join(child.itertext()).strip()) + len((child.tail or "").strip())
        if size > best_size:
            best, best_size = el, size
    return best


def _subject_from_title(title: str | None) -> str | None:
    """``user: Subject`` or ``Subject - user — LiveJournal`` from the <title>."""
    if not title:
        return None
    title = re.sub(r"\s*[—–-]\s*(?:LiveJournal|Dreamwidth(?: Studios)?|InsaneJournal)\s*$", "",
                   title, flags=re.IGNORECASE)
    user, colon, rest = title.partition(": ")
    if colon and " " not in user.strip():
        return rest.strip() or None
    return title.strip() or None


def _poster(root: etree._Element, body: etree._Element | None) -> str | None:
    holder = _find(root, POSTER_CLASSES)
    scopes = [holder] if holder is not None else []
    scopes.append(root)
    for scope in scopes:
        for el in scope.iter("span"):
            if "ljuser" in classes(el) and not _in_comments(el) and not (
                    body is not None and _within(el, body)):
                name = el.get("lj:user") or el.get("data-ljuser") or inline_text(el)
                if name:
                    return name.strip()
    return None


def _within(el: etree._Element, container: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is container:
            return True
        node = node.getparent()
    return False


def _posted(root: etree._Element) -> str | None:
    for name in DATE_CLASSES:
        for el in root.iter():
            if isinstance(el.tag, str) and name in classes(el) and not _in_comments(el):
                found = parse_lj_date(el.get("title") or inline_text(el))
                if found:
                    return found
    return None


def parse_lj_date(text: str) -> str | None:
    """ISO date from the forms LJ styles print: 2009-03-05, Mar. 5th, 2009, 5 March 2009."""
    match = _ISO_DATE.search(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        match = _WORD_DATE.search(text)
        if match and match[1].lower() in _MONTHS:
            return date(int(match[3]), _MONTHS[match[1].lower()], int(match[2])).isoformat()
        match = _DAY_FIRST.search(text)
        if match and match[2].lower() in _MONTHS:
            return date(int(match[3]), _MONTHS[match[2].lower()], int(match[1])).isoformat()
    except ValueError:
        return None
    return None


def _tags(root: etree._Element) -> list[str]:
    holder = _find(root, TAG_CLASSES)
    if holder is None:
        return []
    links = [inline_text(a) for a in holder.iter("a")]
    return [t for t in links if t]


def _canonical(page: Page) -> str | None:
    for link in page.root.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            return link.get("href")
    return meta_content(page, "og:url") or page.url
