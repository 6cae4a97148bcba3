"""Stories for the richer formats (Open Doors, AO3, EPUB, site), with the same filters as JSONL.

These formats need more than the JSONL record carries (raw tag spellings, the store id for
duplicate links), so they read :class:`~fanarchive.story.Story` objects directly; the filters
of :class:`~fanarchive.export.ExportOptions` go to the same ``Store.iter_stories`` call that
:func:`~fanarchive.export.iter_records` uses, so every format selects the same stories.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fanarchive.store.models import StorySource
from fanarchive.store.store import Store
from fanarchive.story import Story

if TYPE_CHECKING:
    from fanarchive.export import ExportOptions


@dataclass(frozen=True)
class RevisionInfo:
    number: int
    created_at: datetime
    reason: str | None
    summary: str


@dataclass
class ExportItem:
    uid: str
    story_id: int
    story: Story
    sightings: Sequence[StorySource]
    revisions: list[RevisionInfo] = field(default_factory=list)

    @property
    def url(self) -> str | None:
        """Where the story was first found on the web, if it was."""
        return next((s.url for s in self.sightings if s.url), None)


def iter_items(store: Store, options: ExportOptions) -> Iterator[ExportItem]:
    """The stories ``options`` selects, one at a time, in the store's stable order."""
    for row in store.iter_stories(source=options.source, fandom=options.fandom,
                                  rating=options.rating, since=options.since):
        item = ExportItem(uid=row.uid, story_id=row.id, story=store.load_story(row),
                          sightings=store.sightings(row.id))
        if options.revisions:
            item.revisions = [
                RevisionInfo(rev.number, rev.created_at, rev.reason, diff_summary(rev.diff))
                for rev in store.revisions(row)
            ]
        yield item


def diff_summary(diff: dict[str, Any] | None) -> str:
    """One line a reader understands for a stored revision diff."""
    if not diff:
        return ""
    if diff.get("created"):
        return "first version"
    parts = []
    for key in ("fields_changed", "chapters_added", "chapters_edited", "chapters_removed"):
        value = diff.get(key)
        if value:
            parts.append(f"{key.replace('_', ' ')}: {', '.join(map(str, value))}")
    return "; ".join(parts) or "no visible change"
