"""Revision metadata <-> Story, and the summary of what changed between two revisions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fanarchive.parsed import QualityFlag
from fanarchive.story import Author, Chapter, Rating, Series, Story

# "counters" (volatile page counters, when a revision keeps them) never make a change.
_NOT_FIELDS = {"chapters", "word_count", "counters"}


def story_from_meta(meta: dict[str, Any], texts: dict[str, str]) -> Story:
    chapters = [
        Chapter(
            position=c["position"],
            text=texts.get(c.get("text_sha256") or "", ""),
            title=c.get("title"),
            html=texts.get(c["html_sha256"]) if c.get("html_sha256") else None,
            notes=c.get("notes"),
            end_notes=c.get("end_notes"),
            word_count=c.get("word_count", 0),
        )
        for c in meta.get("chapters", [])
    ]
    series = meta.get("series")
    rating = meta.get("rating") or {}
    return Story(
        title=meta.get("title"),
        authors=[Author(a["name"], a.get("email")) for a in meta.get("authors", [])],
        rating=Rating(rating.get("raw"), rating.get("canonical", "Not Rated")),
        fandoms=list(meta.get("fandoms", [])),
        relationships=list(meta.get("relationships", [])),
        characters=list(meta.get("characters", [])),
        warnings=list(meta.get("warnings", [])),
        categories=list(meta.get("categories", [])),
        tags=list(meta.get("tags", [])),
        summary=meta.get("summary"),
        notes=meta.get("notes"),
        disclaimer=meta.get("disclaimer"),
        epigraph=meta.get("epigraph"),
        series=Series(series["title"], series.get("part"), series.get("of")) if series else None,
        language=meta.get("language"),
        status=meta.get("status"),
        published=meta.get("published"),
        updated=meta.get("updated"),
        chapters=chapters,
        quality_flags=[QualityFlag(f["code"], f.get("detail", ""))
                       for f in meta.get("quality_flags", [])],
        raw_headers=dict(meta.get("raw_headers", {})),
        tag_map=[(t[0], t[1], t[2]) for t in meta.get("tag_map", [])],
        counters=dict(meta.get("counters") or {}),
    )


def without_counters(meta: dict[str, Any], labels: Iterable[str]) -> dict[str, Any]:
    """A stored revision's metadata as it would be hashed today: without a ``counters`` entry
    and without the counter ``labels`` in its raw headers.

    Revisions stored before counters were split off keep them in ``raw_headers``; comparing
    ``sha256_text(canonical_json(without_counters(previous.meta, story.counters)))`` with the
    new content hash spares each such story one revision that would change only counters.
    """
    drop = set(labels)
    cleaned = {k: v for k, v in meta.items() if k != "counters"}
    raw = meta.get("raw_headers")
    if drop and isinstance(raw, dict):
        cleaned["raw_headers"] = {k: v for k, v in raw.items() if k not in drop}
    return cleaned


def diff_meta(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Which metadata fields changed and which chapters were added, edited or removed."""
    if old is None:
        return {"created": True, "chapters_added": [c["position"] for c in new["chapters"]]}
    fields = sorted(
        key for key in set(old) | set(new)
        if key not in _NOT_FIELDS and old.get(key) != new.get(key)
    )
    old_ch = {c["position"]: c for c in old.get("chapters", [])}
    new_ch = {c["position"]: c for c in new.get("chapters", [])}
    edited = [
        p for p in sorted(set(old_ch) & set(new_ch))
        if (old_ch[p].get("text_sha256"), old_ch[p].get("title"))
        != (new_ch[p].get("text_sha256"), new_ch[p].get("title"))
    ]
    return {
        "fields_changed": fields,
        "chapters_added": sorted(set(new_ch) - set(old_ch)),
        "chapters_removed": sorted(set(old_ch) - set(new_ch)),
        "chapters_edited": edited,
    }
