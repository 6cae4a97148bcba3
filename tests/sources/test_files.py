"""Single files and folders on disk."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest
from sources_helpers import collect, docs, errors, make_config, summary

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, UsageError
from fanarchive.sources import count_location, iter_location

STORY = b"Title: A Story\nAuthor: Someone\n\nOnce upon a time.\n"


def write(path: Path, content: bytes = STORY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_single_file_is_one_document_with_absolute_locator(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "story.txt")
    monkeypatch.chdir(tmp_path)

    [doc] = collect("story.txt")

    assert isinstance(doc, Document)
    assert doc.content == STORY
    assert doc.locator == str(tmp_path / "story.txt")
    assert doc.path == doc.locator
    assert doc.media_type == "text/plain"


def test_media_type_comes_from_the_extension(tmp_path: Path) -> None:
    write(tmp_path / "a.htm", b"<html><body>story</body></html>")
    write(tmp_path / "b.php", b"<html><body>story</body></html>")
    write(tmp_path / "c.unknownext", STORY)

    types = {Path(d.locator).name: d.media_type for d in docs(collect(tmp_path))}

    assert types == {"a.htm": "text/html", "b.php": "text/html", "c.unknownext": None}


def test_missing_location_is_a_usage_error_raised_at_once(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder") as info:
        iter_location(str(tmp_path / "nope"), Config())  # no next(): raised on the call

    assert "\n" not in str(info.value)


def test_folder_is_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    for rel in ["b.txt", "a/z.txt", "a/b/c.txt", "a.txt", "c/d.txt", "B.txt"]:
        write(tmp_path / rel, STORY + rel.encode())

    names = [Path(d.locator).relative_to(tmp_path).as_posix() for d in docs(collect(tmp_path))]

    # Depth first, each folder's entries sorted by name (code point order: "B" < "a").
    assert names == ["B.txt", "a/b/c.txt", "a/z.txt", "a.txt", "b.txt", "c/d.txt"]
    assert names == [
        Path(d.locator).relative_to(tmp_path).as_posix() for d in docs(collect(tmp_path))
    ]


def test_hidden_files_and_os_junk_are_skipped_silently(tmp_path: Path) -> None:
    write(tmp_path / "story.txt")
    write(tmp_path / ".git" / "config", b"[core]\n")
    write(tmp_path / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(tmp_path / "__MACOSX" / "._story.txt", b"\x00\x05\x16\x07")
    write(tmp_path / "sub" / "._story.txt", b"\x00\x05\x16\x07")
    write(tmp_path / "Thumbs.db", b"\xd0\xcf\x11\xe0")

    assert summary(collect(tmp_path)) == [("story.txt", "doc")]


def test_symlink_to_a_file_outside_the_folder_is_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "secret.txt", b"not yours")
    root = tmp_path / "root"
    write(root / "story.txt")
    (root / "leak.txt").symlink_to(outside)
    (root / "escape").symlink_to(tmp_path)

    items = collect(root)

    assert summary(items) == [("escape", "unsafe-path"), ("leak.txt", "unsafe-path"),
                              ("story.txt", "doc")]
    assert all(b"not yours" not in d.content for d in docs(items))
    assert "outside the folder" in errors(items, "unsafe-path")[1].reason


def test_symlinks_inside_the_folder(tmp_path: Path) -> None:
    write(tmp_path / "real" / "story.txt")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real" / "story.txt")
    (tmp_path / "loop").symlink_to(tmp_path)  # a folder link inside: skipped, never loops

    assert summary(collect(tmp_path)) == [("alias.txt", "doc"), ("story.txt", "doc")]


def test_broken_symlink_is_unreadable(tmp_path: Path) -> None:
    write(tmp_path / "a.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")

    items = collect(tmp_path)

    [error] = errors(items, "unreadable")
    assert error.locator == str(tmp_path / "gone.txt")
    assert "broken symbolic link" in error.reason
    assert str(tmp_path / "gone.txt") in str(error)


def test_fifo_is_unreadable_and_does_not_block(tmp_path: Path) -> None:
    write(tmp_path / "a.txt")
    os.mkfifo(tmp_path / "pipe.txt")

    started = time.monotonic()
    items = collect(tmp_path)

    assert time.monotonic() - started < 5
    assert summary(items) == [("a.txt", "doc"), ("pipe.txt", "unreadable")]
    assert "FIFO" in errors(items, "unreadable")[0].reason
    assert count_location(str(tmp_path)) == 2


def test_file_removed_between_listing_and_reading(tmp_path: Path) -> None:
    write(tmp_path / "a.txt")
    write(tmp_path / "b.txt")

    items = iter_location(str(tmp_path), Config())
    first = next(items)
    (tmp_path / "b.txt").unlink()
    rest = list(items)

    assert isinstance(first, Document)
    [error] = rest
    assert isinstance(error, ItemError)
    assert (error.code, error.locator) == ("unreadable", str(tmp_path / "b.txt"))
    assert "No such file" in error.reason


def test_file_over_the_cap_is_too_large_without_being_read(tmp_path: Path) -> None:
    write(tmp_path / "big.txt", b"x" * 2000)

    [error] = collect(tmp_path / "big.txt", make_config(max_document_bytes=1000))

    assert isinstance(error, ItemError)
    assert error.code == "too-large"
    assert "2,000 bytes" in error.reason and "1,000" in error.reason


def test_file_exactly_at_the_cap_is_read(tmp_path: Path) -> None:
    write(tmp_path / "edge.txt", b"x" * 1000)

    [doc] = collect(tmp_path / "edge.txt", make_config(max_document_bytes=1000))

    assert isinstance(doc, Document) and len(doc.content) == 1000


def test_long_line_under_the_cap_is_a_document(tmp_path: Path) -> None:
    write(tmp_path / "oneline.txt", b"word " * 400_000)  # 2 MB, no newline

    [doc] = collect(tmp_path / "oneline.txt")

    assert isinstance(doc, Document) and len(doc.content) == 2_000_000


def test_100_mb_file_is_refused_by_the_default_cap_quickly_and_in_little_memory(
    tmp_path: Path,
) -> None:
    big = tmp_path / "huge.txt"
    chunk = b"a" * (1 << 20)
    with big.open("wb") as fh:
        for _ in range(100):
            fh.write(chunk)
    del chunk

    tracemalloc.start()
    started = time.monotonic()
    try:
        items = list(iter_location(str(big), Config()))  # default 50 MB cap
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [i.code for i in items if isinstance(i, ItemError)] == ["too-large"]
    assert time.monotonic() - started < 2
    assert peak < 2 << 20


def test_count_location(tmp_path: Path) -> None:
    for rel in ["a.txt", "b/c.txt", "b/d.txt", ".hidden/e.txt"]:
        write(tmp_path / rel)

    assert count_location(str(tmp_path)) == 3
    assert count_location(str(tmp_path / "a.txt")) == 1
    assert count_location(str(tmp_path / "nope")) is None


def test_broken_symlink_given_as_the_location(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")

    [error] = collect(tmp_path / "gone.txt")

    assert (error.code, error.locator) == ("unreadable", str(tmp_path / "gone.txt"))


def test_unlistable_folder_is_reported_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a" / "x.txt")
    write(tmp_path / "b" / "y.txt")
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("/a"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    items = collect(tmp_path)

    assert summary(items) == [("a", "unreadable"), ("y.txt", "doc")]
    assert "Permission denied" in items[0].reason


def test_a_crashing_archive_library_costs_one_item_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("x.txt", STORY)
    write(tmp_path / "b.txt")

    def explode(self):  # type: ignore[no-untyped-def]
        raise IndexError("tuple index out of range")

    monkeypatch.setattr(zipfile.ZipFile, "infolist", explode)

    items = collect(tmp_path)

    assert summary(items) == [("a.zip", "corrupt-archive"), ("b.txt", "doc")]
    assert "tuple index out of range" in items[0].reason
