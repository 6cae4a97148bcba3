"""AO3 import payloads plus the chapter pages they point to, as a folder you can serve.

AO3's archivist import (``POST /api/v2/works``, otwarchive ``Api::V2::WorksController``) takes
works with metadata and ``chapter_urls``; AO3 then downloads each chapter page. The folder:

    requests/works-0001.json   request bodies of at most 199 works (AO3 takes fewer than 200);
                               fill in "archivist" before posting
    works/<id>.json            the payload of every story, importable or not
    chapters/<id>-<n>.html     the chapter pages, sanitized HTML
    report.json                limits, held-back works and why, every change made on the way

``chapter_urls`` are relative to the folder (``chapters/<id>-1.html``) unless ``--base-url``
names where the folder will be served. Nothing is truncated: a chapter over AO3's size limit is
split at paragraph boundaries into several chapters, each saying so; a work that still breaks a
limit (title, summary, notes, chapter count, tag length or count) is held back: its payload is
written but it goes in no request file, and the report says what to fix.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fanarchive.export.chapter_split import split_html
from fanarchive.export.folder import atomic_folder
from fanarchive.export.items import ExportItem, iter_items
from fanarchive.export.sanitize import chapter_html, escape, text_to_html
from fanarchive.store.store import Store

# AO3's limits (otwarchive ArchiveConfig and the API controller).
TITLE_MAX = 255
SUMMARY_MAX = 1_250
NOTES_MAX = 5_000
CHAPTER_MAX = 510_000
CHAPTERS_MAX = 199  # "fewer than 200"
WORKS_PER_REQUEST = 199  # "fewer than 200"
TAG_MAX = 150
USER_TAGS_MAX = 75  # fandoms + relationships + characters + additional tags
# Room left in a split part for the note saying it was split.
_SPLIT_ROOM = 1_000

CHOOSE_NOT_TO_WARN = "Choose Not To Use Archive Warnings"
NO_WARNINGS = "No Archive Warnings Apply"
AO3_WARNINGS = (CHOOSE_NOT_TO_WARN, NO_WARNINGS, "Graphic Depictions Of Violence",
                "Major Character Death", "Rape/Non-Con", "Underage")
AO3_CATEGORIES = ("F/F", "F/M", "Gen", "M/M", "Multi", "Other")
AO3_RATINGS = ("General Audiences", "Teen And Up Audiences", "Mature", "Explicit", "Not Rated")

# Legacy warning spellings (compared lowercased, punctuation and spaces removed).
_WARNING_MAP = {
    **{k: CHOOSE_NOT_TO_WARN for k in (
        "choosenottousearchivewarnings", "creatorchosenottousearchivewarnings",
        "choosenottowarn", "authorchosenottowarn", "chosenottowarn", "cntw", "nowarningsgiven",
        "warningsnotgiven")},
    **{k: NO_WARNINGS for k in (
        "noarchivewarningsapply", "noneofthesewarningsapply", "none", "nowarnings",
        "nowarning", "na", "nowarningsapply")},
    **{k: "Graphic Depictions Of Violence" for k in (
        "graphicdepictionsofviolence", "violence", "graphicviolence", "violent")},
    **{k: "Major Character Death" for k in (
        "majorcharacterdeath", "characterdeath", "death", "deathfic", "mcd",
        "maincharacterdeath")},
    **{k: "Rape/Non-Con" for k in (
        "rapenoncon", "rape", "noncon", "nonconsensual", "nonconsensualsex")},
    **{k: "Underage" for k in ("underage", "underagesex", "chan")},
}
# Only spellings that name exactly one AO3 category; "slash" has meant F/F too, so it stays
# a tag. Without character genders a category is never guessed from relationships.
_CATEGORY_MAP = {
    "f/f": "F/F", "femslash": "F/F", "f/m": "F/M", "m/f": "F/M", "het": "F/M",
    "m/m": "M/M", "gen": "Gen", "multi": "Multi", "other": "Other",
}
# Characters AO3 refuses in tag names (the comma is its separator).
_TAG_FORBIDDEN = re.compile(r"[,，、*<>^{}=`\\%\x00-\x1f\x7f]")
# Control characters other than tab and newline: noise from broken encodings, and AO3 keeps
# none of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _key(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


@dataclass
class WorkReport:
    id: str
    title: str | None
    held: list[dict[str, str]] = field(default_factory=list)
    notices: list[dict[str, str]] = field(default_factory=list)

    def hold(self, code: str, detail: str) -> None:
        self.held.append({"code": code, "detail": detail})

    def note(self, code: str, detail: str) -> None:
        self.notices.append({"code": code, "detail": detail})


def _tag_list(values: list[str], what: str, report: WorkReport) -> list[str]:
    out: list[str] = []
    for value in values:
        sent = " ".join(_TAG_FORBIDDEN.sub(" ", value).split())
        if sent != value:
            report.note("tag-changed", f"{what} {value!r} sent as {sent!r} (AO3 refuses "
                        "control characters and , ^ * < > { } = ` \\ % in tags)")
        if len(sent) > TAG_MAX:
            report.hold("tag-too-long", f"{what} of {len(sent)} characters (AO3 takes "
                        f"{TAG_MAX}): {sent[:60]}…")
        if sent and sent not in out:
            out.append(sent)
    return out


def map_warnings(warnings: list[str], report: WorkReport) -> tuple[list[str], list[str]]:
    """(AO3 warnings, leftovers to keep as additional tags)."""
    mapped: list[str] = []
    leftover: list[str] = []
    for warning in warnings:
        target = _WARNING_MAP.get(_key(warning))
        if target is None:
            leftover.append(warning)
            report.note("warning-kept-as-tag", f"{warning!r} is not an AO3 warning")
        elif target not in mapped:
            mapped.append(target)
            if target != warning:
                report.note("warning-mapped", f"{warning!r} sent as {target!r}")
    specific = [w for w in mapped if w not in (CHOOSE_NOT_TO_WARN, NO_WARNINGS)]
    if specific and NO_WARNINGS in mapped:
        mapped.remove(NO_WARNINGS)
        report.note("warning-conflict", f"{NO_WARNINGS!r} dropped: the story names warnings")
    if not mapped:
        mapped = [CHOOSE_NOT_TO_WARN]
    return mapped, leftover


def map_categories(categories: list[str], report: WorkReport) -> tuple[list[str], list[str]]:
    mapped: list[str] = []
    leftover: list[str] = []
    for category in categories:
        target = _CATEGORY_MAP.get(category.strip().casefold())
        if target is None:
            leftover.append(category)
            report.note("category-kept-as-tag", f"{category!r} is not an AO3 category")
        elif target not in mapped:
            mapped.append(target)
    return mapped, leftover


def _plain(text: str | None) -> str:
    # AO3 reads summary and notes as HTML: escape so "<3" and "&" survive as written.
    if not text:
        return ""
    return html.escape(_CONTROL.sub("", text.replace("\r\n", "\n")), quote=False)


def _notes(item: ExportItem, report: WorkReport) -> str:
    s = item.story
    lines = []
    if len(s.authors) > 2:
        others = ", ".join(a.name for a in s.authors[2:])
        lines.append(f"Also by: {others}")
        report.note("extra-authors-in-notes", f"AO3 takes two external creators; {others} "
                    "named in the notes")
    if s.series:
        part = f", part {s.series.part}" if s.series.part else ""
        part += f" of {s.series.of}" if s.series.of else ""
        lines.append(f"Series: {s.series.title}{part}")
    if s.disclaimer:
        lines.append(f"Disclaimer: {s.disclaimer}")
    if s.notes:
        lines.append(s.notes)
    return _plain("\n\n".join(lines))


@dataclass
class ChapterPage:
    path: str  # relative to the export folder
    title: str
    content: str


def chapter_pages(item: ExportItem, report: WorkReport) -> list[ChapterPage]:
    """The pages AO3 will fetch, over-long chapters split at paragraph boundaries."""
    s = item.story
    pages: list[ChapterPage] = []
    for index, chapter in enumerate(s.chapters):
        parts = []
        if index == 0 and s.epigraph:
            parts.append('<blockquote class="epigraph">' + text_to_html(s.epigraph)
                         + "</blockquote>")
        if chapter.notes:
            parts.append("<p><b>Chapter notes:</b></p>" + text_to_html(chapter.notes))
        parts.append(chapter_html(chapter))
        if chapter.end_notes:
            parts.append("<p><b>End notes:</b></p>" + text_to_html(chapter.end_notes))
        content = "\n".join(parts)
        title = chapter.title or (s.title or "Untitled")
        split = split_html(content, CHAPTER_MAX - _SPLIT_ROOM)
        if len(split.parts) > 1:
            report.note("chapter-split", f"chapter {chapter.position} ({len(content):,} "
                        f"characters) split into {len(split.parts)} chapters at paragraph "
                        f"boundaries to fit AO3's {CHAPTER_MAX:,}-character limit")
            if split.formatting_lost:
                report.note("split-lost-formatting", f"chapter {chapter.position} has a "
                            "single block longer than the limit; it was split between words "
                            "and lost its inline formatting")
        for number, part in enumerate(split.parts, start=1):
            part_title = title
            if len(split.parts) > 1:
                part_title = f"{title} (part {number} of {len(split.parts)})"
                part = (f"<p><em>[Part {number} of {len(split.parts)} of this chapter: the "
                        f"original was split to fit AO3's chapter size limit.]</em></p>\n{part}")
            # Flat names (no folder per story): a mkdir per story doubled the export time.
            pages.append(ChapterPage(f"chapters/{item.uid}-{len(pages) + 1}.html",
                                     part_title, part))
    return pages


def work_payload(item: ExportItem, urls: list[str], report: WorkReport) -> dict[str, Any]:
    """The ``works[]`` entry of AO3's import request for one story."""
    s = item.story
    warnings, extra_tags = map_warnings(s.warnings, report)
    categories, more_tags = map_categories(s.categories, report)
    fandoms = _tag_list(s.fandoms, "fandom", report)
    relationships = _tag_list(s.relationships, "relationship", report)
    characters = _tag_list(s.characters, "character", report)
    additional = _tag_list([*s.tags, *extra_tags, *more_tags], "tag", report)
    payload = {
        "id": item.uid,
        "title": _CONTROL.sub("", s.title or ""),
        "fandoms": ", ".join(fandoms),
        "warnings": ", ".join(warnings),
        "characters": ", ".join(characters),
        "rating": s.rating.canonical,
        "relationships": ", ".join(relationships),
        "categories": ", ".join(categories),
        "additional_tags": ", ".join(additional),
        "language_code": s.language or "",
        "summary": _plain(s.summary),
        "notes": _notes(item, report),
        "external_author_name": s.authors[0].name if s.authors else "",
        "external_author_email": (s.authors[0].email or "") if s.authors else "",
        "chapter_urls": urls,
    }
    if len(s.authors) > 1:
        payload["external_coauthor_name"] = s.authors[1].name
        payload["external_coauthor_email"] = s.authors[1].email or ""
    _check_limits(payload, fandoms + relationships + characters + additional, report)
    return payload


def _check_limits(payload: dict[str, Any], user_tags: list[str], report: WorkReport) -> None:
    for name, limit in (("title", TITLE_MAX), ("summary", SUMMARY_MAX), ("notes", NOTES_MAX)):
        if len(payload[name]) > limit:
            report.hold(f"{name}-too-long", f"{name} has {len(payload[name]):,} characters; "
                        f"AO3 takes {limit:,}")
    chapters = len(payload["chapter_urls"])
    if chapters == 0:
        report.hold("no-chapters", "no chapter text survived; AO3 needs at least one chapter")
    elif chapters > CHAPTERS_MAX:
        report.hold("too-many-chapters", f"{chapters} chapters; AO3 imports fewer than 200 "
                    "per work: split the work into parts (a series) by hand")
    if len(user_tags) > USER_TAGS_MAX:
        report.hold("too-many-tags", f"{len(user_tags)} fandom/relationship/character/"
                    f"additional tags; AO3 takes {USER_TAGS_MAX}")
    if not payload["external_author_email"]:
        report.note("no-email", "no author e-mail: AO3 cannot invite the author to claim it")
    if not payload["fandoms"]:
        report.note("no-fandom", "no fandom: AO3 will file it under its no-fandom tag")
    if not payload["title"]:
        report.note("no-title", "no title: AO3 will call it \"Untitled Imported Work\"")


def _page_html(page: ChapterPage, lang: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(page.title)}</title>\n</head>\n<body>\n{page.content}\n"
            "</body>\n</html>\n")


def _request(works: list[dict[str, Any]]) -> dict[str, Any]:
    return {"archivist": "", "send_claim_emails": False, "post_without_preview": True,
            "detect_tags": False, "override_tags": True, "encoding": "UTF-8", "works": works}


def _dump(path: Path, data: Any, indent: int | None = None) -> None:
    # No indent by default: json's fast C encoder only runs without one.
    path.write_text(json.dumps(data, ensure_ascii=False, indent=indent) + "\n",
                    encoding="utf-8")


def write(store: Store, options: Any, output: Path,
          on_record: Callable[[], None] | None = None) -> int:
    """The AO3 import folder (see the module doc); returns how many stories it holds."""
    base = (options.base_url or "").rstrip("/")
    count = 0
    batch: list[dict[str, Any]] = []
    requests: list[str] = []
    held: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    with atomic_folder(output, "ao3") as folder:
        for sub in ("requests", "works", "chapters"):
            (folder / sub).mkdir()

        def flush() -> None:
            name = f"requests/works-{len(requests) + 1:04d}.json"
            _dump(folder / name, _request(batch))
            requests.append(name)
            batch.clear()

        for item in iter_items(store, options):
            report = WorkReport(item.uid, item.story.title)
            pages = chapter_pages(item, report)
            lang = item.story.language or "und"
            for page in pages:
                (folder / page.path).write_text(_page_html(page, lang), encoding="utf-8")
            urls = [f"{base}/{p.path}" if base else p.path for p in pages]
            payload = work_payload(item, urls, report)
            _dump(folder / "works" / f"{item.uid}.json", payload)
            if report.held:
                held.append({"id": item.uid, "title": item.story.title,
                             "payload": f"works/{item.uid}.json", "reasons": report.held})
            else:
                batch.append(payload)
                if len(batch) == WORKS_PER_REQUEST:
                    flush()
            notices += [{"id": item.uid, "title": item.story.title, **n}
                        for n in report.notices]
            count += 1
            if on_record:
                on_record()
        if batch:
            flush()
        _dump(folder / "report.json", {
            "format": "ao3", "works": count, "importable": count - len(held),
            "held": len(held), "requests": requests, "base_url": base or None,
            "limits": {"title": TITLE_MAX, "summary": SUMMARY_MAX, "notes": NOTES_MAX,
                       "chapter": CHAPTER_MAX, "chapters_per_work": CHAPTERS_MAX,
                       "works_per_request": WORKS_PER_REQUEST, "tag": TAG_MAX,
                       "user_tags": USER_TAGS_MAX},
            "held_works": held, "notices": notices,
        }, indent=1)
    return count


def summary_lines(folder: Path) -> list[str]:
    """A few lines for the command line from an AO3 folder's ``report.json``."""
    report = json.loads((folder / "report.json").read_text("utf-8"))
    lines = [f"{report['importable']} works in {len(report['requests'])} request file(s); "
             f"{report['held']} held back (see {folder / 'report.json'})"]
    for work in report["held_works"][:10]:
        reasons = ", ".join(r["code"] for r in work["reasons"])
        lines.append(f"  held: {work['title'] or work['id']}: {reasons}")
    codes: dict[str, int] = {}
    for notice in report["notices"]:
        codes[notice["code"]] = codes.get(notice["code"], 0) + 1
    if codes:
        lines.append("  changes and notes: " + ", ".join(f"{k} {v}" for k, v in
                                                        sorted(codes.items())))
    return lines
