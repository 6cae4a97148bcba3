"""Content sniffing: is this an archive to open, a story to parse, or something to refuse?

Extensions on rescued files are unreliable (``story.htm`` that is a JPEG, ``backup`` that is a
zip), so every decision here looks at the bytes first and at the name only as a tie-breaker.
"""

from __future__ import annotations

import mimetypes
import re
import struct
from pathlib import PurePosixPath

from fanarchive.errors import ItemError

# How much of a file is looked at: enough for every magic number and a fair text sample.
HEAD_BYTES = 8192

_BINARY_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (0, b"%PDF-", "a PDF document"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file (.doc, .xls)"),
    (0, b"\x7fELF", "a Linux program"),
    (0, b"\xca\xfe\xba\xbe", "a Java class or macOS program"),
    (0, b"\xcf\xfa\xed\xfe", "a macOS program"),
    (0, b"\xce\xfa\xed\xfe", "a macOS program"),
    (0, b"ID3", "an MP3 audio file"),
    (0, b"\xff\xfb", "an MP3 audio file"),
    (0, b"\xff\xf3", "an MP3 audio file"),
    (0, b"OggS", "an Ogg audio or video file"),
    (0, b"fLaC", "a FLAC audio file"),
    (0, b"MThd", "a MIDI file"),
    (0, b"\x1a\x45\xdf\xa3", "a Matroska or WebM video"),
    (4, b"ftyp", "an MP4 or QuickTime video"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"wOFF", "a web font"),
    (0, b"wOF2", "a web font"),
    (0, b"Rar!\x1a\x07", "a RAR archive (not supported: unpack it and import the folder)"),
    (0, b"MSCF", "a Windows cabinet archive"),
)
_RIFF_KINDS = {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}

# Archives fanarchive opens, by magic number at offset 0.
_ARCHIVE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip: only the end record
    (b"PK\x07\x08", "zip"),  # split-archive marker written by some tools before the first entry
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
)
# A bzip2 stream: "BZh", a level digit, then the block magic (pi) or the end-of-stream magic.
_BZIP2 = re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)")

# Zip containers that are documents, not folders of stories.
_ZIP_DOCUMENT_SUFFIXES = {
    ".docx": "a Microsoft Word document (.docx)",
    ".xlsx": "a Microsoft Excel spreadsheet (.xlsx)",
    ".pptx": "a Microsoft PowerPoint file (.pptx)",
    ".odt": "an OpenDocument text (.odt)",
    ".ods": "an OpenDocument spreadsheet (.ods)",
    ".odp": "an OpenDocument presentation (.odp)",
    ".jar": "a Java program (.jar)",
    ".apk": "an Android app (.apk)",
    ".xpi": "a browser extension (.xpi)",
}
EPUB = "application/epub+zip"

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
_NOT_BLANK = re.compile(rb"[^ \t\r\n\f\v\x00]")
# C0 controls that do not occur in text. Tab, newlines and form feed do; so do ESC (ANSI art in
# BBS-era files) and SUB (the DOS end-of-file marker ^Z).
_CONTROL = re.compile(rb"[\x01-\x08\x0e-\x19\x1c-\x1f\x7f]")

_MIME = mimetypes.MimeTypes()  # built-in table only: the answer must not depend on the machine
for _suffix, _type in {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".nfo": "text/plain",
    ".md": "text/markdown",
    ".htm": "text/html",
    ".html": "text/html",
    ".shtml": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".php": "text/html",  # saved eFiction pages keep their .php name
    ".asp": "text/html",
    ".rtf": "application/rtf",
    ".epub": EPUB,
}.items():
    _MIME.add_type(_type, _suffix)


def media_type(name: str) -> str | None:
    """The media type for a file or member name, from its extension."""
    return _MIME.guess_type(PurePosixPath(name).name, strict=False)[0]


def archive_kind(head: bytes, name: str) -> str | None:
    """``zip``, ``7z``, ``tar``, ``gzip``, ``bzip2`` or ``xz`` for an archive to open, else None.

    Zip-based documents (EPUB, .docx, .odt) are not archives: they are refused or parsed whole.
    """
    for magic, kind in _ARCHIVE_MAGIC:
        if head.startswith(magic):
            if kind == "zip" and zip_document(head, name) is not None:
                return None
            return kind
    if _BZIP2.match(head):
        return "bzip2"
    if head[257:262] == b"ustar":
        return "tar"
    return None


def zip_document(head: bytes, name: str) -> str | None:
    """For a zip that is really one document: ``EPUB`` or a description of what it is."""
    mimetype = _stored_mimetype(head)
    if mimetype == EPUB:
        return EPUB
    if mimetype and mimetype.startswith("application/vnd.oasis.opendocument"):
        return "an OpenDocument file (.odt, .ods)"
    if b"[Content_Types].xml" in head[:HEAD_BYTES]:
        return "a Microsoft Office file (.docx, .xlsx)"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".epub":
        return EPUB
    return _ZIP_DOCUMENT_SUFFIXES.get(suffix)


def _stored_mimetype(head: bytes) -> str | None:
    # EPUB and OpenDocument require a first, uncompressed member called "mimetype".
    if len(head) < 30 or head[30:38] != b"mimetype":
        return None
    method, size, name_len, extra_len = struct.unpack("<H8xI4xHH", head[8:30])
    start = 30 + name_len + extra_len
    if method != 0 or size > 200:
        return None
    return head[start : start + size].decode("ascii", "replace").strip()


def refuse(content: bytes, locator: str, name: str) -> ItemError | None:
    """An ``empty`` or ``binary`` ItemError when ``content`` is not worth giving to a parser."""
    if not content:
        return ItemError(locator, "empty", "empty (0 bytes)")
    head = content[:HEAD_BYTES]
    body_start = next((len(b) for b in _BOMS if content.startswith(b)), 0)
    if _NOT_BLANK.search(content, body_start) is None:
        zeroed = content.count(0, body_start) == len(content) - body_start
        what = "NUL bytes (a zero-filled or damaged file)" if zeroed else "whitespace"
        return ItemError(locator, "empty", f"contains only {what}")
    if head.startswith(b"PK\x03\x04"):
        flavour = zip_document(head, name)
        if flavour == EPUB:
            return None
        return _binary(locator, flavour or "a zip archive")
    for offset, magic, what in _BINARY_MAGIC:
        if head.startswith(magic, offset):
            return _binary(locator, what)
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_KINDS:
        return _binary(locator, _RIFF_KINDS[head[8:12]])
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return _binary(locator, "a Windows program")
    if b"\x00" in head and not looks_like_utf16(head) and not stray_nuls(head):
        return _binary(locator, "binary data (it contains NUL bytes)")
    if len(head) >= 64 and len(_CONTROL.findall(head)) > len(head) // 10:
        return _binary(locator, "binary data (it is full of control characters)")
    return None


def _binary(locator: str, what: str) -> ItemError:
    return ItemError(locator, "binary", f"looks like {what}, not a story")


def looks_like_utf16(head: bytes) -> bool:
    """True for UTF-16 (or UTF-32) text, whose NUL bytes are not a sign of binary.

    With a BOM that is certain. Without one it takes evidence (see
    :func:`fanarchive.normalize.encoding.wide_without_bom`): UTF-16 text has NULs as the high
    byte of every ASCII character, so a good share of the code units show them, all on one
    parity (odd offsets for little-endian). One stray NUL in a cp1252 or UTF-8 text is no such
    evidence; binary data puts NULs everywhere.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return True
    from fanarchive.normalize.encoding import wide_without_bom

    return wide_without_bom(head) is not None


def stray_nuls(head: bytes) -> bool:
    """True for text with a stray NUL or two (a damaged save, a bad paste): very few NULs and
    hardly any other control characters. Such a text is read, and the NULs are removed (and
    flagged) when it is decoded."""
    nuls = head.count(0)
    return 0 < nuls <= max(1, len(head) // 2000) and len(_CONTROL.findall(head)) <= len(head) // 200
