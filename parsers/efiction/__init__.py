"""eFiction 2.x/3.x archives, recognised from the page itself (never from a list of domains).

What one eFiction page can be, and what comes back (``ParseResult.page_kind``):

* ``story``: the printer view of all chapters (``viewstory.php?action=printable&sid=X&
  chapter=all``: metadata block, story notes, every chapter) is one whole story; a single
  chapter (reading view ``viewstory.php?sid=X&chapter=N`` or a one-chapter printer view) is
  part N of M of the story (``ParsedStory.part``/``part_of``), which the importer joins by
  ``identity`` = ``efiction:<host>:<sid>``.
* ``index``: the story's table of contents (``&index=1``), browse/category/title listings,
  author, series and home pages. ``links`` holds what to fetch next; ``stories`` holds
  metadata-only stubs (no chapters) for each story the page describes, so a source can fill in
  what the printer view lacks (most skins print no rating there).
* ``gate``: the age-consent/warning interstitial. ``links[0]`` is the "Continue" URL (no links
  at all when the skin offers only a form); the stub's ``raw_headers["Gate"]`` and a ``gate``
  flag say which kind ("age-consent" or "warning").
* ``login``, ``error``, ``challenge``, ``maintenance``: access pages, no stories.

Requests per story: listings link each story's printer view of all chapters directly (one
request per story, its metadata included), and leave out the listings that repeat the title
listing (see ``links.listing_links``). A reading view or story index links the printer view
where the site offers one (its print icon is on the page) and the single chapters otherwise;
the printer view links nowhere. A printer URL answered with a reading view (a site without the
printer view) is taken as the chapter it shows, and its chapters are followed. A printer URL
answered with an error (404, 403...) has stand-ins (``EfictionParser.stand_ins``, asked by the
crawler): the story's reading view, then the other chapter pages that view names.

Gates per rating: with the archivist's consent, ``EfictionParser.consent_memory`` gives the
crawl a memory (:mod:`.consent`) of each listed story's rating and of the consent parameters
the first gate of each rating asked for; later stories of that rating are fetched with them
(the URL the gate's consent link leads to), so a rating costs one gate, not one per story.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from fanarchive_parsers.htmlstory.access import classify_access, message_boxes
from fanarchive_parsers.htmlstory.chrome import link_rel
from fanarchive_parsers.htmlstory.dom import (
    Page,
    body_of,
    has_class,
    inline_text,
    meta_content,
    parse_html,
    parse_page,
    title_of,
)
from fanarchive_parsers.htmlstory.text import html_to_text
from lxml import etree

from fanarchive.document import Document
from fanarchive.hookspecs import hookimpl
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult, QualityFlag

from .chapters import Block, find_blocks, jump_menu, read_story_text, read_toc
from .consent import ConsentMemory
from .infobox import Segment, label_count, read_segments
from .links import (
    clean_url,
    crawlable,
    discovery_links,
    hrefs,
    listing_links,
    printable_all,
    query_of,
    reading_view,
    script_of,
    sid_of,
    with_consent,
)

__all__ = ["EfictionParser", "fanarchive_parsers"]

# ---- detection ----------------------------------------------------------------------------
# Each group is one kind of evidence; the confidence grows with the number of groups seen.
# Patterns run over the lowered head and tail of the page only: eFiction's markers sit in the
# header, menus and footer, and a 10 MB chapter must not cost ten regex passes.
SCAN_HEAD = 262_144
SCAN_TAIL = 32_768
GENERATOR = re.compile(rb"<meta[^>]+(?:name=[\"']?generator[\"']?[^>]+content=[\"']?efiction|"
                       rb"content=[\"']?efiction[^>]+name=[\"']?generator)")
EVIDENCE: dict[str, re.Pattern[bytes]] = {
    "story links": re.compile(rb"viewstory\.php\?(?:[^\"'>\s]*?&(?:amp;)?)?sid=\d"),
    "site links": re.compile(rb"browse\.php\?type=|viewuser\.php\?uid=|viewseries\.php\?"
                             rb"seriesid=|authors\.php\?list="),
    "page title": re.compile(rb"id=[\"']?pagetitle\b"),
    "label spans": re.compile(rb"<span class=[\"']?label[\"']?>\s*(?:summary|rated|categories|"
                              rb"characters|completed|word count|story notes|author's notes|"
                              rb"end notes)\s*:"),
    "archived at": re.compile(rb"this story archived at|id=[\"']?archivedat"),
    "credit": re.compile(rb"efiction"),
}
SCRIPT_URL = re.compile(r"/(?:viewstory|browse|viewuser|viewseries|authors|titles|"
                        r"categories|toplists|search|reviews)\.php$", re.IGNORECASE)
GENERATOR_CONFIDENCE = 0.97
CONFIDENCE_BY_GROUPS = (0.0, 0.3, 0.7, 0.85, 0.95)
STRONG_ALONE = frozenset({"label spans", "archived at"})  # eFiction-only markup: 0.5 alone

# ---- field mapping ------------------------------------------------------------------------
# eFiction label (lower case, no colon) -> ParsedStory.fields name. Labels are the defaults of
# languages/en.php; skins and sites rename some, so synonyms are listed too.
FIELD_OF_LABEL: dict[str, str] = {
    "summary": "summary",
    "rated": "rating", "rating": "rating",
    "categories": "categories", "category": "categories",
    "characters": "characters",
    "pairings": "relationships", "pairing": "relationships", "relationships": "relationships",
    "warnings": "warnings", "warning": "warnings", "content warnings": "warnings",
    "genres": "tags", "genre": "tags", "tags": "tags",
    "fandoms": "fandoms", "fandom": "fandoms",
    "series": "series",
    "completed": "status", "complete": "status", "status": "status",
    "word count": "word_count", "words": "word_count",
    "published": "published",
    "updated": "updated",
    "language": "language",
    "story notes": "notes",
}
LIST_FIELDS = frozenset({"categories", "characters", "relationships", "warnings", "tags",
                         "fandoms"})
# Counters and site features: kept in raw_headers only.
RAW_ONLY = frozenset({"chapters", "read", "read count", "reads", "hits", "reviews", "challenges",
                      "challenge", "parts", "open", "score", "featured", "co-authors",
                      "parent series", "stories", "members", "authors", "reviewers"})
# Any other label in a story's block is a site-defined class type ("Size Roles", "Growth"):
# raw header and tags, never split on "/".
STORY_LABELS = frozenset({"summary", "rated", "categories", "characters", "completed",
                          "word count", "published", "updated", "series", "chapters"})
# Classes of the div holding a story's label run, in the skins seen so far.
METADATA_CLASSES = ("infobox", "listbox", "content", "storyinfo")
# The interstitial's words where a skin shows no consent link (eFiction's _AGECHECK et al.).
GATE_WORDS = re.compile(r"age consent required|you must be (?:of legal age|18|21|an adult|over "
                        r"18)|confirm (?:that )?you are (?:18|an adult|of legal age)", re.I)
AGE_WORDS = re.compile(r"\b(?:age|ages|18|21|adults?|older|legal|mature|consent)\b", re.I)


class EfictionParser:
    name = "efiction"
    version = "1.0.0"
    description = ("eFiction 2.x/3.x archives: printer view, chapters, story index, listings, "
                   "author and series pages, age gates")

    def detect(self, document: Document) -> float:
        if not document.looks_like_html:
            return 0.0
        content = document.content
        window = (content[:SCAN_HEAD] + b"\n" + content[-SCAN_TAIL:]
                  if len(content) > SCAN_HEAD + SCAN_TAIL else content).lower()
        if GENERATOR.search(window, 0, 16384):
            return GENERATOR_CONFIDENCE
        groups = {name for name, rx in EVIDENCE.items() if rx.search(window)}
        if document.url and SCRIPT_URL.search(urlsplit(document.url).path):
            groups.add("script url")
        if len(groups) == 1 and groups <= STRONG_ALONE:
            return 0.5
        return CONFIDENCE_BY_GROUPS[min(len(groups), len(CONFIDENCE_BY_GROUPS) - 1)]

    def parse(self, document: Document) -> ParseResult:
        page = parse_page(document)
        return _EfictionPage(document, page).result()

    def stand_ins(self, url: str, document: Document | None = None) -> list[str]:
        """Where a story can still be read when the site refuses ``url`` (the crawler asks).

        Without ``document``: ``url`` answered an error; a printer view's stand-in is its
        reading view (:func:`links.reading_view`). With ``document``, a page fetched in place
        of the printer view of every chapter: the story's other chapter pages it names (its
        chapter menu, next/previous links, a story index's chapter list), consent kept;
        chapter 1 is the reading view itself.
        """
        if document is None:
            view = reading_view(url)
            return [view] if view else []
        sid = sid_of(url)
        query = query_of(url)
        if sid is None or query.get("action") != "printable" \
                or query.get("chapter", "all") != "all" or not document.looks_like_html:
            return []
        return _EfictionPage(document, parse_page(document)).chapter_links(sid)

    def consent_memory(self) -> ConsentMemory:
        """A new crawl's memory of consent per rating (:mod:`.consent`): the importer feeds it
        the pages it parses and asks ``before_fetch(url)`` before each request, only when the
        archivist consents to gates."""
        return ConsentMemory()


class _EfictionPage:
    """One parse: the page, where it is, and which story (if any) it shows."""

    def __init__(self, document: Document, page: Page) -> None:
        self.document = document
        self.page = page
        self.body = body_of(page)
        self.pagetitle = _find_id(self.body, "pagetitle")
        self.sid = self._story_id()
        self.host = self._host()

    # ---- what the page is -------------------------------------------------------------------

    def result(self) -> ParseResult:
        access = classify_access(self.document, self.page, has_content=True)
        if access is not None and access.kind == "challenge":
            return self._access(access.kind, access.reason)
        gate = self._gate()
        if gate is not None:
            return gate
        blocks = find_blocks(self.body)
        texts = [b for b in blocks if b.kind == "text"]
        has_text = any(inline_text(b.el) for b in texts)
        if not has_text and self.sid is not None:
            gate = self._unboxed_gate()
            if gate is not None:
                return gate
        access = classify_access(self.document, self.page, has_content=has_text)
        if access is not None:
            return self._access(access.kind, access.reason)
        if self.sid is not None and has_text:
            return self._story(blocks)
        metadata = self._metadata_block() if self.sid is not None else None
        if metadata is not None:
            return self._toc(metadata)
        return self._listing()

    def _access(self, kind: str, reason: str) -> ParseResult:
        return ParseResult(page_kind=kind, flags=[*self.page.flags, QualityFlag(kind, reason)])

    # ---- identity -----------------------------------------------------------------------------

    def _story_id(self) -> str | None:
        """The sid of the story this page shows: its byline link, else the page URL."""
        if self.pagetitle is not None:
            for url, _a in hrefs(self.page, self.pagetitle):
                sid = sid_of(url)
                if sid is not None:
                    return sid
        sid = sid_of(self.document.url)
        if sid is not None:
            return sid
        archived = _find_id(self.body, "archivedat")
        if archived is not None:
            for url, _a in hrefs(self.page, archived):
                if sid_of(url):
                    return sid_of(url)
        return None

    def _host(self) -> str | None:
        """The archive's host: the page URL's, else the "archived at" link's."""
        url = self.document.url
        if not url:
            archived = _find_id(self.body, "archivedat")
            found = hrefs(self.page, archived) if archived is not None else []
            url = found[0][0] if found else None
        if not url:
            return None
        host = urlsplit(url).netloc.lower()
        return host.removeprefix("www.") or None

    def _identity(self, sid: str | None) -> str | None:
        return f"efiction:{self.host}:{sid}" if sid and self.host else None

    # ---- gate -----------------------------------------------------------------------------------

    def _gate(self) -> ParseResult | None:
        """The age-consent/warning interstitial: a message box with a ``warning=`` link."""
        for box in message_boxes(self.page):
            for url, a in hrefs(self.page, box):
                query = query_of(url)
                if script_of(url) != "viewstory.php" or not (
                        "warning" in query or "ageconsent" in query):
                    continue
                message = html_to_text(box, skip=lambda e, a=a: e is a)
                kind = "age-consent" if "ageconsent" in query or AGE_WORDS.search(
                    message) else "warning"
                return self._gate_result(clean_url(url), kind, message)
        return None

    def _unboxed_gate(self) -> ParseResult | None:
        """Skins that drop the message box: a consent link to this story, or the gate's words
        with no link at all (a form the archivist has to pass by hand)."""
        for url, a in hrefs(self.page):
            query = query_of(url)
            if sid_of(url) == self.sid and ("warning" in query or "ageconsent" in query):
                parent = a.getparent()
                message = html_to_text(parent if parent is not None else a)
                kind = "age-consent" if "ageconsent" in query or AGE_WORDS.search(
                    message) else "warning"
                return self._gate_result(clean_url(url), kind, message)
        for box in [*message_boxes(self.page), self.body]:  # no story text: the body is short
            found = GATE_WORDS.search(" ".join(html_to_text(box).split()))
            if found:
                return self._gate_result(None, "age-consent", found.group(0))
        return None

    def _gate_result(self, consent: str | None, kind: str, message: str) -> ParseResult:
        sid = sid_of(consent) or self.sid
        stub = ParsedStory(identity=self._identity(sid))
        title = inline_text(self.pagetitle) if self.pagetitle is not None else None
        page_title = title_of(self.page)
        if title:
            stub.fields["title"] = stub.raw_headers["Title"] = title
            if page_title and page_title.startswith(title + " by "):
                stub.fields["authors"] = [page_title[len(title) + 4:].strip()]
                stub.raw_headers["Author"] = page_title[len(title) + 4:].strip()
        description = _meta_description(self.document.text) or meta_content(
            self.page, "description")
        if description:
            summary = _fragment_text(description)
            stub.fields["summary"] = stub.raw_headers["Summary"] = summary
        stub.raw_headers["Gate"] = kind
        stub.raw_headers["Gate message"] = message
        # links[0], when there are links, is the consent URL: a gate without one (a form to
        # pass by hand) gives no links at all, so a crawler never mistakes a menu link for it.
        links = [consent, *discovery_links(self.page, exclude_sid=sid)] if consent else []
        return ParseResult(stories=[stub], links=links, page_kind="gate",
                           flags=[*self.page.flags, QualityFlag("gate", f"{kind}: {message}")])

    # ---- story pages ------------------------------------------------------------------------

    def _byline(self, stub: ParsedStory) -> list[str]:
        """Title and authors from ``#pagetitle`` ("<a>Title</a> by <a>Author</a>")."""
        authors: list[str] = []
        if self.pagetitle is not None:
            for url, a in hrefs(self.page, self.pagetitle):
                if sid_of(url) is not None and "title" not in stub.fields:
                    stub.fields["title"] = stub.raw_headers["Title"] = inline_text(a)
                elif script_of(url) == "viewuser.php":
                    authors.append(inline_text(a))
        if "title" not in stub.fields:
            title = title_of(self.page)
            if title:
                bare = title.rpartition(" by ")[0] or title
                stub.fields["title"] = stub.raw_headers["Title"] = bare
        if not authors:
            title = title_of(self.page) or ""
            if " by " in title:
                authors = [title.rpartition(" by ")[2].strip()]
        if authors:
            stub.fields["authors"] = authors
            stub.raw_headers["Author"] = ", ".join(authors)
        return authors

    def _metadata_block(self) -> etree._Element | None:
        """The div holding this story's label run (not the site's statistics block)."""
        if "metadata" not in self.page.cache:
            self.page.cache["metadata"] = next(
                (el for el in self.body.iter("div")
                 if any(has_class(el, name) for name in METADATA_CLASSES)
                 and label_count(el, STORY_LABELS) >= 2), None)
        found: etree._Element | None = self.page.cache["metadata"]
        return found

    def _story(self, blocks: list[Block]) -> ParseResult:
        stub = ParsedStory(identity=self._identity(self.sid))
        authors = self._byline(stub)
        metadata = self._metadata_block()
        if metadata is not None:
            apply_segments(stub, read_segments(self.page, metadata))
        text = read_story_text(blocks, authors)
        if text.story_notes:
            stub.fields["notes"] = stub.raw_headers["Story Notes"] = text.story_notes
        self._disclaimer(stub)
        stub.chapters = text.chapters
        query = query_of(self.document.url or "")
        options, selected = jump_menu(self.body)
        total = _int(stub.raw_headers.get("Chapters")) or len(options) or None
        # A printer view asked for every chapter is the whole story, unless the page shows a
        # chapter menu with more chapters than it holds (a site that ignores the printer
        # view and serves the reading view of chapter 1 instead).
        asked_all = query.get("chapter") == "all" and len(options) <= max(len(stub.chapters), 1)
        whole = asked_all or len(stub.chapters) > 1 or total == 1
        if whole:
            for n, chapter in enumerate(stub.chapters, start=1):
                chapter.position = n
        elif stub.chapters:
            number = _int(query.get("chapter")) or selected or 1
            chapter = stub.chapters[0]
            chapter.position = number
            if chapter.title is None:
                chapter.title = dict(options).get(number)
            stub.part, stub.part_of = number, total
        links = self._story_links(whole)
        return ParseResult(stories=[stub], links=links, flags=list(self.page.flags))

    def _story_links(self, whole: bool) -> list[str]:
        """Printer view first; the single chapters only when there is no printer view.

        The printer view of every chapter links nowhere: it is where a crawl ends up, from
        listings that are the way on already (its byline's author page lists stories the title
        listing has). A reading view or story index keeps every discovery link, as the page a
        crawl may start from."""
        if whole and self._metadata_block() is not None:
            return []
        here = clean_url(self.document.url) if self.document.url else None
        own: list[tuple[int, str]] = []
        printable = None
        for url, a in hrefs(self.page):
            if sid_of(url) != self.sid or not crawlable(url):
                continue
            if query_of(url).get("action") == "printable":
                found = clean_url(printable_all(url))
                if not whole and _same_query(found, here):
                    continue  # this page was asked for as the printer view and is not one
                printable = printable or found
            else:
                parent = a.getparent()
                is_next = link_rel(inline_text(a), a) == "next" or (
                    parent is not None and parent.get("id") == "next")
                own.append((0 if is_next else 1, clean_url(url)))
        # The printer view carries the metadata the reading view lacks.
        first = [printable] if printable else []
        if printable is None and not whole:
            first += [url for _, url in sorted(own, key=lambda o: o[0])] + self._menu_chapters()
        first = [with_consent(url, self.document.url) for url in first]
        others = discovery_links(self.page, exclude_sid=self.sid)
        return list(dict.fromkeys([*first, *others]))

    def chapter_links(self, sid: str) -> list[str]:
        """The chapter pages of story ``sid`` this page names, but chapter 1 and its own."""
        if self.sid != sid:
            return []
        own = query_of(self.document.url or "").get("chapter") or "1"
        found: dict[str, None] = {}
        for url, _a in hrefs(self.page):
            query = query_of(url)
            number = query.get("chapter", "")
            if sid_of(url) == sid and crawlable(url) and "action" not in query \
                    and number.isdigit() and number not in ("1", own):
                found.setdefault(clean_url(url), None)
        for url in self._menu_chapters():
            if query_of(url).get("chapter") not in ("1", own):
                found.setdefault(url, None)
        return [with_consent(url, self.document.url) for url in found]

    def _menu_chapters(self) -> list[str]:
        """Chapter URLs from the reading view's chapter menu (a script, not links)."""
        options, selected = jump_menu(self.body)
        return [url for number, _ in options if number != selected
                and (url := self.page.absolute(f"viewstory.php?sid={self.sid}&chapter={number}"))]

    def _disclaimer(self, stub: ParsedStory) -> None:
        copyright_el = _find_id(self.body, "copyright")
        if copyright_el is None:
            return
        text = html_to_text(copyright_el)
        text = re.sub(r"^\s*disclaimer\s*:\s*", "", text, flags=re.IGNORECASE).strip()
        if text:
            stub.fields["disclaimer"] = stub.raw_headers["Disclaimer"] = text

    # ---- index pages --------------------------------------------------------------------------

    def _toc(self, metadata: etree._Element) -> ParseResult:
        """The story index: metadata, story notes, the chapter list; no chapter text."""
        stub = ParsedStory(identity=self._identity(self.sid))
        self._byline(stub)
        apply_segments(stub, read_segments(self.page, metadata))
        text = read_story_text(find_blocks(self.body), [])
        if text.story_notes:
            stub.fields["notes"] = stub.raw_headers["Story Notes"] = text.story_notes
        assert self.sid is not None
        entries = read_toc(self.page, self.sid)
        stub.chapters = [ParsedChapter(text="", title=e.title, notes=e.notes, position=e.number)
                         for e in entries]
        links = self._story_links(whole=False)
        return ParseResult(stories=[stub], links=links, page_kind="index",
                           flags=list(self.page.flags))

    def _listing(self) -> ParseResult:
        """Listings, author, series and home pages: links onward and a stub per story block."""
        stubs = []
        for box in self.body.iter("div"):
            if has_class(box, "listbox"):
                stub = self._listed_story(box)
                if stub is not None:
                    stubs.append(stub)
        self._series_parts(stubs)
        links = listing_links(self.page)
        return ParseResult(stories=stubs, links=links, page_kind="index",
                           flags=list(self.page.flags))

    def _series_parts(self, stubs: list[ParsedStory]) -> None:
        """On a series page the stories are listed in reading order: that order is the part."""
        url = self.document.url or ""
        if script_of(url) not in ("viewseries.php", "series.php") or self.pagetitle is None:
            return
        title = inline_text(self.pagetitle)
        title = title.rpartition(" by ")[0] or title
        first = (_int(query_of(url).get("offset")) or 0) + 1
        for part, stub in enumerate(stubs, start=first):
            stub.raw_headers["Series part"] = str(part)
            stub.fields["series"] = f"{title}, part {part}"

    def _listed_story(self, box: etree._Element) -> ParsedStory | None:
        # The byline: div.title in the default skins, a heading in others.
        heading = next((el for el in box.iter("div", "h2", "h3", "h4", "span", "p")
                        if (el.tag != "div" and el.tag != "span" and el.tag != "p")
                        or has_class(el, "title")), None)
        if heading is None:
            return None
        sid = None
        stub = ParsedStory()
        authors = []
        for url, a in hrefs(self.page, heading):
            if sid_of(url) is not None and sid is None:
                sid = sid_of(url)
                stub.fields["title"] = stub.raw_headers["Title"] = inline_text(a)
            elif script_of(url) == "viewuser.php":
                authors.append(inline_text(a))
        if sid is None:
            return None
        stub.identity = self._identity(sid)
        if authors:
            stub.fields["authors"] = authors
            stub.raw_headers["Author"] = ", ".join(authors)
        apply_segments(stub, read_segments(self.page, box))
        return stub


# ---- mapping label runs to fields ------------------------------------------------------------


def apply_segments(story: ParsedStory, segments: list[Segment]) -> None:
    """Raw headers for every label; fields for the mapped ones; class types into tags."""
    for segment in segments:
        key = segment.label.lower()
        if key in story.raw_headers or segment.label in story.raw_headers:
            continue
        raw = segment.raw
        if FIELD_OF_LABEL.get(key) == "rating":
            raw = segment.lead or raw  # listings follow the rating with review links
        story.raw_headers[segment.label] = raw
        if key in RAW_ONLY:
            continue
        name = FIELD_OF_LABEL.get(key)
        if name is None or name in LIST_FIELDS:
            values = segment.values
            if values:
                target = name or "tags"
                old = story.fields.get(target)
                existing = old if isinstance(old, list) else []
                story.fields[target] = existing + [v for v in values if v not in existing]
            continue
        if raw and raw.lower() not in ("none", "n/a"):
            value = segment.text if name in ("summary", "notes") else " ".join(raw.split())
            if name == "series" and segment.links:
                value = segment.links[0][1]
            story.fields[name] = value


def _find_id(root: etree._Element, ident: str) -> etree._Element | None:
    found = root.xpath(".//*[@id=$ident]", ident=ident)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _same_query(url: str, other: str | None) -> bool:
    """The same page: the same script and the same parameters, in any order."""
    if other is None or script_of(url) != script_of(other):
        return False
    return sorted(query_of(url).items()) == sorted(query_of(other).items())


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() else None


# Skins print the summary into a single-quoted attribute unescaped, so an apostrophe in it
# ends the attribute for an HTML parser; this reads up to the quote that closes the tag.
_META_DESCRIPTION = re.compile(
    r"<meta\s+name=([\"'])description\1\s+content=([\"'])(.*?)\2\s*/?>", re.IGNORECASE | re.DOTALL)


def _meta_description(text: str) -> str | None:
    head_end = text.find("</head>", 0, 65536)
    match = _META_DESCRIPTION.search(text, 0, head_end if head_end > 0 else 65536)
    return match.group(3).strip() or None if match else None


def _fragment_text(value: str) -> str:
    """Text of an attribute that holds HTML ("...&lt;br /&gt;..." in a meta description)."""
    value = html.unescape(value) if "&" in value else value
    if "<" not in value:
        return " ".join(value.split())
    fragment = parse_html(f"<html><body><div>{value}</div></body></html>")
    return html_to_text(body_of(fragment))


@hookimpl
def fanarchive_parsers() -> list[EfictionParser]:
    return [EfictionParser()]
