"""Page counters ("Read: 10", "Hits", "Reviews") never make a new revision on their own."""

from __future__ import annotations

from pathlib import Path

from fanarchive.config import Config, load_config
from fanarchive.normalize import NormalizeContext, normalize_story, split_volatile
from fanarchive.parsed import ParsedChapter, ParsedStory
from fanarchive.store.models import Revision
from fanarchive.store.store import NEW, UNCHANGED, UPDATED, Sighting, Store

IDENTITY = "efiction:archive.example.org:42"


def _parsed(read: str = "10", reviews: str = "3", summary: str = "Spike thinks.") -> ParsedStory:
    return ParsedStory(
        raw_headers={"Title": "Following", "Author": "Katjen", "Summary": summary,
                     "Rated": "PG-13", "Read:": read, "Reviews": reviews, "HITS ": "7",
                     "Chapters": "1", "Word count": "5"},
        fields={"title": "Following", "authors": "Katjen", "rating": "PG-13",
                "summary": summary},
        chapters=[ParsedChapter(text="He has left a groove in the tree.")],
        identity=IDENTITY,
    )


def test_counters_are_split_off_raw_headers() -> None:
    story = normalize_story(_parsed(), NormalizeContext(load_config()))

    assert story.counters == {"Read:": "10", "Reviews": "3", "HITS ": "7"}
    assert set(story.raw_headers) == {"Title", "Author", "Summary", "Rated", "Chapters",
                                      "Word count"}
    assert "counters" not in story.metadata()


def test_volatile_labels_come_from_config() -> None:
    config = load_config()
    config.data["fanarchive"]["normalize"] = {"volatile_headers": ["Word Count"]}
    story = normalize_story(_parsed(), NormalizeContext(config))

    assert story.counters == {"Word count": "5"}
    assert "Read:" in story.raw_headers
    assert split_volatile({"Read": "1"}, frozenset()) == ({"Read": "1"}, {})
    # No [normalize] table at all: the built-in list applies.
    assert NormalizeContext(Config(data={})).volatile_headers >= {"read", "hits", "reviews"}


def test_a_moved_counter_is_no_new_revision_but_an_edit_is(tmp_path: Path) -> None:
    ctx = NormalizeContext(load_config())
    store = Store.open(f"sqlite:///{tmp_path / 'fa.sqlite3'}")
    try:
        source = store.ensure_source("archive", "https://archive.example.org/")
        sighting = Sighting(source_id=source.id, locator="https://archive.example.org/42",
                            url="https://archive.example.org/42")

        first = store.save_story(normalize_story(_parsed(read="10"), ctx), IDENTITY, sighting)
        store.commit()
        assert first.outcome == NEW

        recheck = store.save_story(
            normalize_story(_parsed(read="11", reviews="4"), ctx), IDENTITY, sighting)
        store.commit()
        assert recheck.outcome == UNCHANGED and recheck.revision == 1
        assert store.count(Revision) == 1

        edited = store.save_story(
            normalize_story(_parsed(read="12", summary="Spike thinks again."), ctx),
            IDENTITY, sighting)
        store.commit()
        assert edited.outcome == UPDATED and edited.revision == 2
        row = store.find_story(IDENTITY)
        assert row is not None
        [_, second] = store.revisions(row)
        assert second.diff is not None
        assert second.diff["fields_changed"] == ["raw_headers", "summary"]
        assert store.load_story(row).summary == "Spike thinks again."
    finally:
        store.close()


def test_a_revision_stored_with_counters_in_raw_headers_compares_equal() -> None:
    """Revisions from before the split: without_counters() makes them comparable (for store)."""
    from fanarchive.store.hashing import canonical_json, sha256_text
    from fanarchive.store.records import without_counters

    ctx = NormalizeContext(load_config())
    story = normalize_story(_parsed(read="11"), ctx)
    old_style = normalize_story(_parsed(read="10"), ctx)
    old_style.raw_headers = {**old_style.raw_headers, **old_style.counters}
    old_style.counters = {}
    old_meta, new_meta = old_style.metadata(), story.metadata()
    assert old_meta != new_meta

    assert without_counters(old_meta, story.counters) == new_meta
    assert sha256_text(canonical_json(without_counters(old_meta, story.counters))) \
        == sha256_text(canonical_json(new_meta))
    assert without_counters({**new_meta, "counters": {"Read:": "9"}}, ()) == new_meta
