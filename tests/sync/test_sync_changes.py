"""Change detection pieces: deep re-check rotation, index fingerprints, listing shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from fanarchive.config import Config
from fanarchive.store.store import Store
from fanarchive.sync.changes import (
    DeepCheck,
    fingerprint_changes,
    index_fingerprint,
    listing_shape,
    stored_fingerprint,
)
from fanarchive.sync.registry import add_source
from fanarchive.sync.runner import sync_source
from tests.sites.server import ArchiveServer

DAY = date(2026, 11, 25)
IDENTITIES = [f"efiction:archive.example:{sid}" for sid in range(1, 401)]


def test_deep_recheck_covers_every_story_once_per_period() -> None:
    check = DeepCheck(share=1 / 7, today=DAY)
    seen: dict[str, int] = {}
    for offset in range(7):
        for identity in IDENTITIES:
            if check.covers(identity, DAY + timedelta(days=offset)):
                seen[identity] = seen.get(identity, 0) + 1
    assert seen == dict.fromkeys(IDENTITIES, 1)
    nightly = [sum(check.covers(i, DAY + timedelta(days=d)) for i in IDENTITIES)
               for d in range(7)]
    assert all(30 < n < 90 for n in nightly), nightly  # about 400 / 7 each night


def test_deep_recheck_settings(config: Config) -> None:
    assert DeepCheck.from_settings(config, {}, today=DAY).share == pytest.approx(1 / 30)
    assert DeepCheck.from_settings(config, {"deep_recheck_days": 10}, today=DAY).share == 0.1
    assert DeepCheck.from_settings(config, {"deep_recheck_share": 0.25}, today=DAY).share == 0.25
    off = DeepCheck.from_settings(config, {"deep_recheck_days": 0}, today=DAY)
    assert off.share == 0 and not any(off.covers(i) for i in IDENTITIES)
    assert all(DeepCheck(0, DAY, force=True).covers(i) for i in IDENTITIES)
    config.data["fanarchive"].setdefault("sync", {})["deep_recheck_days"] = 5
    assert DeepCheck.from_settings(config, {}, today=DAY).share == 0.2
    week = DeepCheck(1 / 7, DAY)
    assert week.overdue(datetime(2026, 11, 10, tzinfo=UTC))
    assert not week.overdue(datetime(2026, 11, 20, tzinfo=UTC))
    assert not off.overdue(datetime(2000, 1, 1, tzinfo=UTC))


def test_index_fingerprint_compares_listing_and_stored_story() -> None:
    listed = index_fingerprint({"Updated": "March 05 2011", "Chapters": "3",
                                "Word count": "1,204", "Completed": "No", "Read": "9999"})
    assert listed == {"updated": "2011-03-05", "chapters": "3", "words": "1204",
                      "completed": "in-progress"}
    meta = {"updated": "2011-03-05", "status": "in-progress", "chapters": [{}, {}, {}],
            "raw_headers": {"Word count": "1204", "Updated": "March 05 2011"}}
    assert fingerprint_changes(listed, stored_fingerprint(meta)) == []
    meta["chapters"] = [{}, {}]
    assert fingerprint_changes(listed, stored_fingerprint(meta)) == ["chapters"]
    assert fingerprint_changes({"words": "5"}, {"updated": "2011-03-05"}) is None
    assert index_fingerprint({"Title": "No dates here"}) == {}


def test_listing_shapes_group_pages_of_one_listing() -> None:
    titles = listing_shape("http://a.example/browse.php?type=titles")
    assert listing_shape("http://a.example/browse.php?type=titles&offset=30") == titles
    category = listing_shape("http://a.example/browse.php?type=categories&catid=4")
    assert listing_shape("http://a.example/browse.php?catid=9&type=categories") == category
    assert category != titles


def test_partial_crawl_tombstones_nothing(site_factory: Callable[..., ArchiveServer],
                                          store: Store, config: Config) -> None:
    """A crawl stopped by its page budget has not seen the whole site."""
    site = site_factory("efiction", stories=3, max_chapters=1, crawl_delay=0)
    add_source(store, "budget", site.url, settings={
        "delay": 0, "adult": True, "allow_private": True, "ignore_crawl_delay": True,
        "deep_recheck_days": 0})
    assert sync_source(store, config, "budget").new >= 2
    source = store.get_source("budget")
    assert source is not None
    source.settings = {**source.settings, "max_pages": 2}
    store.commit()
    site.model.remove_story(sorted(s.sid for s in site.model.visible_stories())[0])
    report = sync_source(store, config, "budget", deep=True)  # --deep: walk every page
    assert report.crawl.stopped == "max-pages"
    assert report.removed == 0
