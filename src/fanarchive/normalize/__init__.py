"""The normalize stage: a parser's raw story in, a canonical :class:`Story` out.

Parsers report what they found; everything that needs site-independent knowledge (rating
scales, fandom and pairing maps, author forms, damage detection) happens here, driven by config.
Chapter text is kept exactly as the parser gave it: decoding repairs happened earlier, in
:func:`fanarchive.normalize.encoding.decode_bytes`, and damage is only flagged, never fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from fanarchive.config import Config
from fanarchive.normalize.authors import parse_authors
from fanarchive.normalize.fandoms import FandomMap
from fanarchive.normalize.fields import parse_date, parse_language, parse_series, parse_status
from fanarchive.normalize.ratings import map_rating
from fanarchive.normalize.scan import scan_tokens
from fanarchive.normalize.text import (
    clean_header,
    drop_nothing,
    one_line,
    split_list,
    tokens,
)
from fanarchive.parsed import ParsedStory, QualityFlag
from fanarchive.story import Chapter, Story

__all__ = ["NormalizeContext", "merge_flags", "normalize_story", "split_volatile"]

# Used when the configuration has no [normalize] volatile_headers (a stripped-down config).
DEFAULT_VOLATILE_HEADERS = ("read", "reads", "read count", "hits", "views", "reviews",
                            "review count", "kudos", "bookmarks", "favorites", "favourites",
                            "favs", "follows", "score", "votes")


@dataclass
class NormalizeContext:
    config: Config
    default_fandom: str | None = None
    settings: dict[str, object] = field(default_factory=dict)

    @cached_property
    def fandom_map(self) -> FandomMap:
        return FandomMap(self.config.section("fandoms"))

    @cached_property
    def damage_settings(self) -> tuple[float, int]:
        """(joined-word Zipf threshold, examples per flag) from ``[fanarchive.damage]``."""
        damage: dict[str, Any] = self.config.section("fanarchive").get("damage", {})
        return (float(damage.get("joined_word_min_zipf", 5.0)),
                int(damage.get("max_examples", 8)))

    @cached_property
    def volatile_headers(self) -> frozenset[str]:
        """Counter labels (``[fanarchive.normalize] volatile_headers``), as compared."""
        section: dict[str, Any] = self.config.section("fanarchive").get("normalize", {})
        labels = section.get("volatile_headers", DEFAULT_VOLATILE_HEADERS)
        return frozenset(_label_key(str(label)) for label in labels)


def _label_key(label: str) -> str:
    return " ".join(label.strip().rstrip(":").split()).casefold()


def split_volatile(raw_headers: dict[str, str], volatile: frozenset[str]
                   ) -> tuple[dict[str, str], dict[str, str]]:
    """(raw headers that describe the story, page counters), labels kept as written."""
    kept: dict[str, str] = {}
    counters: dict[str, str] = {}
    for label, value in raw_headers.items():
        (counters if _label_key(label) in volatile else kept)[label] = value
    return kept, counters


def normalize_story(parsed: ParsedStory, ctx: NormalizeContext) -> Story:
    f = parsed.field_text
    fm = ctx.fandom_map
    raw_fandoms: str | list[str] | None = parsed.fields.get("fandoms")
    fandoms = fm.fandoms(raw_fandoms)
    if not fandoms:
        # Multi-fandom archives (eFiction) file stories under categories named for fandoms.
        known = [c for c in split_list(parsed.fields.get("categories")) if fm.known_fandom(c)]
        if known:
            raw_fandoms = known
            fandoms = fm.fandoms(known)
    if not fandoms and ctx.default_fandom:
        raw_fandoms = ctx.default_fandom
        fandoms = fm.fandoms(raw_fandoms)
    relationships = fm.relationship_pairs(parsed.fields.get("relationships"), fandoms)
    characters = fm.character_pairs(parsed.fields.get("characters"), fandoms)
    plain = {kind: [(v, v) for v in drop_nothing(split_list(parsed.fields.get(name)))]
             for kind, name in (("warning", "warnings"), ("category", "categories"),
                                ("freeform", "tags"))}
    tag_map = (
        [("fandom", item, canon) for item in split_list(raw_fandoms) for canon in
         (fm.fandoms(item) or [])]
        + [("relationship", raw, canon) for raw, canon in relationships]
        + [("character", raw, canon) for raw, canon in characters]
        + [(kind, raw, canon) for kind, pairs in plain.items() for raw, canon in pairs]
    )
    chapters, damage = _chapters(parsed, ctx)
    raw_headers, counters = split_volatile(parsed.raw_headers, ctx.volatile_headers)
    flags = list(parsed.flags)
    if damage:
        flags.append(damage)
    return Story(
        title=clean_header(f("title")),
        authors=parse_authors(parsed.fields.get("authors"), f("email")),
        rating=map_rating(one_line(f("rating")), ctx.config.section("ratings")),
        fandoms=fandoms,
        relationships=list(dict.fromkeys(canon for _, canon in relationships)),
        characters=list(dict.fromkeys(canon for _, canon in characters)),
        warnings=[v for v, _ in plain["warning"]],
        categories=[v for v, _ in plain["category"]],
        tags=[v for v, _ in plain["freeform"]],
        summary=clean_header(f("summary")),
        notes=clean_header(f("notes")),
        disclaimer=clean_header(f("disclaimer")),
        epigraph=parsed.epigraph,
        series=parse_series(f("series"), parsed.part, parsed.part_of),
        language=parse_language(f("language")),
        status=parse_status(f("status")),
        published=parse_date(f("published")),
        updated=parse_date(f("updated")),
        chapters=chapters,
        quality_flags=merge_flags(flags),
        raw_headers=raw_headers,
        # (type, as written, canonical): what tag wrangling shows and remaps.
        tag_map=list(dict.fromkeys(tag_map)),
        counters=counters,
    )


def _chapters(
    parsed: ParsedStory, ctx: NormalizeContext
) -> tuple[list[Chapter], QualityFlag | None]:
    """Chapters in order with word counts, and a punctuation-lost flag if words ran together."""
    min_zipf, limit = ctx.damage_settings
    chapters: list[Chapter] = []
    joined: list[str] = []
    for i, ch in enumerate(parsed.chapters, start=1):
        words, found = scan_tokens(tokens(ch.text), min_zipf, limit, len(joined) < limit)
        for word in found:
            if word not in joined:
                joined.append(word)
        chapters.append(
            Chapter(
                position=ch.position or i,
                title=clean_header(ch.title),
                text=ch.text,
                html=ch.html,
                notes=ch.notes,
                end_notes=ch.end_notes,
                word_count=words,
            )
        )
    chapters.sort(key=lambda c: c.position)
    flag = None
    if joined:
        flag = QualityFlag("punctuation-lost",
                           "words run together where punctuation was lost: "
                           + ", ".join(joined[:limit]))
    return chapters, flag


def merge_flags(flags: list[QualityFlag]) -> list[QualityFlag]:
    """One flag per code, in first-seen order; distinct details are joined with "; "."""
    details: dict[str, list[str]] = {}
    for flag in flags:
        seen = details.setdefault(flag.code, [])
        if flag.detail and flag.detail not in seen:
            seen.append(flag.detail)
    out = []
    for code, texts in details.items():
        detail = "; ".join(texts)
        if len(detail) > 500:
            detail = detail[:499] + "…"
        out.append(QualityFlag(code, detail))
    return out
