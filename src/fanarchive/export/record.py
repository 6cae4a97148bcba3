"""A stored story as the export record of the contract (``CONTRACT.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fanarchive.export.sanitize import clean_html
from fanarchive.store.models import StorySource
from fanarchive.story import Story


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def story_record(uid: str, story: Story, sightings: Sequence[StorySource],
                 include_html: bool = False) -> dict[str, Any]:
    chapters = []
    for c in story.chapters:
        chapter: dict[str, Any] = {
            "position": c.position, "title": c.title, "text": c.text,
            "word_count": c.word_count,
        }
        if c.notes:
            chapter["notes"] = c.notes
        if c.end_notes:
            chapter["end_notes"] = c.end_notes
        if include_html and c.html:
            # Story HTML from old sites may carry scripts and event handlers: never export it raw.
            chapter["html"] = clean_html(c.html)
        chapters.append(chapter)
    return {
        "id": uid,
        "title": story.title,
        "authors": [{"name": a.name, "email": a.email} for a in story.authors],
        "rating": {"raw": story.rating.raw, "canonical": story.rating.canonical},
        "fandoms": story.fandoms,
        "relationships": story.relationships,
        "characters": story.characters,
        "warnings": story.warnings,
        "categories": story.categories,
        "tags": story.tags,
        "summary": story.summary,
        "notes": story.notes,
        "disclaimer": story.disclaimer,
        "epigraph": story.epigraph,
        "series": (
            {"title": story.series.title, "part": story.series.part, "of": story.series.of}
            if story.series else None
        ),
        "language": story.language,
        "status": story.status,
        "published": story.published,
        "updated": story.updated,
        "word_count": story.word_count,
        "chapters": chapters,
        "sources": [
            {"url": s.url, "path": s.path, "parser": s.parser, "fetched_at": _iso(s.fetched_at),
             "sha256": s.sha256}
            for s in sightings
        ],
        "quality_flags": [{"code": f.code, "detail": f.detail} for f in story.quality_flags],
        "raw_headers": story.raw_headers,
    }
