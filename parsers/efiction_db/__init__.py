"""Parser for eFiction story bundles made by :mod:`fanarchive.sources.efiction_db`.

A bundle already has every id resolved, so this parser only maps eFiction's columns to the
canonical field names, keeps the columns and eFiction's display labels as raw headers, turns the
HTML-ish texts into plain text and reports what the bundle says is missing.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fanarchive_parsers.efiction_db.text import html_to_text, only_links, text_to_html

from fanarchive.document import Document
from fanarchive.errors import ParseError
from fanarchive.hookspecs import Parser, hookimpl
from fanarchive.normalize.encoding import decode_bytes, repair_text
from fanarchive.parsed import ParsedChapter, ParsedStory, ParseResult, QualityFlag

MEDIA_TYPE = "application/vnd.fanarchive.efiction-story+json"
BUNDLE_FORMAT = "fanarchive.efiction-story"

_PROBLEM_FLAGS = {"unresolved": "unresolved-id"}


class EfictionDumpRecordParser:
    name = "efiction-db"
    version = "1.0"
    description = "eFiction stories imported from a MySQL dump or database (story bundles)"

    def detect(self, document: Document) -> float:
        if document.media_type == MEDIA_TYPE:
            return 1.0
        head = document.content[:512].lstrip()
        if head.startswith(b"{") and f'"format": "{BUNDLE_FORMAT}"'.encode() in head:
            return 0.9
        return 0.0

    def parse(self, document: Document) -> ParseResult:
        try:
            bundle = json.loads(document.content)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParseError(f"{document.locator}: not an eFiction story bundle ({exc})") from exc
        if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
            raise ParseError(f"{document.locator}: not an eFiction story bundle")
        return ParseResult(stories=[parse_bundle(bundle)], page_kind="story")


def _person(person: dict[str, Any]) -> str | None:
    name = (person.get("penname") or "").strip()
    email = (person.get("email") or "").strip()
    if not name:
        return None
    return f"{name} <{email}>" if email else name


def _iso_date(value: str | None) -> str | None:
    """ISO date of a DATETIME (or of a Unix timestamp, which some sites stored)."""
    if not value or value.startswith("0000"):
        return None
    value = value.strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC).date().isoformat() if int(value) else None
    try:
        return datetime.fromisoformat(value.replace(" ", "T")).date().isoformat()
    except ValueError:
        return None


def _series_label(series: dict[str, Any]) -> str | None:
    title = series.get("title")
    if not title:
        return None
    position = series.get("position")
    return f"{title}, part {position}" if position else title


def _site_key(bundle: dict[str, Any]) -> str:
    """The archive's host when the dump knows its URL, so a dump of a site and a crawl of it
    give the same identity (the eFiction web parser keys stories by host too)."""
    site = bundle.get("site") or {}
    url = site.get("url") or ""
    if "://" in url:
        host = urlsplit(url).netloc.lower().removeprefix("www.")
        if host:
            return str(host)
    return str(site.get("name") or (bundle.get("source") or {}).get("identity") or "efiction")


def parse_bundle(bundle: dict[str, Any]) -> ParsedStory:
    story: dict[str, str | None] = bundle.get("story") or {}
    sid = bundle.get("sid") or story.get("sid") or ""
    parsed = ParsedStory(identity=f"efiction:{_site_key(bundle)}:{sid}")
    headers = parsed.raw_headers
    fields = parsed.fields
    for column, value in story.items():
        if value is not None:
            headers[column] = value

    title = story.get("title")
    if title is not None:
        fields["title"] = title
    people = [_person(p) for p in (bundle.get("authors") or []) + (bundle.get("coauthors") or [])]
    authors = [p for p in people if p]
    if authors:
        fields["authors"] = authors
        headers["Author"] = ", ".join(authors[:1])
        if len(authors) > 1:
            headers["Co-authors"] = ", ".join(authors[1:])
    rating = (bundle.get("rating") or {}).get("name")
    if rating:
        fields["rating"] = rating
        headers["Rated"] = rating
    _lists(bundle, fields, headers)
    _dates_and_status(story, fields, headers)
    summary = html_to_text(story.get("summary"))
    if summary:
        fields["summary"] = summary
    notes = html_to_text(story.get("storynotes"))
    if notes:
        fields["notes"] = notes

    for problem in bundle.get("problems") or []:
        code = _PROBLEM_FLAGS.get(problem.get("code", ""), problem.get("code", "problem"))
        parsed.flags.append(QualityFlag(code, problem.get("detail", "")))
    for note in bundle.get("notes") or []:
        code = "encoding-guessed" if "read as" in note else "source-note"
        parsed.flags.append(QualityFlag(code, note))
    for chapter in bundle.get("chapters") or []:
        parsed.chapters.append(_chapter(chapter, parsed.flags))
    return parsed


def _lists(bundle: dict[str, Any], fields: dict[str, str | list[str]],
           headers: dict[str, str]) -> None:
    categories = [c["name"] for c in bundle.get("categories") or [] if c.get("name")]
    if categories:
        fields["categories"] = categories
        headers["Categories"] = ", ".join(categories)
    characters = [c["name"] for c in bundle.get("characters") or [] if c.get("name")]
    if characters:
        fields["characters"] = characters
        headers["Characters"] = ", ".join(characters)
    tags: list[str] = []
    for group in bundle.get("classes") or []:
        values = [v for v in group.get("values") or [] if v]
        if not values:
            continue
        kind = (group.get("type") or "").lower()
        headers[group.get("title") or kind] = ", ".join(values)
        fields[kind] = values
        # Site-specific class types (and genres) have no canonical field but tags.
        if kind != "warnings":
            tags.extend(v for v in values if v not in tags)
    if tags:
        fields["tags"] = tags
    series = [s for s in (_series_label(s) for s in bundle.get("series") or []) if s]
    if series:
        fields["series"] = series[0]
        headers["Series"] = ", ".join(series)


def _dates_and_status(story: dict[str, str | None], fields: dict[str, str | list[str]],
                      headers: dict[str, str]) -> None:
    completed = story.get("completed")
    if completed is not None and completed.strip() != "":
        done = completed.strip() not in ("0", "n", "N")
        fields["status"] = "complete" if done else "in-progress"
        headers["Completed"] = "Yes" if done else "No"
    for column, name, label in (("date", "published", "Published"),
                                ("updated", "updated", "Updated")):
        iso = _iso_date(story.get(column))
        if iso:
            fields[name] = iso
            headers[label] = story.get(column) or ""
    words = (story.get("wordcount") or "").strip()
    if words.isdigit():
        fields["word_count"] = words
        headers["Word count"] = words


def _chapter(chapter: dict[str, Any], flags: list[QualityFlag]) -> ParsedChapter:
    row: dict[str, str | None] = chapter.get("row") or {}
    chapid = chapter.get("chapid")
    source = chapter.get("text")
    if source is None and chapter.get("file_base64"):
        try:
            data = base64.b64decode(chapter["file_base64"], validate=True)
        except (binascii.Error, ValueError):
            flags.append(QualityFlag("unreadable-chapter", f"chapter {chapid}: bad file data"))
            data = b""
        # is_html: entities are decoded once, by html_to_text.
        decoded = decode_bytes(data, is_html=True)
        source = decoded.text
        for flag in decoded.flags:
            flags.append(QualityFlag(flag.code, f"chapter {chapid} ({chapter.get('file')}): "
                                                f"{flag.detail}"))
    elif source:
        # Database text skipped the byte-level repairs files get (double-encoded UTF-8 ...).
        repairs: list[QualityFlag] = []
        source = repair_text(source, repairs, decode_entities=False)
        flags.extend(QualityFlag(f.code, f"chapter {chapid}: {f.detail}") for f in repairs)
    source = source or ""
    text = html_to_text(source)
    links = only_links(source, text) if source else []
    if links:
        flags.append(QualityFlag("link-only", f"chapter {chapid} is only a link: {links[0]}"))
    return ParsedChapter(
        text=text,
        title=chapter.get("title"),
        html=text_to_html(source) or None,
        notes=html_to_text(row.get("notes")) or None,
        end_notes=html_to_text(row.get("endnotes")) or None,
        position=chapter.get("position"),
    )


@hookimpl
def fanarchive_parsers() -> list[Parser]:
    return [EfictionDumpRecordParser()]
