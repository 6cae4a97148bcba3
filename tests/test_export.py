"""JSON Lines and CSV exports: the contract's record, validated against the shipped schema."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest

from fanarchive.export import ExportOptions, export, iter_records
from fanarchive.export.schema import story_schema, validate_record
from fanarchive.store.store import Sighting, Store
from fanarchive.story import Author, Chapter, Rating, Story


def _fill(store: Store, n: int = 3) -> None:
    source = store.ensure_source("s", "/x")
    for i in range(n):
        story = Story(
            title=f"Story {i}", authors=[Author(f"A{i}", f"a{i}@example.org")],
            rating=Rating("PG-13", "Teen And Up Audiences"), fandoms=["Due South"],
            relationships=["Benton Fraser/Ray Kowalski"], tags=["hurt/comfort", "snow"],
            chapters=[Chapter(1, f"Text {i}.\n\nMore, with \"quotes\", commas.", word_count=6)],
        )
        store.save_story(story, f"k{i}", Sighting(source.id, f"/x/{i}.txt", path=f"/x/{i}.txt",
                                                  parser="plaintext", sha256="b" * 64))
    store.commit()


def test_jsonl_records_validate_and_are_ordered(store: Store, tmp_path: Path) -> None:
    _fill(store)
    out = tmp_path / "out.jsonl"
    assert export(store, "jsonl", out, ExportOptions()) == 3
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    for record in records:
        validate_record(record)
    assert [r["title"] for r in records] == ["Story 0", "Story 1", "Story 2"]
    assert records[0]["chapters"][0]["text"] == 'Text 0.\n\nMore, with "quotes", commas.'
    assert records[0]["sources"][0]["path"] == "/x/0.txt"
    assert not list(tmp_path.glob(".out.jsonl.*"))  # no temporary file left behind


def test_schema_rejects_a_broken_record(store: Store, tmp_path: Path) -> None:
    _fill(store, 1)
    out = tmp_path / "out.jsonl"
    export(store, "jsonl", out, ExportOptions())
    record = json.loads(out.read_text("utf-8"))
    record["rating"]["canonical"] = "PG-13"
    with pytest.raises(jsonschema.ValidationError):
        validate_record(record)
    assert story_schema()["properties"]["chapters"]["type"] == "array"


def test_csv_has_one_row_per_story_with_lists_joined(store: Store, tmp_path: Path) -> None:
    _fill(store)
    out = tmp_path / "out.csv"
    assert export(store, "csv", out, ExportOptions()) == 3
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 3
    assert rows[1]["title"] == "Story 1"
    assert rows[1]["tags"] == "hurt/comfort; snow"
    assert rows[1]["author_emails"] == "a1@example.org"
    assert rows[1]["rating_raw"] == "PG-13"


def test_failed_export_leaves_old_file_untouched(store: Store, tmp_path: Path) -> None:
    _fill(store)
    out = tmp_path / "out.jsonl"
    out.write_text("previous complete export\n", encoding="utf-8")

    def boom() -> None:
        raise RuntimeError("killed half way")

    with pytest.raises(RuntimeError):
        export(store, "jsonl", out, ExportOptions(), on_record=boom)
    assert out.read_text("utf-8") == "previous complete export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"] or all(
        not p.name.endswith(".part") for p in tmp_path.iterdir())


def test_export_filters_by_source(store: Store, tmp_path: Path) -> None:
    _fill(store, 2)
    out = tmp_path / "o.jsonl"
    assert export(store, "jsonl", out, ExportOptions(source="nope")) == 0
    assert export(store, "jsonl", out, ExportOptions(source="s")) == 2


def test_filters_and_revisions(store: Store, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    _fill(store, 2)
    source = store.ensure_source("s", "/x")
    other = Story(title="Other", rating=Rating("NC-17", "Explicit"), fandoms=["Angel"],
                  chapters=[Chapter(1, "Version one.", word_count=2)])
    store.save_story(other, "k-other", Sighting(source.id, "/x/o.txt"))
    other.chapters[0] = Chapter(1, "Version two, edited.", word_count=3)
    store.save_story(other, "k-other", Sighting(source.id, "/x/o.txt"))
    store.commit()

    def titles(**kw) -> list[str]:
        return [r["title"] for r in iter_records(store, ExportOptions(**kw))]

    assert titles(fandom="Angel") == ["Other"]
    assert titles(fandom="Due South") == ["Story 0", "Story 1"]
    assert titles(rating="Explicit") == ["Other"]
    assert titles(since=datetime.now(UTC) + timedelta(days=1)) == []
    assert len(titles(since=datetime.now(UTC) - timedelta(days=1))) == 3

    [record] = iter_records(store, ExportOptions(fandom="Angel", revisions=True))
    validate_record(record)
    assert [r["number"] for r in record["revisions"]] == [1, 2]
    assert record["revisions"][0]["record"]["chapters"][0]["text"] == "Version one."
    assert record["revisions"][1]["diff"]["chapters_edited"] == [1]
    assert record["chapters"][0]["text"] == "Version two, edited."


def test_show_prints_revisions(sqlite_url: str, capsys) -> None:
    from fanarchive.cli import main

    store = Store.open(sqlite_url)
    source = store.ensure_source("s", "/x")
    story = Story(title="Shown", chapters=[Chapter(1, "One.", word_count=1)])
    store.save_story(story, "k", Sighting(source.id, "/x/s.txt", path="/x/s.txt", parser="t"))
    story.chapters.append(Chapter(2, "Two.", word_count=1))
    store.save_story(story, "k", Sighting(source.id, "/x/s.txt", path="/x/s.txt", parser="t"))
    store.commit()
    store.close()
    assert main(["--db", sqlite_url, "show", "Shown", "--revisions"]) == 0
    out = capsys.readouterr().out
    assert "rev 1" in out and "created" in out
    assert "rev 2" in out and "chapters added: 2" in out
    assert main(["--db", sqlite_url, "show", "nope"]) == 1
