"""The normalize stage: a parser's raw story in, a canonical :class:`Story` out.

Parsers report what they found; everything that needs site-independent knowledge (rating
scales, fandom and pairing maps, author forms, damage detection) happens here, driven by config.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from fanarchive.config import Config
from fanarchive.normalize.authors import parse_authors
from fanarchive.normalize.damage import find_joined_words
from fanarchive.normalize.fandoms import FandomMap
from fanarchive.normalize.ratings import map_rating
from fanarchive.normalize.text import one_line, split_list, word_count
from fanarchive.parsed import ParsedStory, QualityFlag
from fanarchive.story import Chapter, Series, Story

__all__ = ["NormalizeContext", "normalize_story"]


@dataclass
class NormalizeContext:
    config: Config
    default_fandom: str | None = None
    settings: dict[str, object] = field(default_factory=dict)

    @cached_property
    def fandom_map(self) -> FandomMap:
        return FandomMap(self.config.section("fandoms"))


_STATUS = {
    "complete": "complete",
    "completed": "complete",
    "yes": "complete",
    "finished": "complete",
    "wip": "in-progress",
    "in progress": "in-progress",
    "in-progress": "in-progress",
    "incomplete": "in-progress",
    "no": "in-progress",
    "ongoing": "in-progress",
    "unfinished": "in-progress",
}


def _status(raw: str | None) -> str | None:
    if not raw:
        return None
    return _STATUS.get(raw.strip().lower().rstrip("."))


def _iso_date(raw: str | None) -> str | None:
    """An ISO date when the value is unambiguous; otherwise None (the raw header is kept)."""
    if not raw:
        return None
    raw = raw.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%B %d %Y", "%B %d, %Y",
                "%d %B %Y", "%b %d %Y", "%b %d, %Y", "%d %b %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        return None


def _series(parsed: ParsedStory) -> Series | None:
    title = one_line(parsed.field_text("series"))
    if not title or title.lower() in ("none", "n/a"):
        return None
    match = re.search(r"\s*[,(\-]?\s*(?:part|#)\s*(\d+)(?:\s*(?:/|of)\s*(\d+))?\)?\s*$", title, re.I)
    if match:
        return Series(title[: match.start()].strip(), int(match.group(1)),
                      int(match.group(2)) if match.group(2) else None)
    return Series(title)


def _clean(value: str | None) -> str | None:
    value = one_line(value)
    if value is None:
        return None
    if "&" in value and re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+\d*);", value, re.I):
        value = html.unescape(value)
    return value


def normalize_story(parsed: ParsedStory, ctx: NormalizeContext) -> Story:
    f = parsed.field_text
    flags = list(parsed.flags)
    fm = ctx.fandom_map
    fandoms = fm.fandoms(parsed.fields.get("fandoms"))
    if not fandoms and ctx.default_fandom:
        fandoms = [fm.canonical_fandom(ctx.default_fandom)]
    chapters: list[Chapter] = []
    for i, ch in enumerate(parsed.chapters, start=1):
        chapters.append(
            Chapter(
                position=ch.position or i,
                title=_clean(ch.title),
                text=ch.text,
                html=ch.html,
                notes=ch.notes,
                end_notes=ch.end_notes,
                word_count=word_count(ch.text),
            )
        )
    chapters.sort(key=lambda c: c.position)
    damage_cfg = ctx.config.section("fanarchive").get("damage", {})
    joined: list[str] = []
    for ch in chapters:
        joined += find_joined_words(
            ch.text,
            min_zipf=float(damage_cfg.get("joined_word_min_zipf", 5.0)),
            limit=int(damage_cfg.get("max_examples", 8)),
        )
    if joined:
        flags.append(QualityFlag("punctuation-lost", "words joined where punctuation was lost: "
                                 + ", ".join(dict.fromkeys(joined))))
    return Story(
        title=_clean(f("title")),
        authors=parse_authors(parsed.fields.get("authors"), f("email")),
        rating=map_rating(one_line(f("rating")), ctx.config.section("ratings")),
        fandoms=fandoms,
        relationships=fm.relationships(parsed.fields.get("relationships"), fandoms),
        characters=split_list(parsed.fields.get("characters")),
        warnings=split_list(parsed.fields.get("warnings")),
        categories=split_list(parsed.fields.get("categories")),
        tags=split_list(parsed.fields.get("tags")),
        summary=_clean(f("summary")),
        notes=_clean(f("notes")),
        disclaimer=_clean(f("disclaimer")),
        epigraph=parsed.epigraph,
        series=_series(parsed),
        language=one_line(f("language")),
        status=_status(f("status")),
        published=_iso_date(f("published")),
        updated=_iso_date(f("updated")),
        chapters=chapters,
        quality_flags=_dedupe(flags),
        raw_headers=dict(parsed.raw_headers),
    )


def _dedupe(flags: list[QualityFlag]) -> list[QualityFlag]:
    return list(dict.fromkeys(flags))
