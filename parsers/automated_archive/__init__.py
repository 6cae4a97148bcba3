"""Automated Archive records: one ``ARCHIVE_DB.pl`` entry plus its story file, as one story.

The source (:mod:`fanarchive.sources.automated_archive`) turns each record into a JSON document
that carries the record's fields as written and the story file's raw bytes. This parser maps
the fields and reads the story text:

* fields: AA's keys are the labels a person typed into the archive's form, so they go through
  the same label table as plain-text headers (``Pairing`` -> relationships, ``Category`` ->
  categories...), plus AA's own keys below (``EmailAuthor``, ``PrintTime``...). Every key is kept
  in ``raw_headers``; ``Location``/``FileType`` are where the text was, not metadata.
* dates: AA wrote ``MM/DD/YY``; they are read as such (the archive's format, not a guess).
* text: HTML files become plain paragraphs; a header block at the top of the file that repeats
  the record (``Title: ...`` ``Author: ...``) is not story text.

A record whose story file is missing cannot be a story: it fails with ``missing-chapter``
naming the file (the record document itself is stored, so nothing is lost and a re-import after
restoring the file completes it). A record with several files of which some are missing imports
with a ``missing-chapter`` quality flag. Off-site records (``LocationURL``) are bookmarks, not
stories.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any

from fanarchive_parsers.htmlstory.dom import body_of, parse_html
from fanarchive_parsers.htmlstory.text import paragraphs as html_paragraphs
from fanarchive_parsers.plaintext.body import paragraphs as text_paragraphs
from fanarchive_parsers.plaintext.headers import scan_headers
from fanarchive_parsers.plaintext.labels import LIST_FIELDS, field_for, label_key
from fanarchive_parsers.plaintext.parts import parse_part_value, split_title_part

from fanarchive.document import Document
from fanarchive.errors import ParseError
from fanarchive.hookspecs import hookimpl
from fanarchive.normalize.encoding import decode_bytes
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult, QualityFlag

__all__ = ["AA_MEDIA_TYPE", "AutomatedArchiveRecordParser", "fanarchive_parsers"]

AA_MEDIA_TYPE = "application/vnd.fanarchive.aa-record+json"

# AA keys the plain-text label table does not know, by label_key(). None: not metadata.
AA_FIELDS: dict[str, str | None] = {
    "emailauthor": "email",
    "authoremail": "email",
    "printtime": "published",
    "dateprint": "published",
    "date": "published",
    "lastupdate": "updated",
    "location": None,
    "filetype": None,
    "locationurl": None,
    "storyurl": None,
    "offsite": None,
    "file": None,
    "filename": None,
}
# Several date keys may be present; the first in this order wins (as Open Doors reads them).
DATE_KEYS = ("printtime", "dateprint", "date")
_AA_DATE_FORMATS = ("%m/%d/%y", "%m/%d/%Y", "%m-%d-%y", "%m-%d-%Y", "%Y-%m-%d")


class _MissingChapter(ParseError):
    code = "missing-chapter"


class AutomatedArchiveRecordParser:
    name = "automated-archive"
    version = "1.0.0"
    description = "Automated Archive ARCHIVE_DB.pl records with their story files"

    def detect(self, document: Document) -> float:
        return 1.0 if document.media_type == AA_MEDIA_TYPE else 0.0

    def parse(self, document: Document) -> ParseResult:
        try:
            record = json.loads(document.content)
        except ValueError as exc:
            raise ParseError(f"not an Automated Archive record: {exc}") from exc
        fields = record.get("fields")
        if not isinstance(fields, dict):
            raise ParseError("Automated Archive record without fields")
        story = ParsedStory()
        _apply_fields(story, fields)
        for note in record.get("repairs") or []:
            story.flags.append(QualityFlag("aa-record-repaired", str(note)))
        files = record.get("files") or []
        missing = record.get("missing") or []
        if not files:
            if record.get("external_url"):
                return ParseResult(page_kind="bookmark", links=[record["external_url"]])
            where = ", ".join(m.get("location", "?") for m in missing) or "no Location"
            raise _MissingChapter(f"story file missing ({where}); the record alone has no text")
        for position, entry in enumerate(files, start=1):
            story.chapters.append(_chapter(entry, position, story))
        for entry in missing:
            story.flags.append(QualityFlag("missing-chapter",
                                           f"story file {entry.get('location')} not found"))
        return ParseResult(stories=[story])


def _field_name(key: str) -> str | None:
    key = label_key(key)
    folded = key.replace(" ", "")
    if folded in AA_FIELDS:
        return AA_FIELDS[folded]
    return field_for(key)


def _apply_fields(story: ParsedStory, record: dict[str, Any]) -> None:
    fields = story.fields
    dates: dict[str, str] = {}
    for key, value in record.items():
        text = _text(value)
        story.raw_headers[key] = text
        name = _field_name(key)
        if name is None or not text.strip():
            continue
        folded = label_key(key).replace(" ", "")
        if folded in DATE_KEYS:
            dates[folded] = text
            continue
        if name in ("published", "updated"):
            text = _aa_date(text)
        old = fields.get(name)
        if old is None:
            fields[name] = text
        elif name in LIST_FIELDS:
            fields[name] = f"{old}, {text}"
    for key in DATE_KEYS:
        if key in dates:
            fields["published"] = _aa_date(dates[key])
            break
    title = fields.get("title")
    if isinstance(title, str):
        fields["title"], story.part, story.part_of = split_title_part(title)
    part = fields.get("part")
    if isinstance(part, str):
        number, of = parse_part_value(part)
        if number is not None:
            story.part, story.part_of = number, of or story.part_of


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _aa_date(raw: str) -> str:
    """ISO date for AA's MM/DD/YY (and epoch seconds); other values stay as written."""
    value = raw.strip()
    if re.fullmatch(r"\d{9,10}", value):
        return datetime.fromtimestamp(int(value), UTC).date().isoformat()
    for fmt in _AA_DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return raw


def _chapter(entry: dict[str, Any], position: int, story: ParsedStory) -> ParsedChapter:
    try:
        raw = base64.b64decode(entry.get("content_base64") or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ParseError(f"story file {entry.get('path')} is damaged in the record: {exc}"
                         ) from exc
    is_html = "html" in str(entry.get("media_type") or "")
    decoded = decode_bytes(raw, is_html=is_html)
    story.flags.extend(f for f in decoded.flags if f not in story.flags)
    if is_html:
        page = parse_html(decoded.text)
        paras = html_paragraphs([body_of(page)])
        story.flags.extend(page.flags)
    else:
        paras = text_paragraphs(decoded.text)
    paras = _drop_repeated_headers(paras, story)
    if not paras:
        story.flags.append(QualityFlag("no-text", f"story file {entry.get('path')} is empty"))
    return ParsedChapter(text="\n\n".join(paras), position=position)


def _drop_repeated_headers(paras: list[str], story: ParsedStory) -> list[str]:
    """Leave out a header block at the top of the file when it repeats the record's title."""
    title = story.field_text("title")
    if not paras or not title:
        return paras
    if _same(paras[0], title):
        paras = paras[1:]  # the title as a heading above the headers
    head = "\n\n".join(paras[:12])
    block = scan_headers(head)
    if not block.found:
        return paras
    titles = [h.value for h in block.headers if h.field == "title"]
    if not any(_same(t, title) for t in titles):
        return paras
    rest = head[block.body_start:].strip()
    kept = [p for p in rest.split("\n\n") if p.strip()] if rest else []
    return kept + paras[12:]


def _same(a: str, b: str) -> bool:
    def fold(s: str) -> str:
        return re.sub(r"\W+", " ", s).strip().casefold()

    return fold(a) == fold(b) or fold(split_title_part(a)[0]) == fold(b)


@hookimpl
def fanarchive_parsers() -> list[AutomatedArchiveRecordParser]:
    return [AutomatedArchiveRecordParser()]
