"""Stories for the richer formats (Open Doors, AO3, EPUB, site), with the same filters as JSONL.

These formats need more than the JSONL record carries (raw tag spellings, the store id for
duplicate links), so they read :class:`~fanarchive.story.Story` objects directly; the filters
of :class:`~fanarchive.export.ExportOptions` go to the same ``Store.iter_stories`` call that
:func:`~fanarchive.export.iter_records` uses, so every format selects the same stories.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from fanarchive.store.database import redact_text
from fanarchive.store.models import Revision, StoryRow, StorySource, Text_, table_of
from fanarchive.store.records import story_from_meta
from fanarchive.store.store import Store
from fanarchive.story import Story

if TYPE_CHECKING:
    from fanarchive.export import ExportOptions


_IN_CHUNK = 500  # bound parameters per IN (…): SQLite and MySQL have limits
# Chapter text held in memory at once, in words (about 6 bytes each): some 30 MB.
_TEXT_BUDGET_WORDS = 5_000_000


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
    sightings: Sequence[Any]  # story_sources rows (url, path, parser, fetched_at, …)
    row: StoryRow
    revisions: list[RevisionInfo] = field(default_factory=list)

    @property
    def url(self) -> str | None:
        """Where the story was first found on the web, if it was."""
        return next((s.url for s in self.sightings if s.url), None)


def iter_items(store: Store, options: ExportOptions,
               batch_size: int = 500) -> Iterator[ExportItem]:
    """The stories ``options`` selects, one at a time, in the store's stable order.

    Stories are loaded a batch at a time: one query each for the current revisions, their
    chapter texts and their sightings, instead of three per story, which is what makes an
    export of a large collection fast. Memory stays bounded: by the batch, and for text by
    a word budget (see ``_by_text_size``).
    """
    rows = store.iter_stories(source=options.source, fandom=options.fandom,
                              rating=options.rating, since=options.since)
    while True:
        batch = [(row.id, row.uid, row.current_revision, row)
                 for row in itertools.islice(rows, batch_size)]
        if not batch:
            return
        yield from _load_batch(store, batch, options.revisions)


def _load_batch(store: Store, batch: list[tuple[int, str, int, StoryRow]],
                with_revisions: bool) -> Iterator[ExportItem]:
    session = store.session
    ids = [story_id for story_id, _, _, _ in batch]
    metas: dict[int, dict[str, Any]] = dict(session.execute(
        select(Revision.story_id, Revision.meta)
        .join(StoryRow, (StoryRow.id == Revision.story_id)
              & (StoryRow.current_revision == Revision.number))
        .where(StoryRow.id.in_(ids))).all())
    # Plain rows, not ORM objects: same attribute names, a fraction of the cost per story.
    sightings: dict[int, list[Any]] = {story_id: [] for story_id in ids}
    for sighting in session.execute(select(*table_of(StorySource).columns)
                                    .where(StorySource.story_id.in_(ids))
                                    .order_by(StorySource.story_id, StorySource.id)):
        # Exports leave the archive: a source URL's password never goes with them.
        values = sighting._asdict()
        for key in ("url", "locator", "path"):
            if values.get(key):
                values[key] = redact_text(values[key])
        sightings[sighting.story_id].append(SimpleNamespace(**values))
    for part in _by_text_size(batch, metas):
        texts = _texts(store, [metas[story_id] for story_id, _, _, _ in part
                               if story_id in metas])
        for story_id, uid, number, row in part:
            meta = metas.get(story_id)
            if meta is None:
                raise LookupError(f"story {uid} has no revision {number}")
            item = ExportItem(uid=uid, story_id=story_id, story=story_from_meta(meta, texts),
                              sightings=sightings[story_id], row=row)
            if with_revisions:
                item.revisions = [
                    RevisionInfo(rev.number, rev.created_at, rev.reason, diff_summary(rev.diff))
                    for rev in store.revisions(row)
                ]
            yield item


def _by_text_size(batch: list[tuple[int, str, int, StoryRow]], metas: dict[int, dict[str, Any]],
                  budget_words: int = _TEXT_BUDGET_WORDS
                  ) -> Iterator[list[tuple[int, str, int, StoryRow]]]:
    """The batch cut where its chapter text would pass the budget: a run of novel-length
    stories is then loaded a few at a time, not 500 at once."""
    part: list[tuple[int, str, int, StoryRow]] = []
    words = 0
    for entry in batch:
        chapters = metas.get(entry[0], {}).get("chapters", [])
        # Chapters with markup are stored twice (text and HTML); a floor per chapter covers
        # text with few spaces (CJK) whose word count says little about its size.
        size = sum(max(c.get("word_count") or 0, 2_000) * (2 if c.get("html_sha256") else 1)
                   for c in chapters)
        if part and words + size > budget_words:
            yield part
            part, words = [], 0
        part.append(entry)
        words += size
    if part:
        yield part


def _texts(store: Store, metas: list[dict[str, Any]]) -> dict[str, str]:
    hashes = sorted({h for meta in metas for c in meta.get("chapters", [])
                     for h in (c.get("text_sha256"), c.get("html_sha256")) if h})
    texts: dict[str, str] = {}
    for start in range(0, len(hashes), _IN_CHUNK):
        texts.update(store.session.execute(select(Text_.sha256, Text_.text).where(
            Text_.sha256.in_(hashes[start:start + _IN_CHUNK]))).all())
    return texts


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
