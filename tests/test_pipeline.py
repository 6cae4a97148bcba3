"""The import pipeline end to end: folders, multi-part postings, bad items, every backend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import select

from fanarchive.config import Config
from fanarchive.export import ExportOptions, iter_records
from fanarchive.export.schema import validate_record
from fanarchive.importing import Importer
from fanarchive.store.models import RunError
from fanarchive.store.store import Store
from tests.conftest import SAMPLE

PART = """Title: Snowblind, Part {n}/3
Author: Maple Leaf <mapleleaf@example.org>
Fandom: Due South
Rating: PG

----

This is part {n}. The snow kept falling on the {n} roofs of Chicago, and the wind went on.
"""


def _records(store: Store) -> list[dict]:
    return list(iter_records(store, ExportOptions()))


def _comparable(record: dict) -> dict:
    record = dict(record)
    record["sources"] = sorted((s["parser"], s["sha256"]) for s in record["sources"])
    return record


def test_sample_imports_the_same_on_every_backend(any_db_url: str, config: Config,
                                                   tmp_path: Path) -> None:
    store = Store.open(any_db_url)
    try:
        report = Importer(store, config, fandom="Buffy the Vampire Slayer").run([str(SAMPLE)])
        assert (report.new, report.failed) == (3, 0)
        records = _records(store)
    finally:
        store.close()
    for record in records:
        validate_record(record)
    by_title = {r["title"]: r for r in records}
    assert set(by_title) == {"Following", "Cold Light", "Small Hours"}
    cold = by_title["Cold Light"]
    assert [c["position"] for c in cold["chapters"]] == [1, 2]
    assert cold["chapters"][1]["text"].startswith("By four the windows")
    assert cold["fandoms"] == ["due South"]  # the show's own styling, as AO3 tags it
    assert len(cold["sources"]) == 2
    small = by_title["Small Hours"]
    assert small["authors"] == [{"name": "Trustno1", "email": "trustno1@example.net"}]
    assert "Note: the door was locked." in small["chapters"][0]["text"]
    assert "the truth is out there" not in small["chapters"][0]["text"]

    # SQLite is the reference: every backend must give the same records.
    reference = Store.open(f"sqlite:///{tmp_path / 'ref.sqlite3'}")
    try:
        Importer(reference, config, fandom="Buffy the Vampire Slayer").run([str(SAMPLE)])
        expected = _records(reference)
    finally:
        reference.close()
    assert sorted(map(json.dumps, map(_comparable, records))) == sorted(
        map(json.dumps, map(_comparable, expected)))


def test_parts_join_across_runs_and_missing_part_is_flagged(store: Store, config: Config,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "posting"
    folder.mkdir()
    for n in (1, 3):
        (folder / f"snow{n}.txt").write_text(PART.format(n=n), encoding="utf-8")
    first = Importer(store, config).run([str(folder)])
    assert (first.new, first.failed) == (1, 0)
    [record] = _records(store)
    assert record["title"] == "Snowblind"
    assert [c["position"] for c in record["chapters"]] == [1, 3]
    assert any(f["code"] == "parts-missing" and "2" in f["detail"]
               for f in record["quality_flags"])

    (folder / "snow2.txt").write_text(PART.format(n=2), encoding="utf-8")
    second = Importer(store, config).run([str(folder)])
    assert (second.new, second.updated) == (0, 1)
    [record] = _records(store)
    assert [c["position"] for c in record["chapters"]] == [1, 2, 3]
    assert not any(f["code"] == "parts-missing" for f in record["quality_flags"])

    third = Importer(store, config).run([str(folder)])
    assert (third.new, third.updated, third.unchanged) == (0, 0, 1)


def test_same_story_at_two_paths_is_one_story(store: Store, config: Config,
                                              tmp_path: Path, seed_file: Path) -> None:
    other = tmp_path / "mirror" / "following.txt"
    other.parent.mkdir()
    shutil.copy(seed_file, other)
    Importer(store, config).run([str(seed_file)])
    report = Importer(store, config).run([str(other)])
    assert report.unchanged == 1
    [record] = _records(store)
    assert {s["path"] for s in record["sources"]} == {str(seed_file), str(other)}


def test_bad_items_are_recorded_and_the_run_goes_on(store: Store, config: Config,
                                                    tmp_path: Path, seed_file: Path) -> None:
    folder = seed_file.parent
    (folder / "empty.txt").write_bytes(b"")
    (folder / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "noheaders.txt").write_text(
        "It was a dark night.\n\nNobody came, and nobody left, and the rain went on.\n",
        encoding="utf-8")
    report = Importer(store, config).run([str(folder)])
    assert report.new == 2
    assert report.failed == 2
    errors = {Path(e.locator).name: e for e in store.session.scalars(select(RunError))}
    assert errors["empty.txt"].code == "empty"
    assert errors["picture.txt"].code == "binary"
    assert "PNG" in errors["picture.txt"].message
    records = {r["title"]: r for r in _records(store)}
    assert None in records
    untitled = records[None]
    assert any(f["code"] == "no-headers" for f in untitled["quality_flags"])
    assert untitled["chapters"][0]["text"].startswith("It was a dark night.")
