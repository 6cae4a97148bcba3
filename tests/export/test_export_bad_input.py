"""Bad input for every format: unwritable targets, empty and enormous stories, hostile HTML."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from export_stories import SCRIPT_HTML, empty_story, fill, full_story, hostile_story

from fanarchive.errors import UsageError
from fanarchive.export import ExportOptions, export
from fanarchive.export.folder import MARKER
from fanarchive.store.store import Store
from fanarchive.story import Author, Chapter, Story

FORMATS = ["jsonl", "csv", "opendoors", "epub", "html", "ao3"]
FOLDER_FORMATS = ["epub", "html", "ao3"]


def _all_bytes(path: Path) -> bytes:
    """Everything a format wrote, with EPUBs unzipped."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    out = []
    for f in files:
        if f.suffix == ".epub":
            with zipfile.ZipFile(f) as z:
                out += [z.read(n) for n in z.namelist()]
        else:
            out.append(f.read_bytes())
    return b"\n".join(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_folder_is_a_clear_error(store: Store, tmp_path: Path, fmt: str) -> None:
    fill(store, [full_story()])
    with pytest.raises(UsageError, match="does not exist"):
        export(store, fmt, tmp_path / "no" / "such" / "out", ExportOptions())


@pytest.mark.parametrize("fmt", FORMATS)
def test_parent_that_is_a_file_is_a_clear_error(store: Store, tmp_path: Path, fmt: str) -> None:
    fill(store, [full_story()])
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write"):
        export(store, fmt, blocker / "out", ExportOptions())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders anyway")
@pytest.mark.parametrize("fmt", FORMATS)
def test_read_only_folder_is_a_clear_error(store: Store, tmp_path: Path, fmt: str) -> None:
    fill(store, [full_story()])
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="cannot write"):
            export(store, fmt, locked / "out", ExportOptions())
    finally:
        locked.chmod(0o700)


def test_cli_reports_an_unwritable_target_in_one_line(store: Store, sqlite_url: str,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from fanarchive.cli import main

    fill(store, [full_story()])
    assert main(["--db", sqlite_url, "export", "--format", "epub", "-o",
                 str(tmp_path / "missing" / "books")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fanarchive: cannot write")


@pytest.mark.parametrize("fmt", FOLDER_FORMATS)
def test_folder_formats_refuse_to_replace_a_file_or_a_foreign_folder(
        store: Store, tmp_path: Path, fmt: str) -> None:
    fill(store, [full_story()])
    a_file = tmp_path / "out.txt"
    a_file.write_text("keep me")
    with pytest.raises(UsageError, match="it is a file"):
        export(store, fmt, a_file, ExportOptions())
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "thesis.odt").write_text("years of work")
    with pytest.raises(UsageError, match="not a previous fanarchive export"):
        export(store, fmt, documents, ExportOptions())
    assert (documents / "thesis.odt").read_text() == "years of work"
    assert a_file.read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export(store, fmt, empty, ExportOptions()) == 1


@pytest.mark.parametrize("fmt", FOLDER_FORMATS)
def test_folder_is_replaced_only_when_complete(store: Store, tmp_path: Path, fmt: str) -> None:
    fill(store, [full_story(), hostile_story()])
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    assert export(store, fmt, out, ExportOptions(rating="Explicit")) == 1
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert (out / MARKER).exists()
    calls = 0

    def killed() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("killed half way")

    with pytest.raises(RuntimeError):
        export(store, fmt, out, ExportOptions(), on_record=killed)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in work.iterdir()] == ["out"]  # no temporary folder left
    assert export(store, fmt, out, ExportOptions()) == 2  # a finished run replaces it
    assert [p.name for p in work.iterdir()] == ["out"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_story_without_chapters(store: Store, tmp_path: Path, fmt: str) -> None:
    fill(store, [empty_story()])
    out = tmp_path / "out"
    assert export(store, fmt, out, ExportOptions()) == 1
    assert b"Lost Words" in _all_bytes(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_enormous_chapter(store: Store, tmp_path: Path, fmt: str) -> None:
    paragraphs = [f"Paragraph {i} " + "lorem ipsum dolor " * 6 for i in range(20_000)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) > 2_000_000
    fill(store, [Story(title="Huge", authors=[Author("Big", "big@example.org")],
                       chapters=[Chapter(1, text, "All of it", word_count=400_000)])])
    out = tmp_path / "out"
    assert export(store, fmt, out, ExportOptions()) == 1
    written = _all_bytes(out)
    if fmt == "csv":  # CSV carries no chapter text by design
        assert b"Huge" in written
        return
    assert b"Paragraph 0 lorem" in written and b"Paragraph 19999 lorem" in written


@pytest.mark.parametrize("fmt", ["opendoors", "epub", "html", "ao3"])
def test_hostile_html_never_reaches_the_output(store: Store, tmp_path: Path, fmt: str) -> None:
    fill(store, [hostile_story(), Story(title="Only markup", chapters=[
        Chapter(1, "Hello reader.", html=SCRIPT_HTML, word_count=2)])])
    out = tmp_path / "out"
    export(store, fmt, out, ExportOptions())
    written = _all_bytes(out).lower()
    for bad in (b"<script", b"onerror=", b"onclick=", b"onload=", b"javascript:",
                b"evil.example", b"tracker.example", b"<iframe", b"<form"):
        assert bad not in written, bad
    assert b"reader" in written


def test_unknown_format_lists_the_known_ones(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="jsonl, csv, opendoors, ao3, epub, html"):
        export(store, "pdf", tmp_path / "x", ExportOptions())
