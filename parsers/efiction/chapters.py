"""Chapters of an eFiction story page, with story notes told apart from chapter notes.

The printer view repeats ``div.chaptertitle`` / ``div.notes`` / ``div.chapter`` /
``div.notes`` per chapter after one story-notes block; the reading view has the story notes
(chapter 1 only), the chapter's notes, ``#story`` and the end notes. Notes are classified by
their label ("Story Notes:", "Author's Notes:", "End Notes:", skins vary the words) and, when a
skin's label says nothing, by position. Taking the first notes block as the story's notes is
the classic mistake: on most pages it is a chapter's author's note.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass

from fanarchive_parsers.htmlstory.dom import Page, has_class, inline_text
from fanarchive_parsers.htmlstory.text import html_to_text, inner_html, paragraphs
from lxml import etree

from fanarchive.parsed import ParsedChapter

from .links import hrefs, query_of, sid_of

STORY_NOTE = re.compile(r"\bstory\s*(?:notes?|summary)\b|\bstory\s+introduction\b", re.I)
END_NOTE = re.compile(r"\bend\s*notes?\b|\bafter\s*word\b|\bchapter\s+end\b|\bpost\s*script",
                      re.I)
CHAPTER_NOTE = re.compile(r"\bauthor'?s?'?\s+(?:chapter\s+)?notes?\b|\bchapter\s+(?:notes?|"
                          r"summary)\b|^\s*notes?\s*:?\s*$|\ba/?n\b", re.I)
TEXT_IDS = frozenset({"story", "storytext", "chaptertext"})
_TOC_NUMBER = re.compile(r"^\s*(\d{1,4})\s*\.")
_OPTION_NUMBER = re.compile(r"^\s*\d{1,4}\s*\.\s*")


@dataclass
class Block:
    kind: str  # "title", "notes" or "text"
    el: etree._Element


@dataclass
class StoryText:
    chapters: list[ParsedChapter]
    story_notes: str | None


def _block_kind(el: etree._Element) -> str | None:
    if el.tag != "div" and el.tag != "span" and el.tag != "blockquote":
        return None
    if has_class(el, "chaptertitle"):
        return "title"
    if has_class(el, "notes") or has_class(el, "storynotes"):
        return "notes"
    if has_class(el, "chapter") or (el.get("id") or "").lower() in TEXT_IDS:
        return "text"
    return None


def find_blocks(root: etree._Element) -> list[Block]:
    blocks = []
    walker = etree.iterwalk(root, events=("start",))
    for _event, el in walker:
        kind = _block_kind(el) if isinstance(el.tag, str) else None
        if kind is not None:
            blocks.append(Block(kind, el))
            walker.skip_subtree()
    return blocks


def _notes_parts(el: etree._Element) -> tuple[str, str]:
    """(label, text) of a notes block."""
    label_el = next((e for e in el.iter("span") if has_class(e, "label")), None)
    if label_el is None:
        label_el = next((e for e in el.iter("b", "strong", "h2", "h3", "h4")), None)
    label = inline_text(label_el) if label_el is not None else ""
    body = next((e for e in el.iter("div") if has_class(e, "noteinfo")), None)
    if body is not None:
        return label, html_to_text(body)
    text = html_to_text(el, skip=lambda e: e is label_el)
    return label, text


def _note_kind(label: str) -> str | None:
    if STORY_NOTE.search(label):
        return "story"
    if END_NOTE.search(label):
        return "end"
    if CHAPTER_NOTE.search(label):
        return "chapter"
    return None


def _chapter_title(el: etree._Element, authors: list[str]) -> str | None:
    text = inline_text(el)
    for author in authors:
        suffix = f" by {author}"
        if text.lower().endswith(suffix.lower()):
            return text[: -len(suffix)].strip() or None
    if " by " in text and el.find(".//a") is not None:
        return text.rpartition(" by ")[0].strip() or None
    return text or None


def _append(old: str | None, new: str) -> str:
    return new if not old else f"{old}\n\n{new}"


def read_story_text(blocks: list[Block], authors: list[str]) -> StoryText:
    """Chapters and story notes from the page's blocks, in order."""
    chapters: list[ParsedChapter] = []
    story_notes: str | None = None
    current: ParsedChapter | None = None
    has_text = False
    pending: str | None = None  # chapter notes seen before their chapter's text
    unsure: list[str] = []  # unlabelled notes before any chapter: story or chapter notes?
    titles_ahead = sum(1 for b in blocks if b.kind == "title")
    for block in blocks:
        if block.kind == "title":
            current = ParsedChapter(text="", title=_chapter_title(block.el, authors))
            chapters.append(current)
            has_text = False
            titles_ahead -= 1
            if unsure:
                # Unlabelled notes before the first chapter heading belong to the story.
                story_notes = _append(story_notes, "\n\n".join(unsure))
                unsure = []
            continue
        if block.kind == "notes":
            label, text = _notes_parts(block.el)
            if not text:
                continue
            kind = _note_kind(label)
            if kind == "story":
                story_notes = _append(story_notes, text)
            elif kind == "end" or (kind is None and current is not None and has_text):
                if current is not None and has_text:
                    current.end_notes = _append(current.end_notes, text)
                else:
                    pending = _append(pending, text)
            elif current is not None and not has_text:
                current.notes = _append(current.notes, text)
            elif kind == "chapter":
                pending = _append(pending, text)
            else:
                unsure.append(text)
            continue
        # A text block: the current chapter's text, or a chapter of its own.
        if current is None or has_text:
            current = ParsedChapter(text="")
            chapters.append(current)
        current.text = "\n\n".join(paragraphs([block.el]))
        current.html = inner_html(block.el) or None
        has_text = True
        if unsure:
            # Two unlabelled notes before the text: the story's, then the chapter's.
            if len(unsure) > 1:
                story_notes = _append(story_notes, unsure.pop(0))
            current.notes = _append(current.notes, "\n\n".join(unsure))
            unsure = []
        if pending:
            current.notes = _append(pending, current.notes or "") if current.notes else pending
            pending = None
    if unsure:
        story_notes = _append(story_notes, "\n\n".join(unsure))
    chapters = [c for c in chapters if c.text or c.notes or c.end_notes]
    return StoryText(chapters, story_notes)


@dataclass
class TocEntry:
    number: int
    title: str
    url: str
    notes: str | None


def read_toc(page: Page, sid: str) -> list[TocEntry]:
    """The chapter list of a story index: ``<p><b>N. <a href=..chapter=N>Title</a></b> ...``."""
    entries: dict[int, TocEntry] = {}
    for url, a in hrefs(page):
        if sid_of(url) != sid:
            continue
        number = query_of(url).get("chapter", "")
        if not number.isdigit() or "action" in query_of(url):
            continue
        holder = a.getparent()
        if holder is None:
            continue
        if holder.tag not in ("b", "strong"):
            holder = a
        lead = (holder.text or "") if holder is not a else ""
        if not _TOC_NUMBER.match(lead) and holder is a:
            continue
        n = int(number)
        if n in entries:
            continue
        entries[n] = TocEntry(n, inline_text(a), url, _toc_notes(holder))
    return [entries[n] for n in sorted(entries)]


def _toc_notes(holder: etree._Element) -> str | None:
    """The chapter notes under a chapter list entry: after the entry's <br>, in its <p>."""
    para = holder.getparent()
    if para is None:
        return None
    notes = etree.Element("div")
    started = False
    for child in para:
        if child is holder or not isinstance(child.tag, str):
            continue
        if started:
            notes.append(deepcopy(child))
        elif child.tag == "br":
            started = True
            notes.text = child.tail
    text = html_to_text(notes)
    if text:
        return text
    following = para.getnext()
    # A <p> inside the notes closes the entry's <p>: the notes become its next sibling.
    if following is not None and following.tag == "p" and following.find(".//b/a") is None:
        return html_to_text(following) or None
    return None


def jump_menu(root: etree._Element) -> tuple[list[tuple[int, str]], int | None]:
    """(number, title) of every chapter in the reading view's chapter menu, and the selected one."""
    for select in root.iter("select"):
        if (select.get("name") or "").lower() != "chapter":
            continue
        options: list[tuple[int, str]] = []
        selected = None
        for option in select.iter("option"):
            value = (option.get("value") or "").strip()
            if not value.isdigit():
                continue
            title = _OPTION_NUMBER.sub("", inline_text(option))
            options.append((int(value), title))
            if option.get("selected") is not None:
                selected = int(value)
        return options, selected
    return [], None
