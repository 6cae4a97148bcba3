"""What a parser returns: stories as found, with raw headers, before normalization."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QualityFlag:
    """Something a stage noticed about an item: a repair it made or damage it cannot fix."""

    code: str
    detail: str = ""


@dataclass
class ParsedChapter:
    text: str
    title: str | None = None
    html: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    position: int | None = None


@dataclass
class ParsedStory:
    """One story as a parser found it.

    ``raw_headers`` keeps every label exactly as written, mapped or not. ``fields`` holds the
    same values under canonical field names (title, authors, rating, relationships, ...), as a
    string when the source gave text or a list when the source gave a list. Normalization turns
    ``fields`` into a :class:`fanarchive.story.Story`; parsers never canonicalize.
    """

    raw_headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str | list[str]] = field(default_factory=dict)
    chapters: list[ParsedChapter] = field(default_factory=list)
    epigraph: str | None = None
    identity: str | None = None
    part: int | None = None
    part_of: int | None = None
    flags: list[QualityFlag] = field(default_factory=list)

    def field_text(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None:
            return None
        if isinstance(value, list):
            return ", ".join(value) if value else None
        return value


@dataclass
class ParseResult:
    """Everything a parser got out of one document.

    ``page_kind`` says what the document is ("story", "index", "gate", "login", "error", ...), so
    that access pages are recorded rather than parsed as empty stories. ``links`` are URLs the
    parser wants fetched (crawl discovery); sources decide whether they are in scope.
    """

    stories: list[ParsedStory] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    page_kind: str = "story"
    flags: list[QualityFlag] = field(default_factory=list)
    parser: str | None = None  # filled in by the pipeline: which parser said this
