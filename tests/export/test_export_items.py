"""The batched story loader behind every format: same stories, same order, bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from export_stories import empty_story, fill, full_story, hostile_story, link_story

from fanarchive.export import ExportOptions, iter_records
from fanarchive.export import items as items_module
from fanarchive.export.items import iter_items
from fanarchive.store.store import Store
from fanarchive.story import Chapter, Story


def test_batched_loading_equals_loading_one_by_one(store: Store) -> None:
    fill(store, [full_story(i) for i in range(7)] + [hostile_story(), link_story(),
                                                    empty_story()])
    expected = [(row.uid, store.load_story(row), [s.id for s in store.sightings(row.id)])
                for row in store.iter_stories()]
    for batch_size in (1, 3, 500):
        got = [(i.uid, i.story, [s.id for s in i.sightings])
               for i in iter_items(store, ExportOptions(), batch_size=batch_size)]
        assert got == expected


def test_every_filter_selects_the_same_stories_as_jsonl(store: Store) -> None:
    fill(store, [full_story(), hostile_story(), link_story(), empty_story()])
    for options in (ExportOptions(), ExportOptions(fandom="Due South"),
                    ExportOptions(rating="Explicit"), ExportOptions(source="test"),
                    ExportOptions(source="nope"),
                    ExportOptions(since=datetime.now(UTC) + timedelta(days=1)),
                    ExportOptions(since=datetime.now(UTC) - timedelta(days=1))):
        assert [i.uid for i in iter_items(store, options)] == \
            [r["id"] for r in iter_records(store, options)]


def test_text_budget_splits_a_batch_of_long_stories(store: Store, monkeypatch) -> None:
    fill(store, [Story(title=f"Long {i}", chapters=[Chapter(1, "word " * 10, word_count=3000)])
                 for i in range(10)])
    fetches: list[int] = []
    real = items_module._texts

    def counting(store_: Store, metas: list) -> dict[str, str]:
        fetches.append(len(metas))
        return real(store_, metas)

    monkeypatch.setattr(items_module, "_TEXT_BUDGET_WORDS", 7000)
    monkeypatch.setattr(items_module, "_texts", counting)
    monkeypatch.setattr(items_module._by_text_size, "__defaults__", (7000,))
    titles = [i.story.title for i in iter_items(store, ExportOptions())]
    assert titles == [f"Long {i}" for i in range(10)]
    assert fetches == [2, 2, 2, 2, 2]  # never more than the budget's worth of text at once


def test_revisions_are_listed_when_asked(store: Store, tmp_path: Path) -> None:
    story = full_story()
    fill(store, [story])
    assert [i.revisions for i in iter_items(store, ExportOptions())] == [[]]
    [item] = iter_items(store, ExportOptions(revisions=True))
    assert [(r.number, r.summary) for r in item.revisions] == [(1, "first version")]
