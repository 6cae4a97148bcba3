"""The story text under the headers: paragraphs, signatures, list footers, chapter headings.

Everything here runs over the whole body, so each step is one C-level pass (split, find) or
looks only at the tail; no per-line regex over the prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fanarchive_parsers.plaintext.headers import is_separator, reads_like_sentence
from fanarchive_parsers.plaintext.labels import label_key
from fanarchive_parsers.plaintext.parts import parse_part_value

# Blank lines, also ones holding only spaces; starts with a literal so the split stays fast.
_BLANK_LINES = re.compile(r"\n(?:[ \t\u00a0\u3000]*\n)+")

# Mailing-list and webmail advertising appended under a post, as found in the lower-cased tail.
_FOOTER_MARKERS = (
    "do you yahoo!?", "yahoo! groups sponsor", "yahoo! groups links", "to unsubscribe",
    "your use of yahoo! groups", "@yahoogroups.com", "http://mail.yahoo.com",
    "get your free download of msn", "msn hotmail", "http://www.hotmail.com",
    "http://join.msn.com", "post sent from",
)
_FOOTER_WORDS = ("yahoo", "msn", "hotmail", "unsubscribe", "sent from")  # one of them in each
_MAX_FOOTER_LINE = 140
_UNWRAPPED = 90  # hard-wrapped text never has lines this long: each such line is a paragraph
_TAIL_CHARS = 4000
_MAX_FOOTER_LINES = 30
_MAX_SIGNATURE_LINES = 12


def paragraphs(body: str) -> list[str]:
    """Paragraphs with their inner line breaks, trimmed, blank runs collapsed."""
    if "\f" in body or "\v" in body:
        body = body.replace("\f", "\n\n").replace("\v", "\n")
    out: list[str] = []
    for para in _BLANK_LINES.split(body):
        para = para.strip()
        if not para:
            continue
        if "\n" not in para:
            out.append(para)
            continue
        out += _unjoin([line.rstrip() for line in para.split("\n")])
    return out


def _unjoin(lines: list[str]) -> list[str]:
    """Split a "paragraph" that is really several, in files without blank lines between them.

    One paragraph per line (lines far longer than any hard wrap), or hard-wrapped text whose
    paragraphs start with an indent. Verse and ordinary wrapped prose stay as they are.
    """
    if sum(len(line) > _UNWRAPPED for line in lines) * 2 >= len(lines):
        return [line.strip() for line in lines if line.strip()]
    longest = max(len(line) for line in lines)
    indented = [i for i, line in enumerate(lines) if i and line[:1] in (" ", "\t")]
    if longest >= 60 and len(indented) >= 2 and len(indented) * 5 < len(lines) * 3:
        out: list[str] = []
        start = 0
        for i in [*indented, len(lines)]:
            chunk = "\n".join(line.strip() for line in lines[start:i])
            if chunk:
                out.append(chunk)
            start = i
        return out
    return ["\n".join(lines)]


@dataclass
class Tail:
    """What came off the end of the body."""

    body: str
    signature: str | None = None
    footer: str | None = None


def strip_tail(body: str) -> Tail:
    """Remove list footers and a ``-- `` signature from the end of a posting."""
    body = body.rstrip()
    body, footer = _cut_footer(body)
    body, signature = _cut_signature(body)
    if signature is not None and footer is None:
        body, footer = _cut_footer(body)  # a footer above the signature
    return Tail(body, signature, footer)


def _cut_footer(body: str) -> tuple[str, str | None]:
    start = max(0, len(body) - _TAIL_CHARS)
    tail = body[start:].lower()
    if not any(word in tail for word in _FOOTER_WORDS):
        return body, None
    found = [at for at in map(tail.find, _FOOTER_MARKERS) if at >= 0]
    if not found:
        return body, None
    at = min(found)
    line_start = tail.rfind("\n", 0, at) + 1
    line_end = tail.find("\n", at)
    if (at - line_start > 40 or (line_end if line_end >= 0 else len(tail)) - line_start
            > _MAX_FOOTER_LINE or tail.count("\n", line_start) > _MAX_FOOTER_LINES):
        return body, None
    head = body[: start + line_start].rstrip()
    # Take the rule line ("_____", "-----") that introduces the footer with it.
    last_nl = head.rfind("\n")
    if is_separator(head[last_nl + 1 :].strip()):
        head = head[: max(last_nl, 0)].rstrip()
    if not head.strip():
        return body, None  # a text that is all "footer" is the text
    return head, body[len(head) :].strip()


def _cut_signature(body: str) -> tuple[str, str | None]:
    """``-- `` on its own line; a bare ``--`` only when an address or link follows it."""
    start = max(0, len(body) - _TAIL_CHARS)
    for delimiter, needs_address in (("\n-- \n", False), ("\n--\n", True)):
        at = body.rfind(delimiter, start)
        if at < 0:
            continue
        signature = body[at + len(delimiter) :].strip()
        if not signature or signature.count("\n") >= _MAX_SIGNATURE_LINES:
            continue
        if needs_address and not any(m in signature for m in ("@", "http", "www.")):
            continue
        return body[:at].rstrip(), signature
    return body, None


_HEADING = re.compile(
    r"(?P<kw>chapter|part|book)\s+(?P<n>\d{1,5}|[ivxlc]{1,7}|one|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen"
    r"|nineteen|twenty)\b\s*(?:[:.\-–—]\s*(?P<name>\S.{0,70}))?"
    r"|(?P<edge>prologue|epilogue)\b.{0,70}",
    re.IGNORECASE,
)


def heading_title(heading: str) -> str:
    """The chapter's own title in a numbered heading: "Chapter 2: Company" -> "Company".

    The number is the chapter's position, which every reader and exporter shows anyway
    (AO3 prints "Chapter 2: Company" from position and title); keeping it in the title would
    print it twice. A bare "Chapter 3" has no other name and stays as it is, and so do
    "Prologue: ..." headings, whose word is not a position.
    """
    match = _HEADING.fullmatch(heading.strip())
    if match is None or match["edge"] or not match["name"]:
        return heading
    return match["name"].strip()


@dataclass
class Section:
    title: str | None
    paragraphs: list[str]


def split_chapters(paras: list[str]) -> list[Section]:
    """Split on "Chapter 1" / "Part Two" headings, only when the text clearly is so divided.

    The text must open with a heading, every heading must stand alone as a paragraph, use one
    keyword and count up by one from 1 (a prologue first and an epilogue last are allowed).
    Anything less and the text stays one chapter with its headings in it.
    """
    headings: list[int] = []
    keyword: str | None = None
    expected = 1
    ended = False  # an epilogue was seen: nothing numbered may follow
    for i, para in enumerate(paras):
        if len(para) > 80 or "\n" in para or para[:1] not in "CcPpBbEe":
            continue
        match = _HEADING.fullmatch(para)
        if match is None:
            continue
        if match["edge"]:
            if ended or (match["edge"].lower() == "prologue" and headings):
                return [Section(None, paras)]
            ended = match["edge"].lower() == "epilogue"
            headings.append(i)
            continue
        n = match["n"]
        # Digits are read directly: part values stop at 999, serials with 10,000 chapters don't.
        number = int(n) if n.isdigit() else parse_part_value(n)[0]
        kw = match["kw"].lower()
        if ended or number != expected or (keyword is not None and kw != keyword):
            return [Section(None, paras)]
        keyword = kw
        expected += 1
        headings.append(i)
    if expected < 3 or not headings or headings[0] != 0:
        return [Section(None, paras)]
    sections = []
    for k, start in enumerate(headings):
        stop = headings[k + 1] if k + 1 < len(headings) else len(paras)
        sections.append(Section(heading_title(paras[start]),
                                trim_separators(paras[start + 1 : stop])))
    return sections


def trim_separators(paras: list[str]) -> list[str]:
    """Rules at the start or end of a chapter are framing, not scene breaks."""
    start, stop = 0, len(paras)
    while start < stop and _all_rules(paras[start]):
        start += 1
    while stop > start and _all_rules(paras[stop - 1]):
        stop -= 1
    return paras[start:stop]


def _all_rules(para: str) -> bool:
    """A paragraph of one rule, or of several rule lines stacked ("----" over "~*~*~")."""
    return is_separator(para) or ("\n" in para and all(
        is_separator(line.strip()) for line in para.split("\n")))


# ---- author's notes in the text ------------------------------------------------------------

# "Author's note: ..." opening a chapter and "End note: ..." closing it are the author talking,
# not the story: they go to the chapter's notes and end notes, as AO3 and eFiction keep them.
# Keys are folded with ``label_key``.
OPENING_NOTE_LABELS = frozenset({
    "note", "notes", "author's note", "author's notes", "authors note", "authors notes",
    "authors' note", "authors' notes", "author note", "author notes", "a/n", "a/ns", "an",
    "a.n", "a.n.", "chapter note", "chapter notes", "part note", "part notes"})
END_NOTE_LABELS = frozenset({
    "end note", "end notes", "endnote", "endnotes", "end a/n", "chapter end notes",
    "end notes for this part", "afterword"})
CLOSING_NOTE_LABELS = OPENING_NOTE_LABELS | END_NOTE_LABELS  # "A/N: ..." last is an end note
# Labels that also open ordinary sentences ("Note: the door was locked."): a paragraph they
# open is a note only when its first line does not read like a sentence.
_PROSE_NOTE_LABELS = frozenset({"note", "notes", "an"})
_NOTE_PARAGRAPH = re.compile(
    r"[*_\[]{0,2}(?P<label>[^\W\d_][\w'’./ ]{0,30}?)[*_\]]{0,2}[ \t]*:[*_]{0,2}[ \t]*"
    r"(?P<value>\S.*)", re.DOTALL)
_MAX_NOTE_CHARS = 2000  # a longer "Note:" paragraph is the story's own text


def note_in(para: str, labels: frozenset[str]) -> str | None:
    """The note's text when ``para`` is a labelled author's note ("A/N: thanks, Ruth")."""
    if len(para) > _MAX_NOTE_CHARS or ":" not in para[:40]:
        return None
    match = _NOTE_PARAGRAPH.match(para)
    if match is None:
        return None
    key = label_key(match["label"])
    if key not in labels:
        return None
    value = match["value"].strip()
    if key in _PROSE_NOTE_LABELS and reads_like_sentence(value.split("\n", 1)[0]):
        return None
    return value


def split_notes(paras: list[str]) -> tuple[str | None, list[str], str | None]:
    """(opening note, the paragraphs between, end note) of one chapter's paragraphs.

    Only the first and the last paragraph are looked at, and the chapter keeps at least one
    paragraph: a note in the middle of the prose is part of the story as written.
    """
    notes = end_notes = None
    if len(paras) > 1:
        notes = note_in(paras[0], OPENING_NOTE_LABELS)
        if notes is not None:
            paras = trim_separators(paras[1:])
    if len(paras) > 1:
        end_notes = note_in(paras[-1], CLOSING_NOTE_LABELS)
        if end_notes is not None:
            paras = trim_separators(paras[:-1])
    return notes, paras, end_notes
