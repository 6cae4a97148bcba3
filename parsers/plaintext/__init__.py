"""Plain-text stories: a ``Label: value`` header block, maybe an epigraph, then the prose.

The shape of a legacy ``.txt`` posting (mailing lists, personal sites, archive downloads)::

    Title: Following              <- headers, consecutive or blank-line separated
    Author: Katjen                   (synonyms in labels.py, decorations in headers.py)
    Note: Lyrics from "Following"
    ----------                    <- optional rule
    You think I'm crazy           <- optional epigraph (epigraph.py)
    He has left a groove ...      <- chapter text (body.py)
    --                            <- optional signature / list footer, dropped
    kat@example.com

Values go into ``fields`` raw; ratings, pairings and dates are the normalizer's job. Charsets,
line ends and HTML entities (``&eacute;`` in a .txt) are the decoder's: ``document.text`` arrives
clean, and decoding entities again here would turn a written ``&amp;eacute;`` into "é".
"""

from __future__ import annotations

import re

from fanarchive_parsers.plaintext.body import (
    OPENING_NOTE_LABELS,
    note_in,
    paragraphs,
    split_chapters,
    split_notes,
    strip_tail,
    trim_separators,
)
from fanarchive_parsers.plaintext.epigraph import find_epigraph, hinted, join_epigraph
from fanarchive_parsers.plaintext.headers import Header, HeaderBlock, scan_headers
from fanarchive_parsers.plaintext.labels import LIST_FIELDS
from fanarchive_parsers.plaintext.parts import parse_part_value, split_title_part

from fanarchive.document import Document
from fanarchive.errors import ParseError
from fanarchive.hookspecs import hookimpl
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult, QualityFlag
from fanarchive.sources.sniff import looks_like_utf16, stray_nuls

__all__ = ["PlainTextParser", "fanarchive_parsers"]

# Detection confidences: a recognisable header block in a text file is almost certainly ours;
# other text is ours only when no better parser wants it.
HEADERS_IN_TEXT_FILE = 0.85
HEADERS_ELSEWHERE = 0.6
TEXT_FILE = 0.25
OTHER_TEXT = 0.2
DATA_FILE = 0.05  # decodable, but a dump or data format that some other parser should read

_TEXT_SUFFIXES = frozenset({".txt", ".text", ".asc", ".eml", ".msg"})
_DATA_SUFFIXES = frozenset({".sql", ".json", ".jsonl", ".xml", ".csv", ".tsv", ".yml", ".yaml",
                            ".warc", ".css", ".js", ".toml", ".ini", ".py", ".rss", ".atom"})
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"7z\xbc\xaf",
                 b"\x1f\x8b", b"{\\rtf", b"Rar!", b"\xd0\xcf\x11\xe0", b"BZh", b"\xfd7zXZ")
_UNICODE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")
_CONTROL = bytes(range(0x09)) + bytes(range(0x0E, 0x1B)) + bytes(range(0x1C, 0x20))

_TITLE_QUOTES = (("\"", "\""), ("“", "”"), ("'", "'"), ("*", "*"), ("_", "_"))


class PlainTextParser:
    name = "plaintext"
    version = "1.0.0"
    description = "plain-text stories with Title:/Author:/Rating: style headers (.txt)"

    def __init__(self) -> None:
        # detect() and parse() of one document scan the same headers; keep the last scan.
        self._last_scan: tuple[str, HeaderBlock] | None = None

    def _headers(self, text: str) -> HeaderBlock:
        last = self._last_scan
        if last is not None and last[0] is text:
            return last[1]
        block = scan_headers(text)
        self._last_scan = (text, block)
        return block

    def detect(self, document: Document) -> float:
        if document.looks_like_html or not document.content or document.content.isspace():
            return 0.0
        head = document.content[:4096]
        if _looks_binary(head):
            return 0.0
        if document.suffix in _DATA_SUFFIXES or head.lstrip().startswith(b"<?xml"):
            return DATA_FILE
        textual = document.suffix in _TEXT_SUFFIXES or (
            document.media_type or "").startswith("text/plain")
        if self._headers(document.text).found:
            return HEADERS_IN_TEXT_FILE if textual else HEADERS_ELSEWHERE
        return TEXT_FILE if textual else OTHER_TEXT

    def parse(self, document: Document) -> ParseResult:
        text = document.text
        if text.startswith("\ufeff"):
            text = text[1:]
        if not text.strip():
            raise ParseError("the file holds no text")
        story = ParsedStory()
        block = self._headers(text)
        if block.found:
            apply_headers(story, block.headers)
            body = text[block.body_start :]
        else:
            story.flags.append(QualityFlag("no-headers", "no Title:/Author: header block at the "
                                                         "top; imported without a title"))
            body = text
        tail = strip_tail(body)
        if tail.signature is not None:
            story.raw_headers["_signature"] = tail.signature
            story.flags.append(QualityFlag("signature-removed", tail.signature.split("\n")[0]))
        if tail.footer is not None:
            story.raw_headers["_footer"] = tail.footer  # kept, like the signature: not body
            story.flags.append(QualityFlag("footer-removed", tail.footer.split("\n")[0]))
        paras = trim_separators(paragraphs(tail.body))
        if not block.found:
            furniture = site_furniture(document, paras)
            if furniture is not None:
                return ParseResult(page_kind="furniture",
                                   flags=[QualityFlag("not-a-story", furniture)])
        # A note above everything (and above "Chapter 1") is the first chapter's.
        lead_note = note_in(paras[0], OPENING_NOTE_LABELS) if len(paras) > 1 else None
        if lead_note is not None:
            paras = trim_separators(paras[1:])
        if block.found:
            header_text = " ".join(f"{h.label} {h.value}" for h in block.headers)
            count = find_epigraph(paras, hint=hinted(f"{header_text} {lead_note or ''}"))
            if count:
                story.epigraph = join_epigraph(paras[:count])
                paras = trim_separators(paras[count:])
        for position, section in enumerate(split_chapters(paras) if paras else [], start=1):
            notes, body_paras, end_notes = split_notes(section.paragraphs)
            story.chapters.append(ParsedChapter(text="\n\n".join(body_paras),
                                                title=section.title, notes=notes,
                                                end_notes=end_notes, position=position))
        if lead_note is not None and story.chapters:
            first = story.chapters[0]
            first.notes = lead_note if first.notes is None else f"{lead_note}\n\n{first.notes}"
        if not paras:
            story.flags.append(QualityFlag("no-text", "headers but no story text"))
        _name_single_chapter(story)
        return ParseResult(stories=[story])


def apply_headers(story: ParsedStory, headers: list[Header]) -> None:
    """Fill raw_headers (labels as written) and fields (canonical names)."""
    fields = story.fields
    labelled_title = any(h.field == "title" and not h.synthetic for h in headers)
    for header in headers:
        value = header.value
        raw = story.raw_headers.get(header.label)
        story.raw_headers[header.label] = value if raw is None else f"{raw}\n{value}"
        if header.field is None or not value:
            continue
        if header.synthetic:
            if labelled_title:
                continue  # the line above "Title: ..." was a banner, not the title
            value = _unquote(value)
        old = fields.get(header.field)
        if old is None:
            fields[header.field] = value
        elif header.field in LIST_FIELDS:
            fields[header.field] = f"{old}, {value}"
        elif header.field not in ("title", "part"):
            fields[header.field] = f"{old}\n{value}"
    apply_parts(story)


def apply_parts(story: ParsedStory, heading_part: int | None = None) -> None:
    """Part N of M from the title ("Following, Part 2/3") or a Part header, title cleaned.

    ``heading_part`` is a part number found elsewhere (an HTML heading), used last.
    """
    fields = story.fields
    title = fields.get("title")
    part = of = None
    if isinstance(title, str):
        fields["title"], part, of = split_title_part(title)
    raw_part = fields.get("part")
    if isinstance(raw_part, str):
        header_part, header_of = parse_part_value(raw_part)
        if header_part is not None:
            part, of = header_part, header_of or of
    if part is None and heading_part is not None:
        part = heading_part
    story.part, story.part_of = part, of


def _name_single_chapter(story: ParsedStory) -> None:
    """A story told in one untitled chapter: the chapter bears the story's title.

    That is what eFiction stores for a one-chapter story and what Open Doors' imports give the
    single chapter of an Automated Archive story, so a .txt copy of the same story matches
    them. A part of a multi-part posting is left alone: its chapter is one of several.
    """
    title = story.fields.get("title")
    if (len(story.chapters) == 1 and story.chapters[0].title is None and story.part is None
            and isinstance(title, str) and title.strip()):
        story.chapters[0].title = title


# Files that sit next to the stories in an archive's directories and are never stories.
_FURNITURE_NAMES = frozenset({
    "readme", "read_me", "read-me", "read.me", "00readme", "00index", "index", "toc",
    "contents", "license", "licence", "copying", "changelog", "faq", "robots", "manifest",
    "files", "dirinfo", "descript.ion"})
# Words of a note about the archive itself ("This is the text archive of ...").
_FURNITURE_WORDS = re.compile(
    r"\b(?:archives?|archivist|index|readme|directory|directories|hotlink(?:ing)?|mirror|"
    r"webmaster|submissions?|submit|mailing list|download|this site|filed)\b", re.IGNORECASE)
_FURNITURE_NAMED_WORDS = 600  # a "readme.txt" longer than this might be a story after all
_FURNITURE_WORDS_MAX = 150  # a short headerless note about the archive


def site_furniture(document: Document, paras: list[str]) -> str | None:
    """Why a headerless text file is site furniture (a README, an index), or None.

    A directory of stories also holds the archive's own notes. Without a header block nothing
    says "story", so the file is judged by its name (README.txt, 00index.txt) or, for any name,
    by being a short note that talks about the archive: two or more of words like "archive",
    "index", "mirror" and "hotlink" in under 150 words. Prose that mentions an archive once,
    or a long file of any name, is still imported as a story without a title.
    """
    words = sum(len(p.split()) for p in paras)
    stem = document.name.lower()
    for suffix in (".txt", ".text", ".asc", ".1st", ".me"):
        if stem.endswith(suffix) and stem != suffix:
            stem = stem[: -len(suffix)]
            break
    if stem in _FURNITURE_NAMES and words <= _FURNITURE_NAMED_WORDS:
        return f"{document.name}: a headerless site file, not a story"
    if words <= _FURNITURE_WORDS_MAX:
        found = {m.group(0).lower() for m in _FURNITURE_WORDS.finditer(" ".join(paras))}
        if len(found) >= 2:
            return (f"{document.name}: a short headerless note about the archive "
                    f"({', '.join(sorted(found))}), not a story")
    return None


def _unquote(title: str) -> str:
    """An unlabelled title line is often quoted or starred: "Following", *Following*."""
    for opening, closing in _TITLE_QUOTES:
        if len(title) > 2 and title.startswith(opening) and title.endswith(closing):
            return title[1:-1].strip()
    return title


def _looks_binary(head: bytes) -> bool:
    if head.startswith(_BINARY_MAGIC):
        return True
    if head.startswith(_UNICODE_BOMS):
        return False
    if b"\x00" in head:
        # UTF-16 without a BOM has NULs in every other byte of ASCII text, a damaged save a
        # stray one or two; real binaries have them everywhere.
        return not (looks_like_utf16(head) or stray_nuls(head))
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls * 100 > len(head)


@hookimpl
def fanarchive_parsers() -> list[PlainTextParser]:
    return [PlainTextParser()]
