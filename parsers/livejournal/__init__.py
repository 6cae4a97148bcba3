"""LiveJournal and Dreamwidth entries saved as HTML: story posts with label headers.

Detection: the page must come from an LJ-based site, by its URL (``*.livejournal.com``,
``*.dreamwidth.org``, InsaneJournal, JournalFen...) or by markup only those sites write
(``ljuser`` spans, ``lj:user``, ``lj-cut``/``cutid`` anchors, their static hosts, the site name
in ``og:site_name``). ``entry-content`` alone is not enough: WordPress writes it too.

Reading (layouts in :mod:`page`): the entry body, without comments, userpics or cut links; the
headers at the top of the body (``Title:``, ``Author:``, ``Rating:``, ``Pairing:``,
``Summary:``...) go through the plain-text parser's header rules, so a label means the same in
a post as in a .txt file. When the post has no ``Title:``, the subject is the title (without a
"Fic:" prefix); without ``Author:``, the poster is the author.

Multi-part posts: "Part 2/3" in the title or a ``Part:`` header sets ``part``/``part_of`` (the
importer joins the parts); links to the other parts ("Part 3", "Next") are returned as
``links`` and left out of the text. A post whose story sits behind a cut on another page (a
journal or friends page was saved, not the entry) is flagged ``truncated`` and links to it.
A post with neither headers nor a fic-like subject is a ``post``, not a story.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fanarchive_parsers.htmlstory.dom import absolute_url, inline_text, parse_html
from fanarchive_parsers.htmlstory.text import paragraphs
from fanarchive_parsers.livejournal.page import Entry, cut_links, find_entry, is_furniture
from fanarchive_parsers.plaintext import apply_headers
from fanarchive_parsers.plaintext.headers import scan_headers
from fanarchive_parsers.plaintext.parts import split_title_part
from lxml import etree

from fanarchive.document import Document
from fanarchive.hookspecs import hookimpl
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult, QualityFlag

__all__ = ["LiveJournalParser", "fanarchive_parsers"]

SITE_HOSTS = ("livejournal.com", "dreamwidth.org", "insanejournal.com", "journalfen.net",
              "deadjournal.com", "greatestjournal.com", "livejournal.net", "scribbld.com")
# Markup only LJ code writes, in bytes, lower-cased.
STRONG_MARKERS = (b"class='ljuser", b'class="ljuser', b"lj:user=", b"<lj-cut", b"<lj user=",
                  b'name="cutid', b"name='cutid", b"ljcut-link", b"cuttag_container",
                  b"l-stat.livejournal", b"stat.livejournal.com", b"www.dreamwidth.org/stc",
                  b"s.dreamwidth.org", b"og:site_name\" content=\"livejournal",
                  b"og:site_name\" content=\"dreamwidth")
SITE_WORDS = (b"livejournal", b"dreamwidth", b"insanejournal", b"journalfen")
BY_URL = 0.9
BY_MARKUP = 0.85
BY_WEAK_MARKUP = 0.5

_FIC_SUBJECT = re.compile(r"\b(?:fic|fanfic|ficlet|drabble|one[- ]shot)s?\b|\bpart\s*\d|"
                          r"\(\d+\s*/\s*\d+\)|\b\d+\s*/\s*\d+\b", re.IGNORECASE)
_SUBJECT_PREFIX = re.compile(r"^\s*(?:new\s+)?(?:fan)?fic(?:let)?s?\s*[:\-–—]\s*", re.IGNORECASE)
_NUMBER = r"(?:\d+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_PART_LINK = re.compile(rf"^(?:[<«(\[]+\s*)?(?:part|pt\.?|chapter|ch\.?)\s*{_NUMBER}(?:\s*/\s*\d+)?"
                        r"(?:\s*[>»)\]]+)?$|^(?:[<«]+\s*)?(?:next|prev(?:ious)?|back)"
                        r"(?:\s+(?:part|chapter))?(?:\s*[>»]+)?$|^masterpost$|^index$",
                        re.IGNORECASE)
_NAV_JUNK = re.compile(r"[\s|/\\<>«»\[\]()~•·:,.-]+")
_LJ_USER_TAG = re.compile(r"""<lj\s+(?:user|comm)\s*=\s*["']?([\w-]+)["']?\s*/?>""",
                          re.IGNORECASE)


class LiveJournalParser:
    name = "livejournal"
    version = "1.0.0"
    description = "LiveJournal / Dreamwidth entries saved as HTML (story posts with headers)"

    def detect(self, document: Document) -> float:
        if not document.looks_like_html:
            return 0.0
        host = urlsplit(document.url or "").hostname or ""
        if any(host == h or host.endswith("." + h) for h in SITE_HOSTS):
            return BY_URL
        head = document.content[:200_000].lower()
        strong = sum(marker in head for marker in STRONG_MARKERS)
        if strong >= 2 or (strong and any(word in head for word in SITE_WORDS)):
            return BY_MARKUP
        return BY_WEAK_MARKUP if strong else 0.0

    def parse(self, document: Document) -> ParseResult:
        text = _LJ_USER_TAG.sub(r"\1", document.text)
        page = parse_html(text, document.url)
        entry = find_entry(page)
        if entry.body is None:
            return ParseResult(page_kind="post", flags=list(page.flags))
        base = entry.url or document.url
        nav = _part_links(entry.body, base)
        paras = paragraphs([entry.body], skip=is_furniture)
        paras = _strip_nav(paras, nav)
        if paras and entry.subject and _fold(paras[0]) in (
                _fold(entry.subject), _fold(_SUBJECT_PREFIX.sub("", entry.subject))):
            paras = paras[1:]  # the subject repeated as a heading above the headers
        story = ParsedStory()
        body_text = "\n\n".join(paras)
        block = scan_headers(body_text)
        if block.found:
            apply_headers(story, block.headers)
            body_text = body_text[block.body_start:]
        if not block.found and not (entry.subject and _FIC_SUBJECT.search(entry.subject)):
            return ParseResult(page_kind="post", links=[u for _, u in nav],
                               flags=list(page.flags))
        _fill_from_entry(story, entry)
        story.flags.extend(page.flags)
        hidden = cut_links(entry.body, base)
        if hidden:
            story.flags.append(QualityFlag(
                "truncated", f"the story continues behind a cut on {hidden[0]}"))
        chapter = "\n\n".join(_strip_nav([p for p in body_text.split("\n\n") if p.strip()], nav))
        if chapter:
            story.chapters.append(ParsedChapter(text=chapter, position=1))
        else:
            story.flags.append(QualityFlag("no-text", "headers but no story text in the post"))
        links = list(dict.fromkeys([u for _, u in nav] + hidden))
        return ParseResult(stories=[story], links=links)


def _fill_from_entry(story: ParsedStory, entry: Entry) -> None:
    """What the page says about the post, where the post's own headers are silent."""
    fields = story.fields
    if entry.subject:
        story.raw_headers.setdefault("_subject", entry.subject)
    if entry.poster:
        story.raw_headers.setdefault("_poster", entry.poster)
    if entry.url:
        story.raw_headers.setdefault("_url", entry.url)
    if entry.tags:
        story.raw_headers.setdefault("_journal_tags", ", ".join(entry.tags))
    if "title" not in fields and entry.subject:
        title, part, of = split_title_part(_SUBJECT_PREFIX.sub("", entry.subject))
        fields["title"] = title
        if story.part is None:
            story.part, story.part_of = part, of
    elif entry.subject and story.part is None:
        _, story.part, story.part_of = split_title_part(entry.subject)
    if "authors" not in fields and entry.poster:
        fields["authors"] = entry.poster
    if "published" not in fields and entry.posted:
        fields["published"] = entry.posted
    if "tags" not in fields and entry.tags:
        fields["tags"] = ", ".join(entry.tags)


def _fold(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def _part_links(body: etree._Element, base: str | None) -> list[tuple[str, str]]:
    """(link text, URL) of links to the other parts of the story."""
    out = []
    for a in body.iter("a"):
        label = inline_text(a)
        url = absolute_url(base, a.get("href"))
        if url and label and _PART_LINK.match(label) and url != (base or "").partition("#")[0]:
            out.append((label, url))
    return out


def _strip_nav(paras: list[str], nav: list[tuple[str, str]]) -> list[str]:
    """Leave out leading and trailing paragraphs that are only part links."""
    labels = sorted({label for label, _ in nav}, key=len, reverse=True)

    def only_nav(para: str) -> bool:
        rest = para
        for label in labels:
            rest = rest.replace(label, " ")
        return bool(labels) and not _NAV_JUNK.sub("", rest)

    start, end = 0, len(paras)
    while start < end and only_nav(paras[start]):
        start += 1
    while end > start and only_nav(paras[end - 1]):
        end -= 1
    return paras[start:end]


@hookimpl
def fanarchive_parsers() -> list[LiveJournalParser]:
    return [LiveJournalParser()]
