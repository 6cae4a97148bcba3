"""Cross-source identity: one story with several sources; near-duplicates linked, not merged."""

from __future__ import annotations

import random

from sqlalchemy import select

from fanarchive.store.identity_models import StoryAlias, StoryLink
from fanarchive.store.models import StoryRow
from fanarchive.store.store import NEW, UNCHANGED, UPDATED, Sighting, Store
from fanarchive.story import Author, Chapter, Rating, Story

WORDS = ("river lamp letter winter window silence morning harbour promise shadow garden "
         "station answer door night corridor candle").split()


def _text(seed: int, n: int = 400) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def _story(text: str, title: str = "Harbour", rating: str | None = None) -> Story:
    return Story(title=title, authors=[Author("Quill")],
                 rating=Rating(rating, "Not Rated"),
                 chapters=[Chapter(1, text, word_count=len(text.split()))])


def _sighting(store: Store, source: str, locator: str) -> Sighting:
    src = store.ensure_source(source, "/" + source)
    return Sighting(src.id, locator, url=locator, parser="test", sha256="c" * 64)


def test_same_story_from_three_sources_is_stored_once(any_db_url: str) -> None:
    store = Store.open(any_db_url)
    try:
        text = _text(1)
        dump = store.save_story(_story(text, rating="PG"), "efiction:site:7",
                                _sighting(store, "dump", "efiction.sql#sid=7"))
        # The mirror re-wrapped the lines and changed the case of nothing but spacing.
        mirror = store.save_story(_story(text.replace(" ", "\n", 40)), "efiction:mirror:7",
                                  _sighting(store, "mirror", "mirror/viewstory.php?sid=7"))
        crawl = store.save_story(_story(text, title="Harbour (reposted)"), "crawl:x:7",
                                 _sighting(store, "crawl", "http://x/viewstory.php?sid=7"))
        store.commit()
        assert dump.outcome == NEW
        assert (mirror.outcome, crawl.outcome) == (UNCHANGED, UNCHANGED)
        assert dump.story_id == mirror.story_id == crawl.story_id
        assert store.count(StoryRow) == 1
        assert len(store.sightings(dump.story_id)) == 3
        aliases = store.session.scalars(select(StoryAlias.identity)).all()
        assert sorted(aliases) == ["crawl:x:7", "efiction:mirror:7"]
        # Re-syncing any of them changes nothing; the first source's metadata stands.
        again = store.save_story(_story(text, title="Harbour (reposted)"), "crawl:x:7",
                                 _sighting(store, "crawl", "http://x/viewstory.php?sid=7"))
        assert again.outcome == UNCHANGED
        row = store.find_story("crawl:x:7")
        assert row is not None and store.load_story(row).rating.raw == "PG"
        # A real edit of the text through an alias is a new revision of the one story.
        edited = store.save_story(_story(text + " An epilogue was added."), "crawl:x:7",
                                  _sighting(store, "crawl", "http://x/viewstory.php?sid=7"))
        assert (edited.outcome, edited.story_id) == (UPDATED, dump.story_id)
    finally:
        store.close()


def test_near_duplicate_is_linked_for_review_not_merged(store: Store) -> None:
    text = _text(2)
    words = text.split()
    for i in range(0, len(words), 40):  # a light edit: one word in forty changed
        words[i] = "EDITED"
    first = store.save_story(_story(text), "a:1", _sighting(store, "a", "a/1"))
    second = store.save_story(_story(" ".join(words)), "b:1", _sighting(store, "b", "b/1"))
    unrelated = store.save_story(_story(_text(3)), "c:1", _sighting(store, "c", "c/1"))
    store.commit()
    assert len({first.story_id, second.story_id, unrelated.story_id}) == 3
    [link] = store.session.scalars(select(StoryLink)).all()
    assert {link.story_id, link.other_id} == {first.story_id, second.story_id}
    assert link.kind == "near-duplicate" and link.status == "open"
    assert 0.7 <= link.score < 1.0


def test_short_texts_are_not_merged_by_text(store: Store) -> None:
    a = store.save_story(_story("See the link.", title="A"), "a:2", _sighting(store, "a", "x"))
    b = store.save_story(_story("See the link.", title="B"), "b:2", _sighting(store, "b", "y"))
    assert a.story_id != b.story_id
