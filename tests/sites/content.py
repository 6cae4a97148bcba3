"""The archive's contents: a deterministic, mutable model every served site renders from.

Tests compare what a crawler extracted with :meth:`ArchiveModel.expected`. The model is the single
source of truth; the sites only render it, so a mutation shows up on every page at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.sites.markup import esc_text, html_to_text

# eFiction's ratingwarning bitmask values.
WARN = 1
AGE_CONSENT = 2

# Every mutation moves this logical clock forward one day, so dates and Last-Modified values
# change between two mutations even when a test makes them within the same wall-clock second.
EPOCH = datetime(2013, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Author:
    uid: int
    penname: str
    email: str
    realname: str
    bio: str


@dataclass(frozen=True)
class Rating:
    rid: int
    name: str
    warning_level: int = 0
    warning_text: str = ""

    @property
    def access(self) -> str:
        if self.warning_level & AGE_CONSENT:
            return "age_consent"
        if self.warning_level & WARN:
            return "warning"
        return "open"


@dataclass(frozen=True)
class Category:
    catid: int
    name: str
    description: str


@dataclass(frozen=True)
class Character:
    charid: int
    name: str
    catid: int


@dataclass(frozen=True)
class StoryClass:
    classid: int
    type_id: int
    type_title: str  # "Genre" or "Warnings", as the eFiction classtypes table labels them
    name: str


@dataclass
class Series:
    seriesid: int
    title: str
    summary: str
    uid: int
    sids: list[int]


@dataclass
class Chapter:
    chapid: int
    number: int
    title: str
    notes: str | None  # HTML fragment
    end_notes: str | None  # HTML fragment
    paragraphs: list[str]  # HTML fragments, one per paragraph, no <p> wrapper
    reviews: int = 0

    @property
    def text(self) -> str:
        return "\n\n".join(html_to_text(p) for p in self.paragraphs)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass
class Story:
    sid: int
    title: str
    uid: int
    rid: int
    catids: list[int]
    charids: list[int]
    classids: list[int]
    pairings: list[str]
    summary: str  # HTML fragment
    notes: str | None  # HTML fragment
    completed: bool
    published: date
    updated: date
    chapters: list[Chapter]
    modified: datetime  # when the served bytes last changed (drives Last-Modified/ETag)
    reads: int = 0
    reviews: int = 0
    members_only: bool = False
    removed: bool = False
    br_paragraphs: bool = False  # chapter text stored as text<br /><br /> instead of <p>

    @property
    def word_count(self) -> int:
        return sum(c.word_count for c in self.chapters)

    @property
    def summary_text(self) -> str:
        return html_to_text(self.summary)


@dataclass
class ArchiveModel:
    """All tables of one archive plus the mutations sync tests need.

    Build one with :func:`tests.sites.generate.build_model`; sites hold a reference and read it
    under :attr:`lock`, so a mutation is never seen half-done by a request thread.
    """

    seed: int
    site_name: str
    ratings: dict[int, Rating]
    categories: dict[int, Category]
    characters: dict[int, Character]
    classes: dict[int, StoryClass]
    authors: dict[int, Author]
    series: dict[int, Series]
    stories: dict[int, Story]
    now: datetime = EPOCH
    next_chapid: int = 1
    # Bumped by every mutation; sites key their render caches on it. Mutate only through the
    # methods below, or call touch(), so cached pages never go stale.
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def generate(cls, seed: int = 0, stories: int = 40, max_chapters: int = 12,
                 min_chapters: int = 1) -> ArchiveModel:
        """A fresh model; the same arguments always give the same archive."""
        from tests.sites.generate import build_model  # generate imports this module

        return build_model(seed=seed, stories=stories, max_chapters=max_chapters,
                           min_chapters=min_chapters)

    # ---- queries -------------------------------------------------------------------------

    def story(self, sid: int) -> Story:
        return self.stories[sid]

    def visible(self, sid: int) -> bool:
        story = self.stories.get(sid)
        return story is not None and not story.removed

    def visible_stories(self) -> list[Story]:
        return [s for s in self.stories.values() if not s.removed]

    def by_title(self) -> list[Story]:
        """eFiction's browse order: title, then sid so equal titles keep a stable order."""
        return sorted(self.visible_stories(), key=lambda s: (s.title.casefold(), s.sid))

    def recent(self, limit: int = 10) -> list[Story]:
        stories = sorted(self.visible_stories(), key=lambda s: (s.updated, s.sid), reverse=True)
        return stories[:limit]

    def author_of(self, story: Story) -> Author:
        return self.authors[story.uid]

    def rating_of(self, story: Story) -> Rating:
        return self.ratings[story.rid]

    def stories_by(self, uid: int) -> list[Story]:
        return [s for s in self.visible_stories() if s.uid == uid]

    def series_of(self, sid: int) -> tuple[Series, int] | None:
        """(series, 1-based part number) counting only parts that are still visible."""
        for series in self.series.values():
            parts = [p for p in series.sids if self.visible(p)]
            if sid in parts:
                return series, parts.index(sid) + 1
        return None

    def genres_of(self, story: Story) -> list[StoryClass]:
        return [self.classes[c] for c in story.classids if self.classes[c].type_title == "Genre"]

    def warnings_of(self, story: Story) -> list[StoryClass]:
        return [self.classes[c] for c in story.classids if self.classes[c].type_title == "Warnings"]

    def access(self, story: Story) -> str:
        """How a reader reaches the text: open, warning, age_consent or members_only."""
        return "members_only" if story.members_only else self.rating_of(story).access

    def last_modified(self) -> datetime:
        """When any page listing stories last changed."""
        return self.now

    def expected(self, sid: int) -> dict[str, Any]:
        """The story's metadata and chapters, field by field, for comparing crawl results.

        Text fields come in two forms: ``summary_html`` is the stored HTML fragment and
        ``summary`` its plain text; chapters carry ``html`` and ``text`` likewise.
        """
        with self.lock:
            story = self.stories[sid]
            author = self.author_of(story)
            rating = self.rating_of(story)
            in_series = self.series_of(sid)
            return {
                "sid": story.sid,
                "title": story.title,
                "author": {"uid": author.uid, "penname": author.penname, "email": author.email},
                "rating": rating.name,
                "rating_id": rating.rid,
                "access": self.access(story),
                "categories": [self.categories[c].name for c in story.catids],
                "characters": [self.characters[c].name for c in story.charids],
                "pairings": list(story.pairings),
                "genres": [c.name for c in self.genres_of(story)],
                "warnings": [c.name for c in self.warnings_of(story)],
                "series": (
                    {"id": in_series[0].seriesid, "title": in_series[0].title,
                     "part": in_series[1]}
                    if in_series else None
                ),
                "completed": story.completed,
                "word_count": story.word_count,
                "chapter_count": len(story.chapters),
                "published": story.published,
                "updated": story.updated,
                "summary_html": story.summary,
                "summary": story.summary_text,
                "notes_html": story.notes,
                "notes": html_to_text(story.notes) if story.notes else None,
                "removed": story.removed,
                "chapters": [
                    {
                        "number": c.number,
                        "chapid": c.chapid,
                        "title": c.title,
                        "notes": html_to_text(c.notes) if c.notes else None,
                        "end_notes": html_to_text(c.end_notes) if c.end_notes else None,
                        "html": "".join(f"<p>{p}</p>" for p in c.paragraphs),
                        "text": c.text,
                        "word_count": c.word_count,
                    }
                    for c in story.chapters
                ],
            }

    # ---- mutations -----------------------------------------------------------------------

    def _tick(self, story: Story) -> None:
        self.now += timedelta(days=1)
        story.modified = self.now
        self.version += 1

    def touch(self, sid: int) -> None:
        """Record a change made by assigning to model objects directly."""
        with self.lock:
            self._tick(self.stories[sid])

    def edit_chapter(self, sid: int, number: int, new_text: str) -> Chapter:
        """Replace a chapter's text (paragraphs split on blank lines).

        Like real eFiction, editing a chapter leaves the story's Updated date alone; only the
        served bytes (and so ETag/Last-Modified, when enabled) change.
        """
        with self.lock:
            story = self.stories[sid]
            chapter = story.chapters[number - 1]
            chapter.paragraphs = text_to_paragraphs(new_text)
            self._tick(story)
            return chapter

    def add_chapter(self, sid: int, title: str | None = None, text: str | None = None,
                    notes: str | None = None, end_notes: str | None = None) -> Chapter:
        """Append a chapter; bumps Updated to the (logical) current day."""
        with self.lock:
            story = self.stories[sid]
            number = len(story.chapters) + 1
            body = text or (
                f"Chapter {number} begins where the last one ended.\n\n"
                f"Story {sid} goes on & on, “quietly”, for a while."
            )
            chapter = Chapter(
                chapid=self.next_chapid,
                number=number,
                title=title or f"Chapter {number}",
                notes=esc_text(notes) if notes else None,
                end_notes=esc_text(end_notes) if end_notes else None,
                paragraphs=text_to_paragraphs(body),
            )
            self.next_chapid += 1
            story.chapters.append(chapter)
            self._tick(story)
            story.updated = self.now.date()
            return chapter

    def remove_story(self, sid: int) -> None:
        """The story 404s and drops out of every listing until restored."""
        with self.lock:
            story = self.stories[sid]
            story.removed = True
            self._tick(story)

    def restore_story(self, sid: int) -> None:
        with self.lock:
            story = self.stories[sid]
            story.removed = False
            self._tick(story)

    def set_completed(self, sid: int, completed: bool) -> None:
        """Flip the Completed flag; eFiction's story edit form does not touch Updated."""
        with self.lock:
            story = self.stories[sid]
            story.completed = completed
            self._tick(story)

    def update_story(self, sid: int, **changes: Any) -> Story:
        """Change metadata fields (title, summary, rid, ...) without touching Updated."""
        with self.lock:
            story = self.stories[sid]
            for name, value in changes.items():
                if not hasattr(story, name) or name in ("sid", "chapters", "modified"):
                    raise AttributeError(f"cannot update story field {name!r}")
                setattr(story, name, value)
            self._tick(story)
            return story


def text_to_paragraphs(text: str) -> list[str]:
    """Plain text with blank-line separated paragraphs -> escaped HTML paragraph fragments."""
    paragraphs = [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n")]
    return [esc_text(p) for p in paragraphs if p]


def story_modified(updated: date) -> datetime:
    return datetime.combine(updated, time(12, 0), tzinfo=UTC)
