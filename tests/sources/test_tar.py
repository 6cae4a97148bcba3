"""Tar archives and single compressed files."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from sources_helpers import collect, docs, make_config, summary

STORY = b"Title: Tarred\n\nA story in a tarball.\n"


def add(archive: tarfile.TarFile, name: str, content: bytes = STORY, **kw: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    for key, value in kw.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(content))


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_members_become_documents(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "stories.tar.x"  # the name does not matter, the bytes do
    with tarfile.open(path, mode) as archive:
        add(archive, "one.txt")
        add(archive, "dir/two.txt", STORY * 2)

    items = collect(path)

    assert summary(items) == [("one.txt", "doc"), ("dir/two.txt", "doc")]
    assert items[1].content == STORY * 2
    assert items[1].locator == f"{path}!dir/two.txt"


def test_links_devices_and_unsafe_names_in_tars(tmp_path: Path) -> None:
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add(archive, "link.txt", b"", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        add(archive, "hard.txt", b"", type=tarfile.LNKTYPE, linkname="../../etc/shadow")
        add(archive, "../up.txt", b"evil")
        add(archive, "/abs.txt", b"evil")
        add(archive, "fifo", b"", type=tarfile.FIFOTYPE)
        add(archive, "ok.txt")

    items = collect(path)

    assert [code for _, code in summary(items)] == ["unsafe-path"] * 5 + ["doc"]
    assert all(b"evil" not in d.content for d in docs(items))


def test_single_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "story.txt.gz"
    path.write_bytes(gzip.compress(STORY))

    [doc] = collect(path)

    assert doc.content == STORY
    assert doc.locator == f"{path}!story.txt"
    assert doc.media_type == "text/plain"


def test_single_bz2_and_xz_files(tmp_path: Path) -> None:
    (tmp_path / "a.html.bz2").write_bytes(bz2.compress(b"<html><body>A</body></html>"))
    (tmp_path / "b.txt.xz").write_bytes(lzma.compress(STORY))

    items = collect(tmp_path)

    assert summary(items) == [("a.html", "doc"), ("b.txt", "doc")]
    assert items[0].media_type == "text/html"


def test_gzip_bomb_is_stopped_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "zeros.txt.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(60):
            fh.write(bytes(1 << 20))

    started = time.monotonic()
    [error] = collect(path)

    assert error.code == "decompression-bomb"
    assert error.locator == f"{path}!zeros.txt"
    assert time.monotonic() - started < 2


def test_gzip_over_the_document_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.txt.gz"
    path.write_bytes(gzip.compress(bytes(range(256)) * 40))

    [error] = collect(path, make_config(max_document_bytes=5000))

    assert error.code == "too-large"


def test_tar_bomb_stops_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add(archive, "first.txt")
        add(archive, "zeros.txt", bytes(30 << 20))
        add(archive, "after.txt")

    items = collect(path)

    assert summary(items) == [("first.txt", "doc"), ("zeros.txt", "decompression-bomb")]


def test_truncated_tar_gz_keeps_what_came_before_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "full.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add(archive, "one.txt")
        add(archive, "two.txt", bytes(range(256)) * 400)
        add(archive, "three.txt")
    data = path.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])

    items = collect(cut)

    assert summary(items)[0] == ("one.txt", "doc")
    assert summary(items)[-1][1] == "corrupt-archive"
    assert not any(d.locator.endswith("three.txt") for d in docs(items))


def test_tar_inside_zip(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        add(archive, "deep.txt")
    path = tmp_path / "outer.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("inner.tgz", buffer.getvalue())

    assert summary(collect(path)) == [("inner.tgz!deep.txt", "doc")]


def test_too_many_tar_members(tmp_path: Path) -> None:
    path = tmp_path / "many.tar"
    with tarfile.open(path, "w") as archive:
        for i in range(5):
            add(archive, f"{i}.txt", STORY + bytes([65 + i]))

    items = collect(path, make_config(max_archive_members=3))

    assert summary(items) == [("0.txt", "doc"), ("1.txt", "doc"), ("2.txt", "doc"),
                              ("3.txt", "too-large")]
