"""Story.metadata() is built by hand for speed; it must stay what dataclasses.asdict gives."""

from __future__ import annotations

from dataclasses import asdict, fields

from fanarchive.parsed import QualityFlag
from fanarchive.story import Author, Chapter, Rating, Series, Story


def _rich_story() -> Story:
    return Story(
        title="Following", authors=[Author("Katjen", "k@example.org"), Author("Co")],
        rating=Rating("Strong PG13", "Teen And Up Audiences"), fandoms=["BtVS"],
        relationships=["Buffy Summers/Spike"], characters=["Spike"], warnings=["none"],
        categories=["Angst"], tags=["songfic"], summary="s", notes="n", disclaimer="d",
        epigraph="lyrics", series=Series("Nights", 2, 3), language="en", status="Complete",
        published="2001-01-01", updated="2002-02-02",
        chapters=[Chapter(1, "text one", "One", "<p>x</p>", "before", "after", 2),
                  Chapter(2, "text two", None, None, None, None, 2)],
        quality_flags=[QualityFlag("punctuation-lost", "thereand")],
        raw_headers={"Title": "Following"}, tag_map=[("fandom", "BtVS", "BtVS")],
        counters={"Read": "288663"},
    )


def test_metadata_equals_the_generic_conversion_without_text_and_counters() -> None:
    story = _rich_story()
    expected = asdict(story)
    del expected["counters"]
    expected["chapters"] = [{k: v for k, v in c.items() if k not in ("text", "html")}
                            for c in expected["chapters"]]
    expected["word_count"] = 4
    assert story.metadata() == expected


def test_every_field_but_the_counters_reaches_the_metadata() -> None:
    # A field added to Story later must not silently stay out of revisions.
    names = {f.name for f in fields(Story)} - {"counters"}
    assert names <= set(_rich_story().metadata())


def test_metadata_is_a_copy() -> None:
    story = _rich_story()
    meta = story.metadata()
    story.fandoms.append("Angel")
    story.raw_headers["Rating"] = "R"
    assert meta["fandoms"] == ["BtVS"] and "Rating" not in meta["raw_headers"]
