"""HTML story pages with label headers: static personal archives, Automated-Archive-style sites.

The shape of such a page::

    [nav bar] [ad]                          <- chrome (chrome.py): removed, links kept
    <h2>Title</h2>  <h3>Part 2: The Road</h3> <- title heading, part heading
    <b>Title:</b> X<br>                     <- label headers (labels.py): <b>/<strong>/<td>/<dt>
    <b>Author:</b> <a href="mailto:..">Y</a>     labels and synonyms shared with plaintext
    <hr>
    <div class="notes">Part notes: ...</div> <- chapter notes, end notes
    <p>story text ...</p>                   <- text (a #story/.storytext container if any)
    <p>Previous part | Next part | Back to index</p>   <- link bar: "next" links returned

Pages without label headers are still read: the title from headings or ``<title>``, and the
plain-text header rules (``plaintext.headers``) applied to the page text. A page that is
mostly links (a static archive's story list) is an "index" whose links are returned for the
crawler; access pages (login, errors sent as 200, bot challenges) are recognised
(access.py). Values stay raw: ratings, pairings and dates are the normalizer's job.
"""

from __future__ import annotations

import re

from fanarchive_parsers.htmlstory.access import classify_access
from fanarchive_parsers.htmlstory.chrome import NavLink, remove_keep_tail, strip_chrome
from fanarchive_parsers.htmlstory.dom import (
    Page,
    body_of,
    classes,
    inline_text,
    meta_content,
    parse_page,
    title_of,
)
from fanarchive_parsers.htmlstory.labels import (
    CHAPTER_NOTE_LABELS,
    END_NOTE_LABELS,
    Header,
    find_headers,
    part_heading,
    remove_header_markup,
)
from fanarchive_parsers.htmlstory.text import inner_html, paragraphs
from fanarchive_parsers.plaintext import apply_parts
from fanarchive_parsers.plaintext.body import split_chapters
from fanarchive_parsers.plaintext.headers import scan_headers
from fanarchive_parsers.plaintext.labels import LIST_FIELDS, label_key
from fanarchive_parsers.plaintext.parts import split_title_part
from lxml import etree

from fanarchive.document import Document
from fanarchive.hookspecs import hookimpl
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult, QualityFlag

__all__ = ["HtmlStoryParser", "fanarchive_parsers"]

# ---- detection ----------------------------------------------------------------------------
# Patterns run over the lowered first 64 KB of the page. Confidences stay below the eFiction
# parser's (0.7+ on any eFiction page) and the listing parser's (0.9+ on autoindex pages), so
# this parser only wins pages nobody more specific wants.
LABELS_3 = 0.6  # three or more label headers in markup
LABELS_2 = 0.5
LABELS_1 = 0.35
TEXT_LABELS = 0.45  # "Title: X" lines in the page text without markup
ANY_HTML = 0.15  # an HTML page: maybe a story without headers, maybe a list of stories
EFICTION_PAGE = 0.2  # looks like eFiction: leave it to that parser
AUTOINDEX_PAGE = 0.05

_LABEL_WORDS = (r"title|author|authors|by|rating|rated|pairings?|summary|category|categories|"
                r"fandoms?|characters?|warnings?|disclaimer|status|words|word count|part|"
                r"series|genres?|notes?|author'?s notes?|feedback|e-?mail|archive|spoilers|"
                r"keywords|date|posted|updated|completed?")
_MARKUP_LABEL = re.compile(
    # Bounded repeats: an unbounded run of nested tags here backtracks quadratically on a
    # page of unclosed tags (a hostile-corpus finding).
    rb"<(b|strong|th|td|dt|span|font|u)\b[^>]*>\s*(?:<[^>]+>\s*){0,4}(?:" + _LABEL_WORDS.encode()
    + rb")\s*:?\s*(?:<[^>]+>\s*){0,4}</\1\s*>\s*:?",
)
_TEXT_LABEL = re.compile(rb"(?:^|<br\s*/?>|<p[^>]*>|\n)\s*(?:" + _LABEL_WORDS.encode()
                         + rb")\s*:\s*\S")
_EFICTION = re.compile(rb"viewstory\.php\?sid=|id=[\"']?pagetitle|class=[\"']?label[\"' ]|"
                       rb"efiction|browse\.php\?type=|viewuser\.php\?uid=")
_AUTOINDEX = re.compile(rb"<title>\s*(?:index of /|directory listing for /)")

# ---- page reading -------------------------------------------------------------------------
# id/class words of the element holding the story text, best first.
TEXT_CONTAINERS = ("storytext", "story-text", "story_text", "chaptertext", "chapter-text",
                   "storybody", "story-body", "fictext", "fic", "story", "chapter", "text",
                   "maintext", "main-text")
NOTE_CLASSES = {"notes": "notes", "note": "notes", "authornotes": "notes", "an": "notes",
                "chapternotes": "notes", "partnotes": "notes", "endnotes": "end_notes",
                "endnote": "end_notes", "end-notes": "end_notes"}
_NOTE_LABELS = CHAPTER_NOTE_LABELS | END_NOTE_LABELS | {
    "notes", "note", "author's note", "author's notes", "a/n", "authors note", "authors notes"}
PROSE_PARAGRAPH = 120  # a paragraph this long is story text: headings after it are the story's
MIN_INDEX_LINKS = 5  # a page with this many links and little prose lists stories
STORY_PROSE_CHARS = 1200
_BY_LINE = re.compile(r"^\s*(?:written\s+)?by\s*:?\s+(?P<name>\S.{0,79}?)\s*$", re.IGNORECASE)


class HtmlStoryParser:
    name = "htmlstory"
    version = "1.0.0"
    description = ("HTML story pages with label headers (<b>Title:</b>, table cells) and "
                   "static archive story lists")

    def detect(self, document: Document) -> float:
        if not document.looks_like_html:
            return 0.0
        head = document.content[:65536].lower()
        if _AUTOINDEX.search(head, 0, 4096):
            return AUTOINDEX_PAGE
        if len({m.group(0)[:12] for m in _EFICTION.finditer(head)}) >= 2:
            return EFICTION_PAGE
        labels = {m.group(0) for m in _MARKUP_LABEL.finditer(head)}
        if len(labels) >= 3:
            return LABELS_3
        if len(labels) == 2:
            return LABELS_2
        if len({m.group(0) for m in _TEXT_LABEL.finditer(head, 0, 32768)}) >= 2:
            return TEXT_LABELS
        return LABELS_1 if labels else ANY_HTML

    def parse(self, document: Document) -> ParseResult:
        page = parse_page(document)
        return read_page(document, page)


def read_page(document: Document, page: Page) -> ParseResult:
    """Everything this parser gets from one parsed page (the tree is changed on the way)."""
    all_links = _all_links(page)  # before chrome goes: a story list may look like a link bar
    nav = strip_chrome(page, keep=_holds_labels)
    body = body_of(page)
    container = _text_container(body)
    headers = find_headers(page, body, stop=container)
    heading_title, part_info = _headings(body, container)
    remove_header_markup(headers)
    chapter_notes, end_notes = _note_blocks(body, container)
    root = container if container is not None else body
    paras = paragraphs([root])
    known = any(h.field for h in headers)
    text_headers = scan_headers("\n\n".join(paras)) if not known and paras else None
    found_text_headers = text_headers is not None and text_headers.found
    not_story = _not_a_story(document, page, root, paras, all_links,
                             known or found_text_headers)
    if not_story is not None:
        return not_story

    story = ParsedStory()
    for header in headers:
        _apply(story, header)
    text = "\n\n".join(paras)
    if text_headers is not None and found_text_headers:
        for found in text_headers.headers:
            _apply(story, Header(found.label, found.value, found.field))
        text = text[text_headers.body_start:].strip()
    _fill_from_page(story, page, heading_title)
    part, chapter_title = part_info if part_info else (None, None)
    _apply_parts(story, part)
    sections = split_chapters(text.split("\n\n")) if story.part is None and text else []
    if len(sections) > 1:
        # One page holding "Chapter 1", "Chapter 2", ...: the plain-text rules split it (the
        # page's HTML is not split with it, so the chapters carry text only).
        story.chapters = [ParsedChapter(text="\n\n".join(section.paragraphs),
                                        title=section.title, position=n)
                          for n, section in enumerate(sections, start=1)]
        story.chapters[0].notes, story.chapters[-1].end_notes = chapter_notes, end_notes
    else:
        story.chapters.append(ParsedChapter(text=text, title=chapter_title,
                                            html=inner_html(root) or None, notes=chapter_notes,
                                            end_notes=end_notes, position=story.part))
    if not text:
        story.flags.append(QualityFlag("no-text", "headers but no story text on the page"))
    return ParseResult(stories=[story], links=_story_links(nav), flags=list(page.flags))


def _not_a_story(document: Document, page: Page, root: etree._Element, paras: list[str],
                 all_links: list[str], has_headers: bool) -> ParseResult | None:
    """The result for a story list, an access page or an empty page; None for a story."""
    prose = _prose_chars(root)
    visible = " ".join(paras)
    if not has_headers and prose < STORY_PROSE_CHARS and len(all_links) >= MIN_INDEX_LINKS:
        access = classify_access(document, page, has_content=False, visible_text=visible)
        if access is not None:
            return _access_result(page, access.kind, access.reason)
        return ParseResult(links=all_links, page_kind="index", flags=list(page.flags))
    has_text = prose >= 200 or (has_headers and prose > 0)
    access = classify_access(document, page, has_content=has_text, visible_text=visible)
    if access is not None:
        return _access_result(page, access.kind, access.reason)
    if not paras and not has_headers:
        return _access_result(page, "error", "empty page: no text and no story headers")
    return None


# ---- pieces --------------------------------------------------------------------------------


def _access_result(page: Page, kind: str, reason: str) -> ParseResult:
    return ParseResult(page_kind=kind, flags=[*page.flags, QualityFlag(kind, reason)])


def _holds_labels(el: etree._Element) -> bool:
    """Chrome-looking containers ("header", "storyinfo") that hold the label headers."""
    return len(find_headers(Page(el, None), el)) >= 2


def _all_links(page: Page) -> list[str]:
    seen: dict[str, None] = {}
    for a in page.root.iter("a"):
        url = page.absolute(a.get("href"))
        if url is not None:
            seen.setdefault(url, None)
    return list(seen)


def _text_container(body: etree._Element) -> etree._Element | None:
    best: tuple[int, int, etree._Element] | None = None
    for el in body.iter("div", "td", "article", "main", "section", "span", "blockquote"):
        words = [w.lower() for w in classes(el)] + [(el.get("id") or "").lower()]
        rank = min((TEXT_CONTAINERS.index(w) for w in words if w in TEXT_CONTAINERS),
                   default=None)
        if rank is None and el.tag in ("article", "main"):
            rank = len(TEXT_CONTAINERS)
        if rank is None:
            continue
        size = len("".join(el.itertext()).strip())
        if size == 0 or (size < 100 and el.tag in ("span", "blockquote")):
            continue  # a tiny <span class="text"> is styling, not the story
        if best is None or (rank, -size) < (best[0], best[1]):
            best = (rank, -size, el)
    return best[2] if best else None


def _headings(body: etree._Element, container: etree._Element | None
              ) -> tuple[str | None, tuple[int, str | None] | None]:
    """The title heading's text and a "Part 2: The Road" heading, both removed from the tree.

    Only headings above the story text count: a heading between paragraphs is the story's
    own ("Interlude"), and several "Chapter N" headings divide the text rather than name it.
    """
    leading: list[etree._Element] = []
    walker = etree.iterwalk(body, events=("start",))
    for _event, el in walker:
        if el is container or (el.tag in ("p", "div", "blockquote", "pre") and
                               len((el.text or "").strip()) >= PROSE_PARAGRAPH):
            break
        if el.tag in ("h1", "h2", "h3", "h4") and inline_text(el):
            leading.append(el)
            walker.skip_subtree()
    numbered = sum(1 for h in body.iter("h1", "h2", "h3", "h4")
                   if part_heading(inline_text(h)) is not None)
    title: str | None = None
    part: tuple[int, str | None] | None = None
    doomed = []
    for el in leading:
        text = inline_text(el)
        found = part_heading(text)
        if found is not None:
            if numbered == 1:
                part = found
                doomed.append(el)
        elif title is None:
            title = text
            doomed.append(el)
        elif _BY_LINE.match(text):
            doomed.append(el)
    for el in doomed:
        remove_keep_tail(el)
    return title, part


def _inside(el: etree._Element, container: etree._Element) -> bool:
    return any(anc is container for anc in el.iterancestors())


def _note_blocks(body: etree._Element, container: etree._Element | None
                 ) -> tuple[str | None, str | None]:
    """Chapter notes and end notes in blocks of their own, removed from the text."""
    blocks: list[tuple[etree._Element, str, etree._Element | None]] = []
    for el in body.iter("div", "p", "blockquote"):
        if container is not None and (el is container or _inside(el, container)):
            continue
        if any(_inside(el, found) for found, _, _ in blocks):
            continue
        kind = next((NOTE_CLASSES[c.lower()] for c in classes(el) if c.lower() in NOTE_CLASSES),
                    None)
        first = next(iter(el), None)
        key = ""
        if first is not None and isinstance(first.tag, str) and not (el.text or "").strip():
            key = label_key(inline_text(first).rstrip(":"))
            if key in END_NOTE_LABELS:
                kind = "end_notes"
            elif key in CHAPTER_NOTE_LABELS and kind is None:
                kind = "notes"
        if kind is not None:
            blocks.append((el, kind, first if key in _NOTE_LABELS else None))
    found: dict[str, list[str]] = {"notes": [], "end_notes": []}
    for el, kind, label in blocks:
        if label is not None:
            el.text = (el.text or "") + (label.tail or "").lstrip(" :")
            el.remove(label)
        text = "\n\n".join(paragraphs([el]))
        if text:
            found[kind].append(text)
        remove_keep_tail(el)
    return ("\n\n".join(found["notes"]) or None, "\n\n".join(found["end_notes"]) or None)


def _prose_chars(root: etree._Element) -> int:
    """Characters of text outside links and list items: story prose, not a story list."""
    total = 0
    inside = 0  # depth of <a>/<li> around the current node
    for event, el in etree.iterwalk(root, events=("start", "end")):
        listy = el.tag in ("a", "li")
        if event == "start":
            if listy:
                inside += 1
            if not inside and el.text:
                total += len(el.text.strip())
        else:
            if listy:
                inside -= 1
            if not inside and el is not root and el.tail:
                total += len(el.tail.strip())
    return total


def _apply(story: ParsedStory, header: Header) -> None:
    label = header.label
    value = header.text
    old = story.raw_headers.get(label)
    story.raw_headers[label] = value if old is None else f"{old}\n{value}"
    name = header.field
    if not name or not value or value.strip().lower() in ("none", "n/a"):
        return
    fields = story.fields
    if name == "authors":
        mailto = [(href[7:].split("?")[0], " ".join(text.split())) for href, text in header.links
                  if href.lower().startswith("mailto:")]
        if len(mailto) == 1 and "email" not in fields:
            fields["email"] = mailto[0][0]
        elif mailto and "email" not in fields:
            # "Name <address>" pairs, so the normalizer gives each author their own address.
            fields["email"] = ", ".join(f"{text} <{mail}>" for mail, text in mailto)
        linked = linked_authors(value, header.links)
        old_authors = fields.get("authors")
        if linked is not None and old_authors is None:
            fields["authors"] = linked
            return
        if isinstance(old_authors, list):  # a second Author header after a linked one
            fields["authors"] = old_authors + (linked or [value])
            return
    old_value = fields.get(name)
    if old_value is None:
        fields[name] = value
    elif name in LIST_FIELDS:
        fields[name] = f"{old_value}, {value}"
    elif name not in ("title", "part"):
        fields[name] = f"{old_value}\n{value}"


# Link texts that name the link, not the author ("Kai & Jun (<a>email</a>)").
_LINK_WORDS = frozenset({"email", "e-mail", "mail", "feedback", "contact", "website", "homepage",
                         "home page", "site", "web", "lj", "livejournal", "profile", "home"})
_JOINER = re.compile(r"[,;&+]|\band\b", re.IGNORECASE)
_GAP = re.compile(r"^(?:[\s,;&+()\[\]<>|/-]|\band\b|\bby\b)*$", re.IGNORECASE)
_ADDRESS = re.compile(r"^[\s(\[<]*\S+@\S+\.[A-Za-z]{2,}[\s)\]>]*$")


def linked_authors(value: str, links: list[tuple[str, str]]) -> list[str] | None:
    """The authors of an Author value whose names are links, one name per link; else None.

    Whether "Kai & Jun" is a pen name or two people is a guess from the text alone (see
    ``fanarchive.normalize.authors``), but the page says it: one mailto or profile link around
    "Kai & Jun" is one author, and "<a>Anne</a> and <a>Bob</a>" are two. So when links cover
    every name and only joiners ("," "&" "and") lie between them, the link texts are the
    authors. A name outside any link leaves the whole value to the text rules.
    """
    if not links or _JOINER.search(value) is None:
        return None
    rest = " ".join(value.split())
    names: list[str] = []
    pos = 0
    for _href, raw in links:
        text = " ".join(raw.split())
        if not text or text.lower() in _LINK_WORDS or _ADDRESS.match(text):
            continue  # "(email)" or a bare address after the name: not a name
        at = rest.find(text, pos)
        if at < 0 or not _gap_ok(rest[pos:at]):
            return None
        names.append(text)
        pos = at + len(text)
    if not names or not _gap_ok(rest[pos:]):
        return None
    return names


def _gap_ok(gap: str) -> bool:
    """Text between two linked names holds no name of its own: joiners, brackets, links' words
    and addresses only."""
    for word in _LINK_WORDS:
        gap = re.sub(rf"\b{re.escape(word)}\b", " ", gap, flags=re.IGNORECASE)
    gap = re.sub(r"\S+@\S+\.[A-Za-z]{2,}", " ", gap)
    return _GAP.match(gap) is not None


def _fill_from_page(story: ParsedStory, page: Page, heading: str | None) -> None:
    """Title and author from headings, ``<title>`` and meta tags when no header gave them."""
    fields = story.fields
    page_title = title_of(page)
    if "title" not in fields:
        title = heading or page_title
        if title:
            # "Rain Song by Mab (Part 2/3)": the part marker ends the whole page title.
            bare, part, of = split_title_part(title)
            suffix = title[len(bare):] if part is not None else ""
            author = fields.get("authors")
            if isinstance(author, str) and bare.lower().endswith(" by " + author.lower()):
                bare = bare[: -len(author) - 4].strip()
            elif heading is None and " by " in bare and "authors" not in fields:
                bare, _, by = bare.rpartition(" by ")
                fields["authors"] = by.strip()
            fields["title"] = bare + suffix
    if "authors" not in fields:
        author = meta_content(page, "author")
        if author:
            fields["authors"] = author


def _apply_parts(story: ParsedStory, heading_part: int | None) -> None:
    apply_parts(story, heading_part)


def _story_links(nav: list[NavLink]) -> list[str]:
    """Next-part links first (they continue this story), then previous and index links."""
    order = {"next": 0, "prev": 1, "index": 2}
    ranked = sorted((order[n.rel], i, n.url) for i, n in enumerate(nav) if n.rel in order)
    return list(dict.fromkeys(url for _, _, url in ranked))


@hookimpl
def fanarchive_parsers() -> list[HtmlStoryParser]:
    return [HtmlStoryParser()]
