"""Content sniffing: binary and empty files are refused before any parser sees them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sources_helpers import FIXTURES, collect, docs, errors

from fanarchive.sources import sniff


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"\x7fELF\x02\x01\x01\x00", "a Linux program"),
        (b"ID3\x03\x00\x00\x00\x00\x0f", "an MP3 audio file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "an old Microsoft Office file"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a WebP image"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "a Windows program"),
        (b"Rar!\x1a\x07\x00", "a RAR archive"),
        (b"text\x00with\x00\x01random\xff\x00nuls\x00\x00", "binary data"),
        (b"\x01\x02\x03\x04\x05\x06\x07\x08" * 16, "control characters"),
    ],
)
def test_binary_content_is_refused_with_a_reason(tmp_path: Path, content: bytes, what: str):
    path = tmp_path / "story.txt"  # the extension says text; the bytes decide
    path.write_bytes(content)

    [error] = collect(path)

    assert error.code == "binary"
    assert what in error.reason
    assert error.reason.endswith("not a story")
    assert str(path) in str(error)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"", "empty (0 bytes)"),
        (b"  \n\t\r\n   \n", "only whitespace"),
        (b"\xef\xbb\xbf\n\n", "only whitespace"),
        (bytes(4096), "only NUL bytes"),
        ("  \r\n".encode("utf-16"), "only whitespace"),
    ],
)
def test_empty_content(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(content)

    [error] = collect(path)

    assert (error.code, what in error.reason) == ("empty", True)


def test_leading_whitespace_then_text_is_not_empty(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(b"\n" * 20_000 + b"The story starts late.")

    assert len(docs(collect(path))) == 1


@pytest.mark.parametrize(
    "content",
    [
        "Title: Ünïcode\r\n\r\nA story.\r\n".encode("utf-16"),  # with BOM
        "Title: Ünïcode\r\n\r\nA story.\r\n".encode("utf-16-le"),
        "Title: Ünïcode\r\n\r\nA story.\r\n".encode("utf-16-be"),
        "タイトル: 物語\r\n\r\n昔々、ある所に。\r\n".encode("utf-16-le"),
        "Title: A story\n".encode("utf-32"),
    ],
)
def test_utf16_text_is_not_binary(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(content)

    assert len(docs(collect(path))) == 1


def test_real_notepad_utf16_fixture_is_a_document() -> None:
    [doc] = collect(FIXTURES / "story-utf16le.txt")

    assert doc.content.decode("utf-16-le").startswith("Title: Sixteen")


def _zip_with(first: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(first, content)
        archive.writestr("content.xml", b"<xml/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def test_epub_is_a_document_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "book.epub"
    path.write_bytes(_zip_with("mimetype", b"application/epub+zip"))

    [doc] = collect(path)

    assert doc.media_type == "application/epub+zip"
    assert doc.content.startswith(b"PK\x03\x04")


def test_epub_is_recognised_by_content_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "download"
    path.write_bytes(_zip_with("mimetype", b"application/epub+zip"))

    assert len(docs(collect(path))) == 1


def test_office_zips_are_refused_not_opened(tmp_path: Path) -> None:
    (tmp_path / "a.docx").write_bytes(_zip_with("[Content_Types].xml", b"<Types/>"))
    (tmp_path / "b.odt").write_bytes(
        _zip_with("mimetype", b"application/vnd.oasis.opendocument.text")
    )

    items = collect(tmp_path)

    assert [e.code for e in items] == ["binary", "binary"]
    assert "Microsoft Office" in items[0].reason
    assert "OpenDocument" in items[1].reason


def test_archive_kinds_by_magic() -> None:
    assert sniff.archive_kind(b"PK\x03\x04rest", "x.txt") == "zip"
    assert sniff.archive_kind(b"7z\xbc\xaf\x27\x1c\x00\x04", "x") == "7z"
    assert sniff.archive_kind(b"\x1f\x8b\x08\x00", "x") == "gzip"
    assert sniff.archive_kind(b"BZh91AY&SY", "x") == "bzip2"
    assert sniff.archive_kind(b"BZh is how the story begins", "x") is None
    assert sniff.archive_kind(b"\xfd7zXZ\x00\x00", "x") == "xz"
    assert sniff.archive_kind(bytes(257) + b"ustar\x0000", "x") == "tar"
    assert sniff.archive_kind(b"Title: a zip of a story", "story.zip") is None


def test_media_type_is_deterministic() -> None:
    assert sniff.media_type("a.TXT") == "text/plain"
    assert sniff.media_type("dir/a.html") == "text/html"
    assert sniff.media_type("x.shtml") == "text/html"
    assert sniff.media_type("noext") is None


def test_binary_error_is_reported_for_each_file_and_the_walk_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "b.txt").write_bytes(b"A story.")

    items = collect(tmp_path)

    assert len(errors(items, "binary")) == 1 and len(docs(items)) == 1
