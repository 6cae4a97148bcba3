"""Stories, revisions and raw documents on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from fanarchive.document import Document
from fanarchive.parsed import QualityFlag
from fanarchive.store.models import Blob, ChapterRow, Revision, StorySource, Tag, Text_
from fanarchive.store.store import NEW, UNCHANGED, UPDATED, Sighting, Store
from fanarchive.story import Author, Chapter, Rating, Series, Story

HOSTILE = "Robert'); DROP TABLE stories;-- \\ \" %s {0} 💥 ✓ Ωmega"


def _story(**overrides) -> Story:
    story = Story(
        title="Following",
        authors=[Author("Katjen", "kat@example.org"), Author("Co Author")],
        rating=Rating("Strong PG13", "Teen And Up Audiences"),
        fandoms=["Buffy the Vampire Slayer"],
        relationships=["Buffy Summers/Spike"],
        characters=["Spike"],
        warnings=["Violence"],
        summary="A summary.",
        series=Series("Tree", 2, 7),
        status="complete",
        published="2001-11-20",
        chapters=[Chapter(1, "He has left a groove.", "One", word_count=5),
                  Chapter(2, "Ünïcödé and 日本語 text " * 5000, "Two", word_count=20000)],
        quality_flags=[QualityFlag("punctuation-lost", "thereand")],
        raw_headers={"Title": "Following", "Rating": "Strong PG13"},
    )
    return replace(story, **overrides)


def _sighting(store: Store, locator: str = "/data/following.txt") -> Sighting:
    source = store.ensure_source("test", "/data")
    return Sighting(source_id=source.id, locator=locator, path=locator, parser="plaintext",
                    sha256="a" * 64)


def test_save_load_revise_on_every_backend(any_db_url: str) -> None:
    store = Store.open(any_db_url)
    try:
        sighting = _sighting(store)
        first = store.save_story(_story(), "story:katjen|following", sighting)
        store.commit()
        assert first.outcome == NEW and first.revision == 1

        same = store.save_story(_story(), "story:katjen|following", sighting)
        store.commit()
        assert same.outcome == UNCHANGED and same.story_id == first.story_id
        assert store.count(Revision) == 1

        edited = _story()
        edited.chapters[0] = Chapter(1, "He has left a deeper groove.", "One", word_count=6)
        edited.chapters.append(Chapter(3, "A third part.", "Three", word_count=3))
        second = store.save_story(edited, "story:katjen|following", sighting)
        store.commit()
        assert second.outcome == UPDATED and second.revision == 2

        row = store.find_story("story:katjen|following")
        assert row is not None and row.uid == first.uid
        loaded = store.load_story(row)
        assert loaded.chapters[0].text == "He has left a deeper groove."
        assert loaded.chapters[1].text == _story().chapters[1].text  # unicode intact
        assert [c.position for c in loaded.chapters] == [1, 2, 3]
        assert loaded.authors == [Author("Katjen", "kat@example.org"), Author("Co Author")]
        assert loaded.series == Series("Tree", 2, 7)
        assert loaded.rating == Rating("Strong PG13", "Teen And Up Audiences")

        old = store.load_story(row, number=1)
        assert old.chapters[0].text == "He has left a groove."
        [rev1, rev2] = store.revisions(row)
        assert rev2.diff == {"fields_changed": [], "chapters_added": [3],
                             "chapters_removed": [], "chapters_edited": [1]}
        # The unchanged 100 KB chapter is stored once, shared by both revisions.
        texts = store.session.scalars(select(Text_.sha256)).all()
        assert len(texts) == 4
        chapter_rows = store.session.scalars(select(ChapterRow)).all()
        assert len(chapter_rows) == 5
    finally:
        store.close()


def test_hostile_strings_are_stored_verbatim(any_db_url: str) -> None:
    store = Store.open(any_db_url)
    try:
        story = _story(title=HOSTILE, tags=[HOSTILE], authors=[Author(HOSTILE, None)],
                       raw_headers={HOSTILE: HOSTILE})
        result = store.save_story(story, f"id:{HOSTILE}", _sighting(store, HOSTILE))
        store.commit()
        row = store.find_story(f"id:{HOSTILE}")
        assert row is not None
        loaded = store.load_story(row)
        assert loaded.title == HOSTILE
        assert loaded.tags == [HOSTILE]
        assert loaded.raw_headers == {HOSTILE: HOSTILE}
        assert store.session.scalar(select(Tag.raw).where(Tag.type == "freeform")) == HOSTILE
        assert result.outcome == NEW
        assert store.count(StorySource) == 1
    finally:
        store.close()


def test_documents_are_content_addressed(store: Store) -> None:
    source = store.ensure_source("s", "/x")
    doc = Document(content=b"Title: A\n\nText", locator="/x/a.txt", path="/x/a.txt")
    copy = Document(content=b"Title: A\n\nText", locator="/x/b.txt", path="/x/b.txt")
    assert store.save_document(doc, source.id) is True
    assert store.save_document(doc, source.id) is False
    assert store.save_document(copy, source.id) is True
    store.commit()
    assert store.count(Blob) == 1
    assert store.blob(doc.sha256) == b"Title: A\n\nText"


def test_tombstoned_story_comes_back_as_update(store: Store) -> None:
    from fanarchive.store.store import now

    sighting = _sighting(store)
    store.save_story(_story(), "k", sighting)
    row = store.find_story("k")
    assert row is not None
    row.removed_at = now()
    store.commit()
    assert store.save_story(_story(), "k", sighting).outcome == UPDATED
    assert store.find_story("k").removed_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("n", [3])
def test_iter_stories_pages_in_id_order(store: Store, n: int) -> None:
    sighting = _sighting(store)
    for i in range(n):
        # Different words, or cross-source identity would rightly make them one story.
        text = " ".join(f"word{i}x{j}" for j in range(80))
        store.save_story(_story(title=f"T{i}", chapters=[Chapter(1, text)]), f"k{i}", sighting)
    store.commit()
    assert [r.title for r in store.iter_stories()] == [f"T{i}" for i in range(n)]
