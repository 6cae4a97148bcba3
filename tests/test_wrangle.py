"""Tag wrangling round trip: export tags, edit canonical forms, import, export again."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fanarchive.cli import main
from fanarchive.config import Config
from fanarchive.errors import UsageError
from fanarchive.export import ExportOptions, iter_records
from fanarchive.importing import Importer
from fanarchive.store.store import Store
from fanarchive.wrangle import apply_tag_file, export_tags
from tests.conftest import SAMPLE


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8", newline="")))


def _write(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_round_trip_renames_tags_and_survives_reimport(store: Store, config: Config,
                                                        tmp_path: Path) -> None:
    Importer(store, config, fandom="Buffy the Vampire Slayer").run([str(SAMPLE)])
    out = tmp_path / "tags.csv"
    assert export_tags(store, out) > 0
    rows = _rows(out)
    # What was written stays beside its canonical form, so a wrangler sees both.
    assert {"type": "relationship", "raw": "B/S", "current_canonical": "Buffy Summers/Spike",
            "canonical": "Buffy Summers/Spike", "count": "1"} in rows
    before = {r["title"]: r for r in iter_records(store, ExportOptions())}
    [due_south] = before["Cold Light"]["fandoms"]
    fandom_rows = [r for r in rows if r["type"] == "fandom"]
    assert due_south in {r["canonical"] for r in fandom_rows}
    due = next(r for r in fandom_rows if r["canonical"] == due_south)
    assert due["count"] == "1"
    due["canonical"] = "due South (TV)"
    _write(out, rows)

    report = apply_tag_file(store, out)
    assert (report.rules, report.stories_changed, report.problems) == (1, 1, [])
    records = {r["title"]: r for r in iter_records(store, ExportOptions())}
    assert records["Cold Light"]["fandoms"] == ["due South (TV)"]
    assert records["Following"]["fandoms"] == ["Buffy the Vampire Slayer"]

    # A later import of the same files keeps the archivist's decision: nothing reverts.
    again = Importer(store, config, fandom="Buffy the Vampire Slayer").run([str(SAMPLE)])
    assert (again.updated, again.unchanged) == (0, 3)
    assert export_tags(store, out) > 0
    assert any(r["canonical"] == "due South (TV)" for r in _rows(out))


def test_unknown_columns_and_stale_rows_are_reported(store: Store, config: Config,
                                                     tmp_path: Path) -> None:
    Importer(store, config).run([str(SAMPLE)])
    bad = tmp_path / "bad.csv"
    _write(bad, [{"type": "fandom", "raw": "x", "canonical": "y", "colour": "red"}])
    with pytest.raises(UsageError, match="unknown columns"):
        apply_tag_file(store, bad)
    stale = tmp_path / "stale.csv"
    _write(stale, [
        {"type": "fandom", "raw": "Gone", "current_canonical": "Gone", "canonical": "New",
         "count": "1"},
        {"type": "shoe", "raw": "a", "current_canonical": "a", "canonical": "b", "count": "1"},
    ])
    report = apply_tag_file(store, stale)
    assert report.rules == 0
    assert any("no longer matches" in p for p in report.problems)
    assert any("unknown tag type" in p for p in report.problems)


def test_tags_cli(sqlite_url: str, tmp_path: Path, capsys) -> None:
    assert main(["--db", sqlite_url, "import", "-q", str(SAMPLE)]) == 0
    out = tmp_path / "t.csv"
    assert main(["--db", sqlite_url, "tags", "export", "-o", str(out)]) == 0
    assert main(["--db", sqlite_url, "tags", "import", str(out)]) == 0
    assert "0 tag change(s) applied" in capsys.readouterr().out
