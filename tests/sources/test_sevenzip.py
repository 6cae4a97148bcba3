"""7z archives, written with py7zr in each test."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import py7zr
import pytest
from sources_helpers import collect, docs, errors, make_config, summary

from fanarchive.document import Document
from fanarchive.sources import count_location, iter_location

STORY = b"Title: Seven\n\nA story in a 7z.\n"
FAST = [{"id": py7zr.FILTER_LZMA2, "preset": 1}]


def make_7z(path: Path, members: dict[str, bytes], **kw: object) -> Path:
    if "password" not in kw:  # custom filters would drop the encryption
        kw["filters"] = FAST
    with py7zr.SevenZipFile(path, "w", **kw) as archive:  # type: ignore[arg-type]
        for name, content in members.items():
            # _writestr skips py7zr's own name check, so the tests can write hostile names.
            archive._writestr(content, name)
    return path


def test_members_become_documents(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "s.7z", {"one.txt": STORY, "dir/two.htm": b"<html>2</html>"})

    items = collect(archive)

    assert summary(items) == [("one.txt", "doc"), ("dir/two.htm", "doc")]
    assert items[0].content == STORY
    assert items[1].locator == f"{archive}!dir/two.htm"
    assert items[1].media_type == "text/html"
    assert count_location(str(archive)) == 2


def test_empty_and_binary_members(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "s.7z", {
        "empty.txt": b"", "pic.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF", "ok.txt": STORY,
    })

    codes = dict(summary(collect(archive)))

    assert codes == {"empty.txt": "empty", "pic.jpg": "binary", "ok.txt": "doc"}


def test_7z_inside_zip_and_zip_inside_7z(tmp_path: Path) -> None:
    inner = make_7z(tmp_path / "inner.7z", {"deep.txt": STORY}).read_bytes()
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("inner.7z", inner)
    assert summary(collect(outer)) == [("inner.7z!deep.txt", "doc")]

    wrapped = make_7z(tmp_path / "outer.7z", {"in.zip": outer.read_bytes()})
    assert summary(collect(wrapped, make_config(max_archive_depth=3))) == [
        ("in.zip!inner.7z!deep.txt", "doc")
    ]


def test_unsafe_names_and_symlinks_are_refused(tmp_path: Path) -> None:
    (tmp_path / "target").write_text("secret")
    (tmp_path / "link").symlink_to("/etc/passwd")
    archive = tmp_path / "evil.7z"
    with py7zr.SevenZipFile(archive, "w", filters=FAST) as sz:
        sz.write(tmp_path / "link", "passwd.txt")  # first: py7zr fails on links after writestr
        sz._writestr(b"evil", "../escape.txt")
        sz._writestr(b"evil", "/tmp/fanarchive-absolute-evil.txt")
        sz._writestr(b"evil", "C:\\Windows\\evil.txt")
        sz._writestr(STORY, "good.txt")

    items = collect(archive)

    assert [code for _, code in summary(items)] == ["unsafe-path"] * 4 + ["doc"]
    assert "link" in errors(items, "unsafe-path")[0].reason
    assert [d.content for d in docs(items)] == [STORY]


def test_nothing_is_written_outside_the_private_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "link").symlink_to("/etc/passwd")
    archive = tmp_path / "evil.7z"
    absolute = tmp_path / "abs-evil.txt"
    with py7zr.SevenZipFile(archive, "w", filters=FAST) as sz:
        sz.write(tmp_path / "link", "passwd.txt")
        sz._writestr(b"evil", "../escape.txt")
        sz._writestr(b"evil", str(absolute))
        sz._writestr(STORY, "good.txt")
    temp_root = tmp_path / "tmp"
    cwd = tmp_path / "cwd" / "work"
    temp_root.mkdir()
    cwd.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(temp_root))
    monkeypatch.chdir(cwd)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    seen_during: list[list[Path]] = []
    for item in iter_location(str(archive), make_config()):
        if isinstance(item, Document):
            # Mid-extraction: the private folder exists and is still empty.
            private = list(temp_root.iterdir())
            seen_during.append([p for d in private for p in d.rglob("*")])

    assert seen_during == [[]]
    assert list(temp_root.iterdir()) == []  # removed afterwards
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not absolute.exists() and not (tmp_path / "cwd" / "escape.txt").exists()


def test_encrypted_members(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "locked.7z", {"secret.txt": STORY}, password="secret")

    items = collect(archive)

    assert summary(items) == [("secret.txt", "encrypted")]


def test_encrypted_headers(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "locked.7z", {"secret.txt": STORY}, password="secret",
                      header_encryption=True)

    items = collect(archive)

    assert summary(items) == [("locked.7z", "encrypted")]
    assert "password" in items[0].reason


def test_7z_bomb_is_refused_without_decompressing(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "bomb.7z", {"zeros.txt": bytes(20 << 20)})
    make_7z(tmp_path / "ok.7z", {"ok.txt": STORY})

    started = time.monotonic()
    items = collect(tmp_path)

    assert time.monotonic() - started < 1
    assert summary(items) == [("zeros.txt", "decompression-bomb"), ("ok.txt", "doc")]
    assert items[0].locator == f"{archive}!zeros.txt"
    assert "max_compression_ratio" in items[0].reason


def test_member_over_the_cap_is_too_large(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "big.7z", {"big.txt": os.urandom(3000), "ok.txt": STORY})

    items = collect(archive, make_config(max_document_bytes=2000))

    assert summary(items) == [("big.txt", "too-large"), ("ok.txt", "doc")]


def test_truncated_7z_is_a_corrupt_archive(tmp_path: Path) -> None:
    data = make_7z(tmp_path / "full.7z", {"a.txt": STORY, "b.txt": STORY}).read_bytes()
    cut = tmp_path / "cut.7z"
    cut.write_bytes(data[: len(data) // 2])

    items = collect(cut)

    assert [code for _, code in summary(items)] == ["corrupt-archive"]
    assert items[0].locator == str(cut)


def test_damaged_7z_data_reports_the_unread_members(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "bad.7z", {"a.txt": os.urandom(2000).hex().encode()})
    data = bytearray(archive.read_bytes())
    data[40] ^= 0xFF  # inside the packed stream, after the 32-byte signature header
    archive.write_bytes(bytes(data))

    items = collect(archive)

    assert summary(items) == [("a.txt", "corrupt-archive")]


def test_members_are_streamed_not_all_held_in_memory(tmp_path: Path) -> None:
    archive = tmp_path / "many.7z"
    member = b"a" * (1 << 20)
    with py7zr.SevenZipFile(archive, "w", filters=[{"id": py7zr.FILTER_COPY}]) as sz:
        # A plain header: decoding a compressed one costs a 16 MB LZMA dictionary, once.
        sz.set_encoded_header_mode(False)
        for i in range(20):
            sz.writestr(member + bytes([65 + i]), f"{i}.txt")
    del member

    tracemalloc.start()
    try:
        sizes = [len(item.content) for item in iter_location(str(archive), make_config())
                 if isinstance(item, Document)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(sizes) == 20
    # 20 MB of members; py7zr copies the member being decompressed a few times, no more.
    assert peak < 8 << 20


def test_stopping_early_ends_the_worker_thread(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "many.7z", {f"{i}.txt": STORY + bytes([65 + i % 26])
                                             for i in range(20)})

    items = iter_location(str(archive), make_config())
    assert isinstance(next(items), Document)
    items.close()  # type: ignore[attr-defined]

    deadline = time.monotonic() + 5
    while any(t.name == "fanarchive-7z" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "7z worker still running"
        time.sleep(0.01)


def test_solid_block_with_a_bomb_refuses_the_whole_block(tmp_path: Path) -> None:
    archive = make_7z(tmp_path / "solid.7z", {"zeros.txt": bytes(20 << 20), "ok.txt": STORY})

    items = collect(archive)

    assert summary(items) == [("zeros.txt", "decompression-bomb"),
                              ("ok.txt", "decompression-bomb")]
    assert "solid block" in items[1].reason
