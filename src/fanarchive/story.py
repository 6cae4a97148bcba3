"""The canonical story: what normalization produces and the store keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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

    @property
    def word_count(self) -> int:
        return sum(c.word_count for c in self.chapters)

    def metadata(self) -> dict[str, Any]:
        """Every field but chapter text, as plain JSON-ready data."""
        data = asdict(self)
        data["chapters"] = [
            {k: v for k, v in c.items() if k not in ("text", "html")} for c in data["chapters"]
        ]
        data["word_count"] = self.word_count
        return data
