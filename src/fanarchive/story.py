"""The canonical story: what normalization produces and the store keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fanarchive.parsed import QualityFlag

RATINGS = ("General Audiences", "Teen And Up Audiences", "Mature", "Explicit", "Not Rated")


@dataclass(frozen=True)
class Author:
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Rating:
    raw: str | None
    canonical: str = "Not Rated"


@dataclass(frozen=True)
class Series:
    title: str
    part: int | None = None
    of: int | None = None


@dataclass
class Chapter:
    position: int
    text: str
    title: str | None = None
    html: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    word_count: int = 0


@dataclass
class Story:
    title: str | None = None
    authors: list[Author] = field(default_factory=list)
    rating: Rating = field(default_factory=lambda: Rating(None))
    fandoms: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str | None = None
    notes: str | None = None
    disclaimer: str | None = None
    epigraph: str | None = None
    series: Series | None = None
    language: str | None = None
    status: str | None = None
    published: str | None = None
    updated: str | None = None
    chapters: list[Chapter] = field(default_factory=list)
    quality_flags: list[QualityFlag] = field(default_factory=list)
    raw_headers: dict[str, str] = field(default_factory=dict)
    # (type, raw, canonical) for each tag, so tag wrangling can remap what was written.
    tag_map: list[tuple[str, str, str]] = field(default_factory=list)
    # Volatile page counters ("Read: 288663", "Hits", "Reviews"), split off raw_headers by
    # normalize ([normalize] volatile_headers). Not part of metadata(): a counter that moved
    # is not a new revision of the story.
    counters: dict[str, str] = field(default_factory=dict)

    @property
    def word_count(self) -> int:
        return sum(c.word_count for c in self.chapters)

    def metadata(self) -> dict[str, Any]:
        """Every field but chapter text and the volatile counters, as plain JSON-ready data.

        This is what a revision's content hash covers, so nothing that changes without the
        story changing may be in it.
        """
        # Built by hand rather than with dataclasses.asdict, whose generic deep copy was a
        # measurable share of an import's time; the result is the same plain data.
        data: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS}
        for name in _LISTS:
            data[name] = list(getattr(self, name))
        data["authors"] = [{"name": a.name, "email": a.email} for a in self.authors]
        data["rating"] = {"raw": self.rating.raw, "canonical": self.rating.canonical}
        series = self.series
        data["series"] = (None if series is None else
                          {"title": series.title, "part": series.part, "of": series.of})
        data["chapters"] = [
            {"position": c.position, "title": c.title, "notes": c.notes,
             "end_notes": c.end_notes, "word_count": c.word_count} for c in self.chapters]
        data["quality_flags"] = [{"code": f.code, "detail": f.detail}
                                 for f in self.quality_flags]
        data["raw_headers"] = dict(self.raw_headers)
        data["tag_map"] = [tuple(t) for t in self.tag_map]
        data["word_count"] = self.word_count
        return data


_SCALARS = ("title", "summary", "notes", "disclaimer", "epigraph", "language", "status",
            "published", "updated")
_LISTS = ("fandoms", "relationships", "characters", "warnings", "categories", "tags")
