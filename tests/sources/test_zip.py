"""Zip archives: members, nesting, hostile names, bombs, encryption and damage."""

from __future__ import annotations

import io
import stat
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

from sources_helpers import (
    FIXTURES,
    collect,
    deflated,
    docs,
    errors,
    make_config,
    raw_zip,
    stored,
    summary,
    zeros_bomb,
)

from fanarchive.document import Document
from fanarchive.errors import ItemError
from fanarchive.sources import count_location, iter_location

STORY = b"Title: Zipped\n\nA story in a zip.\n"


def make_zip(path: Path, members: dict[str, bytes], deflate: bool = True) -> Path:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_members_become_documents_with_archive_locators(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "stories.zip", {
        "one.txt": STORY, "dir/two.html": b"<html><body>Two</body></html>", "dir/": b"",
    })

    items = collect(archive)

    assert summary(items) == [("one.txt", "doc"), ("dir/two.html", "doc")]
    two = items[1]
    assert isinstance(two, Document)
    assert two.locator == f"{archive}!dir/two.html"
    assert two.path == two.locator
    assert two.media_type == "text/html"
    assert two.name == "two.html"


def test_zip_found_by_content_not_extension(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "backup.dat", {"story.txt": STORY})

    assert summary(collect(path)) == [("story.txt", "doc")]


def test_hidden_members_and_macosx_forks_are_skipped(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "mac.zip", {
        "story.txt": STORY, "__MACOSX/._story.txt": b"\x00\x05\x16\x07", ".DS_Store": b"x",
        "sub/.hidden.txt": STORY,
    })

    assert summary(collect(archive)) == [("story.txt", "doc")]
    assert count_location(str(archive)) == 1


def test_zips_in_a_folder_and_windows_backslash_names(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(STORY)
    (tmp_path / "b.zip").write_bytes(raw_zip([stored("old\\dos\\story.txt", STORY)]))

    assert summary(collect(tmp_path)) == [("a.txt", "doc"), ("old/dos/story.txt", "doc")]


def test_nested_zip_is_opened_with_a_chained_locator(tmp_path: Path) -> None:
    inner = zip_bytes({"deep.txt": STORY})
    archive = make_zip(tmp_path / "outer.zip", {"top.txt": STORY, "more/inner.zip": inner})

    items = collect(archive)

    assert summary(items) == [("top.txt", "doc"), ("more/inner.zip!deep.txt", "doc")]
    assert items[1].locator == f"{archive}!more/inner.zip!deep.txt"
    assert items[1].name == "deep.txt"


def test_nesting_stops_at_max_archive_depth(tmp_path: Path) -> None:
    level3 = zip_bytes({"three.txt": STORY})
    level2 = zip_bytes({"two.txt": STORY, "l3.zip": level3})
    archive = make_zip(tmp_path / "l1.zip", {"one.txt": STORY, "l2.zip": level2})

    items = collect(archive)  # default depth 2

    assert summary(items) == [("one.txt", "doc"), ("l2.zip!two.txt", "doc"),
                              ("l2.zip!l3.zip", "too-deep")]
    assert "max_archive_depth (2)" in items[2].reason
    assert summary(collect(archive, make_config(max_archive_depth=3)))[-1] == (
        "l2.zip!l3.zip!three.txt", "doc"
    )
    assert summary(collect(archive, make_config(max_archive_depth=0))) == [
        ("l1.zip", "too-deep")
    ]


def test_unsafe_member_names_are_refused_and_the_rest_read(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    archive.write_bytes(raw_zip([
        stored("../escape.txt", b"evil"),
        stored("/etc/cron.d/evil", b"evil"),
        stored("C:/Windows/evil.txt", b"evil"),
        stored("ok/../../up.txt", b"evil"),
        stored("..\\..\\dos.txt", b"evil"),
        stored("good.txt", STORY),
    ]))

    items = collect(archive)

    assert [code for _, code in summary(items)] == ["unsafe-path"] * 5 + ["doc"]
    assert len(errors(items, "unsafe-path")) == 5
    assert [d.locator.split("!")[1] for d in docs(items)] == ["good.txt"]
    reasons = " ".join(e.reason for e in errors(items, "unsafe-path"))
    assert "'..'" in reasons and "absolute" in reasons and "drive letter" in reasons
    assert all(b"evil" not in d.content for d in docs(items))
    assert not (tmp_path.parent / "escape.txt").exists()


def test_symlink_members_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("passwd.txt")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("story.txt", STORY)

    items = collect(archive)

    assert summary(items) == [("passwd.txt", "unsafe-path"), ("story.txt", "doc")]
    assert "link" in items[0].reason


def test_encrypted_members_real_zip_fixture() -> None:
    # Made with Info-ZIP: zip -P secret encrypted.zip secret.txt; zip encrypted.zip open.txt
    items = collect(FIXTURES / "encrypted.zip")

    assert summary(items) == [("secret.txt", "encrypted"), ("open.txt", "doc")]
    assert "password" in items[0].reason


def test_zip_bomb_by_ratio_is_refused_without_inflating(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(raw_zip([zeros_bomb("zeros.txt", 200), deflated("ok.txt", STORY)]))
    assert archive.stat().st_size < 300_000

    started = time.monotonic()
    items = collect(archive)

    assert time.monotonic() - started < 1  # inflating 200 MB would take longer
    assert summary(items) == [("zeros.txt", "decompression-bomb"), ("ok.txt", "doc")]
    assert items[0].locator.endswith("bomb.zip!zeros.txt")
    assert "max_compression_ratio" in items[0].reason


def test_bomb_with_lying_sizes_is_caught_while_reading(tmp_path: Path) -> None:
    bomb = zeros_bomb("zeros.txt", 200)
    bomb.size = 1000  # the headers claim 1 KB: ratio and size checks pass
    archive = tmp_path / "liar.zip"
    archive.write_bytes(raw_zip([bomb, deflated("ok.txt", STORY)]))

    tracemalloc.start()
    try:
        items = collect(archive)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert summary(items)[1] == ("ok.txt", "doc")
    assert items[0].code in {"corrupt-archive", "decompression-bomb"}
    assert peak < 8 << 20


def test_member_larger_than_the_document_cap(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"big.txt": b"word " * 1000, "ok.txt": STORY})

    items = collect(archive, make_config(max_document_bytes=1000))

    assert summary(items) == [("big.txt", "too-large"), ("ok.txt", "doc")]
    assert "5,000 bytes" in items[0].reason


def test_nested_bomb_two_levels(tmp_path: Path) -> None:
    inner = raw_zip([zeros_bomb("zeros.txt", 200)])
    archive = make_zip(tmp_path / "nested.zip", {
        "a.zip": inner, "b.zip": inner, "story.txt": STORY,
    }, deflate=False)

    started = time.monotonic()
    items = collect(archive)

    assert time.monotonic() - started < 2
    assert summary(items) == [
        ("a.zip!zeros.txt", "decompression-bomb"),
        ("b.zip!zeros.txt", "decompression-bomb"),
        ("story.txt", "doc"),
    ]


def test_total_budget_is_shared_by_nested_archives(tmp_path: Path) -> None:
    # Each member is modest and compresses only ~1:1, but together they pass max_archive_bytes.
    payload = bytes(range(256)) * 1600  # ~400 KB
    inner = zip_bytes({f"part{i}.txt": payload + bytes([i]) for i in range(4)})
    archive = make_zip(tmp_path / "outer.zip", {"x.zip": inner, "y.zip": inner})

    items = collect(archive, make_config(max_archive_bytes=3_000_000))

    codes = [code for _, code in summary(items)]
    assert "decompression-bomb" in codes
    bomb = errors(items, "decompression-bomb")[0]
    assert "max_archive_bytes" in bomb.reason and "!y.zip!part" in bomb.locator
    assert items[-1] is bomb  # reading stops there


def test_too_many_members_is_refused_before_listing(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", {f"{i}.txt": STORY for i in range(30)})

    items = collect(archive, make_config(max_archive_members=20))

    assert summary(items) == [("many.zip", "too-large")]
    assert "30 members" in items[0].reason


def test_truncated_zip_yields_the_readable_members(tmp_path: Path) -> None:
    full = make_zip(tmp_path / "full.zip", {
        "one.txt": STORY, "two.txt": STORY * 2, "three.txt": bytes(range(256)) * 64,
    })
    data = full.read_bytes()
    third = data.index(b"three.txt")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: third + 200])

    items = collect(cut)

    assert summary(items) == [("one.txt", "doc"), ("two.txt", "doc"),
                              ("three.txt", "corrupt-archive"), ("cut.zip", "corrupt-archive")]
    assert items[1].content == STORY * 2
    assert "cut short" in items[2].reason
    assert "2 members recovered" in items[3].reason


class _Pipe:
    """A write-only stream: zipfile then writes sizes after the data, as streaming zippers do."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)

    def flush(self) -> None:
        pass


def test_streamed_zip_with_data_descriptors_is_salvaged(tmp_path: Path) -> None:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        for name, content in [("a.txt", STORY), ("b.txt", STORY * 3)]:
            with archive.open(name, "w") as member:
                member.write(content)
    data = bytes(pipe.data)
    assert struct.unpack("<H", data[6:8])[0] & 0x8  # sizes follow the data
    cut = tmp_path / "stream.zip"
    cut.write_bytes(data[: data.index(b"PK\x01\x02") + 10])  # central directory damaged

    items = collect(cut)

    assert [d.content for d in docs(items)] == [STORY, STORY * 3]
    assert summary(items)[-1] == ("stream.zip", "corrupt-archive")
    assert "recovered" in items[-1].reason


def test_damaged_member_is_reported_and_others_still_read(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "crc.zip", {"a.txt": STORY, "b.txt": STORY + b"b"},
                       deflate=False)
    data = bytearray(archive.read_bytes())
    pos = data.index(STORY)
    data[pos + 3] ^= 0xFF  # flip a byte in a.txt's data: CRC mismatch
    archive.write_bytes(bytes(data))

    items = collect(archive)

    assert summary(items) == [("a.txt", "corrupt-archive"), ("b.txt", "doc")]
    assert "CRC" in items[0].reason


def test_garbage_with_zip_magic_is_one_corrupt_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.zip"
    path.write_bytes(b"PK\x03\x04" + b"\xff" * 100)

    items = collect(path)

    assert [i.code for i in items] == ["corrupt-archive"] * len(items) and items


def test_members_are_streamed_not_all_held_in_memory(tmp_path: Path) -> None:
    member = b"a" * (1 << 20)
    archive = make_zip(tmp_path / "many.zip", {f"{i}.txt": member + bytes([65 + i])
                                               for i in range(20)}, deflate=False)
    del member

    tracemalloc.start()
    try:
        sizes = [len(item.content) for item in iter_location(str(archive), make_config())
                 if isinstance(item, Document)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(sizes) == 20
    assert peak < 5 << 20  # 20 MB of members, one or two at a time


def test_count_location_counts_zip_members(tmp_path: Path) -> None:
    make_zip(tmp_path / "a.zip", {"1.txt": STORY, "2.txt": STORY, "d/": b""})
    (tmp_path / "b.txt").write_bytes(STORY)

    assert count_location(str(tmp_path / "a.zip")) == 2
    assert count_location(str(tmp_path)) == 3


def test_item_errors_name_the_member(tmp_path: Path) -> None:
    archive = tmp_path / "named.zip"
    archive.write_bytes(raw_zip([stored("pic.txt", b"\x89PNG\r\n\x1a\nxx"), stored("e.txt", b"")]))

    items = collect(archive)

    assert all(isinstance(i, ItemError) for i in items)
    assert [str(i) for i in items] == [
        f"{archive}!pic.txt: looks like a PNG image, not a story",
        f"{archive}!e.txt: empty (0 bytes)",
    ]
