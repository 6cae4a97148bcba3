"""Write the hostile-input corpus: files nobody should ever have to import, but someone will.

    python -m tests.hostile.generate OUTDIR          # reduced sizes (what the test suite uses)
    python -m tests.hostile.generate OUTDIR --full   # full sizes (100 MB lines, 1 GB bombs)

Layout of OUTDIR::

    files/           imported as one folder location
    alone/           each entry imported as its own location (SQL dumps and WARCs are only
                     read as such when named on the command line)
    hostile.toml     the config the campaign runs with (limits matched to the sizes)
    manifest.json    every item: where it is, what it is, and the outcome the test expects

Everything is deterministic (fixed seeds) and built in memory or streamed, never by running
external tools. ``tests/hostile/README.md`` describes each item and its expected outcome; the
expectations themselves live here, in :func:`items`, and go into ``manifest.json``, so the
README, the generator and ``test_hostile.py`` cannot drift apart.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import shutil
import stat
import struct
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EFICTION_DUMP = ROOT / "tests" / "fixtures" / "efiction" / "efiction.sql"

MB = 1 << 20
# In the many-members zip, every this-many-th member is a story; the rest are blank.
MANY_STORY_EVERY = 10


@dataclass(frozen=True)
class Sizes:
    """What differs between the reduced corpus (test suite) and the full one."""

    mode: str
    huge_line: int  # the single-line file over max_document_bytes
    long_line: int  # a single-line story just under it: parsed, not refused
    max_document_bytes: int
    ratio_bomb: int  # zeros behind one zip member
    nested_bomb: int  # zeros behind each member of the zip of zips
    nested_fan: int  # inner zips, and members per inner zip
    sevenzip_bomb: int
    many_members: int
    max_archive_members: int
    lines: int = 1_000_000
    chapters: int = 10_000
    cr_only: int = 5 * MB
    header: int = MB
    nested_tags: int = 100_000


REDUCED = Sizes("reduced", huge_line=10 * MB, long_line=3 * MB, max_document_bytes=8_000_000,
                ratio_bomb=256 * MB, nested_bomb=64 * MB, nested_fan=4, sevenzip_bomb=32 * MB,
                many_members=5_000, max_archive_members=10_000)
FULL = Sizes("full", huge_line=100 * MB, long_line=20 * MB, max_document_bytes=50_000_000,
             ratio_bomb=1024 * MB, nested_bomb=1024 * MB, nested_fan=10,
             sevenzip_bomb=1024 * MB, many_members=100_000, max_archive_members=100_000)


@dataclass(frozen=True)
class Item:
    """One hostile input and the outcome the campaign expects.

    ``key`` is an ASCII piece of the item's name that appears in every locator and source path
    the import records for it (the name itself may not be valid UTF-8), and in no other item's.
    ``errors`` maps a ``run_errors`` code (or alternatives, ``"binary|unrecognized"``) to how
    many such errors the item must get, exactly; an item gets no other errors. ``stories`` is
    how many stories must be imported from it: exactly, or at least that many with
    ``at_least``. ``title`` is the title the first of them must have. ``checks`` name extra
    assertions in ``test_hostile.py``.
    """

    key: str
    path: str  # relative to OUTDIR; "files/..." or "alone/..."
    what: str
    expect: str
    errors: dict[str, int] = field(default_factory=dict)
    stories: int = 0
    at_least: bool = False
    title: str | None = None
    checks: tuple[str, ...] = ()
    build: str = ""  # name of the builder function below


def _items(s: Sizes) -> list[Item]:
    fan = s.nested_fan
    stories_in_many = len(range(0, s.many_members, MANY_STORY_EVERY))
    return [
        # --- not text at all ---------------------------------------------------------------------
        Item("png_named", "files/png_named.txt", "a PNG image named .txt",
             "refused as binary", {"binary": 1}, build="png"),
        Item("elf_named", "files/elf_named.txt", "a Linux executable (ELF) named .txt",
             "refused as binary", {"binary": 1}, build="elf"),
        Item("random_named", "files/random_named.txt", "64 KB of random bytes named .txt",
             "refused as binary", {"binary": 1}, build="random_bytes"),
        Item("empty_file", "files/empty_file.txt", "a 0-byte file", "refused as empty",
             {"empty": 1}, build="empty"),
        Item("blank_file", "files/blank_file.txt", "only spaces, tabs and newlines",
             "refused as empty", {"empty": 1}, build="blank"),
        # --- size --------------------------------------------------------------------------------
        Item("huge_single_line", "files/huge_single_line.txt",
             f"{s.huge_line // MB} MB on one line, no newline, over max_document_bytes "
             f"({s.max_document_bytes:,})",
             "refused as too-large from its size, without being read", {"too-large": 1},
             build="huge_line"),
        Item("long_single_line", "files/long_single_line.txt",
             f"a {s.long_line // MB} MB story on one line, under max_document_bytes",
             "imported as one untitled story of one chapter (no-headers flag); no quadratic "
             "scan", stories=1, checks=("no_title", "one_chapter"), build="long_line"),
        Item("million_lines", "files/million_lines.txt",
             f"a story of {s.lines:,} one-word lines", "imported; the last line is kept",
             stories=1, title="A Million Lines", checks=("million_lines",),
             build="million_lines"),
        Item("ten_thousand_chapters", "files/ten_thousand_chapters.txt",
             f"a plain-text story with {s.chapters:,} 'Chapter N' sections",
             f"imported with {s.chapters:,} chapters, in order", stories=1,
             title="Ten Thousand Chapters", checks=("many_chapters",), build="chapters_txt"),
        Item("title_1mb", "files/title_1mb.txt", "a Title: header line of 1 MB",
             "imported; the header scan reads 16 KB at most, so the line stays text and the "
             "title is null", stories=1, checks=("no_title",), build="title_1mb"),
        Item("summary_1mb", "files/summary_1mb.txt",
             "Title and Author headers, then a Summary: header of 1 MB",
             "imported with its title; the oversized line stays in the text", stories=1,
             title="Summary of a Megabyte", build="summary_1mb"),
        Item("headers_1mb_html", "files/headers_1mb_html.html",
             "an HTML story page with a 1 MB <title> and 1 MB <b>Title:</b> and "
             "<b>Summary:</b> values", "imported (the 1 MB title and summary are kept as "
             "found)", stories=1, build="headers_1mb_html"),
        # --- encodings and bytes inside text ----------------------------------------------------
        Item("invalid_utf8", "files/invalid_utf8.txt",
             "UTF-8 story with stray invalid bytes (lone continuation bytes, cut sequences)",
             "imported with its title and an encoding flag", stories=1, title="Broken Bytes",
             checks=("encoding_flag",), build="invalid_utf8"),
        Item("utf16le_nobom", "files/utf16le_nobom.txt", "UTF-16-LE without a byte-order mark",
             "imported with its title (not refused as binary) and encoding-guessed", stories=1,
             title="Sixteen Little", checks=("encoding_flag",), build="utf16le"),
        Item("utf16be_nobom", "files/utf16be_nobom.txt", "UTF-16-BE without a byte-order mark",
             "imported with its title and encoding-guessed", stories=1, title="Sixteen Big",
             checks=("encoding_flag",), build="utf16be"),
        Item("nul_in_body", "files/nul_in_body.txt",
             "a story with NUL bytes in the text after the first 8 KB",
             "imported; the NULs removed and flagged control-chars-removed", stories=1,
             title="Nul In The Body", checks=("no_nul", "control_flag"), build="nul_in_body"),
        Item("nul_in_head", "files/nul_in_head.txt", "a story with a NUL byte in its first line",
             "imported: one stray NUL is damage, not a sign of binary; it is removed and "
             "flagged (control-chars-removed)", stories=1, checks=("control_flag",),
             build="nul_in_head"),
        Item("cr_only", "files/cr_only.txt", f"a {s.cr_only // MB} MB story with CR-only line ends",
             "imported; CRs read as line ends, paragraphs found", stories=1,
             title="Carriage Returns", checks=("paragraphs", "no_cr"), build="cr_only"),
        Item("only_separators", "files/only_separators.txt",
             "20,000 separator lines (----, ****, ~*~*~, * * *, ====, xxx, oOo), stacked",
             "a story with no title, no chapters and the no-text flag (the parser's rule: "
             "files without headers import with a flag)", stories=1,
             checks=("no_title", "no_chapters"), build="separators"),
        # --- HTML ------------------------------------------------------------------------------
        Item("nested_100k", "files/nested_100k.html",
             f"{s.nested_tags:,} nested <div> tags around one paragraph",
             "imported; the text kept, the nesting flagged html-too-deep", stories=1,
             checks=("deep_text",), build="nested_tags"),
        Item("unclosed_100k", "files/unclosed_100k.html",
             f"{s.nested_tags:,} unclosed {''.join(_UNCLOSED)} tags before the text",
             "imported; the text kept", stories=1, checks=("deep_text",),
             build="unclosed_tags"),
        Item("xss_page", "files/xss_page.html",
             "a story page with <script>, onerror=, javascript: links, <iframe>, <svg>, "
             "style expressions and event handlers in the story text",
             "imported; no script in the text; its HTML clean after the export sanitizer",
             stories=1, title="Scripted Page", checks=("no_script_text",), build="xss_page"),
        Item("xss_plain", "files/xss_plain.txt",
             "a plain-text story whose prose contains <script> and onerror= literally",
             "imported; the words kept as text, escaped whenever they become HTML", stories=1,
             title="Literal Script", checks=("literal_script",), build="xss_plain"),
        # --- archives --------------------------------------------------------------------------
        Item("bomb_ratio", "files/bomb_ratio.zip",
             f"one member of {s.ratio_bomb // MB:,} MB of zeros packed about 1000:1",
             "refused as decompression-bomb before decompressing", {"decompression-bomb": 1},
             build="bomb_ratio"),
        Item("bomb_nested", "files/bomb_nested.zip",
             f"a zip of {fan} zips of {fan} members of {s.nested_bomb // MB:,} MB of zeros "
             f"({fan * fan * s.nested_bomb // MB:,} MB expanded)",
             "refused as decompression-bomb without expanding anything: each inner member "
             "(reduced), or each inner zip, whose own ratio is already over the limit (full)",
             {"decompression-bomb": fan * fan if s.mode == "reduced" else fan},
             build="bomb_nested"),
        Item("bomb_lying", "files/bomb_lying.zip",
             f"a member whose header declares 1,000 bytes but whose data expands to "
             f"{s.ratio_bomb // MB:,} MB",
             "refused as corrupt-archive: the reader stops at the declared size and the CRC "
             "fails", {"corrupt-archive": 1}, build="bomb_lying"),
        Item("bomb_7z", "files/bomb_7z.7z", f"a 7z of {s.sevenzip_bomb // MB:,} MB of zeros",
             "refused as decompression-bomb", {"decompression-bomb": 1}, build="bomb_7z"),
        Item("deep_nesting", "files/deep_nesting.zip",
             "a story inside a zip inside a zip inside a zip",
             "the innermost archive refused as too-deep", {"too-deep": 1}, build="deep_zip"),
        Item("traversal_zip", "files/traversal_zip.zip",
             "members named ../x, /tmp/x, C:\\x, a/../../x, a symlink to /etc/passwd, and "
             "one good story", "each bad member refused as unsafe-path; the good story "
             "imported; nothing written anywhere", {"unsafe-path": 5}, stories=1,
             title="Safe Inside The Zip", build="traversal_zip"),
        Item("traversal_7z", "files/traversal_7z.7z",
             "7z members named ../x and /tmp/x, a symlink member, and one good story",
             "each bad member refused as unsafe-path; the good story imported",
             {"unsafe-path": 3}, stories=1, title="Safe Inside The 7z", build="traversal_7z"),
        Item("truncated_gzip", "files/truncated_gzip.txt.gz", "a gzipped story cut in half",
             "refused as corrupt-archive", {"corrupt-archive": 1}, build="truncated_gzip"),
        Item("truncated_targz", "files/truncated_targz.tar.gz",
             "a .tar.gz of 4 stories cut inside the third",
             "the 2 complete stories imported; the cut member and the archive recorded as "
             "corrupt-archive", {"corrupt-archive": 2}, stories=2, title="Tarred Story 1",
             build="truncated_targz"),
        Item("many_members", "files/many_members.zip",
             f"a zip of {s.many_members:,} tiny members: every {MANY_STORY_EVERY}th a story, "
             "the others a single blank line",
             f"{stories_in_many:,} stories imported, {s.many_members - stories_in_many:,} "
             "members recorded as empty; memory flat",
             {"empty": s.many_members - stories_in_many}, stories=stories_in_many,
             build="many_members"),
        Item("over_member_limit", "files/over_member_limit.zip",
             f"a zip of {s.max_archive_members + 1:,} tiny members, one over "
             "max_archive_members", "refused as too-large before any member is read",
             {"too-large": 1}, build="too_many_members"),
        Item("zip_bad_names", "files/zip_bad_names.zip",
             "zip members whose names are invalid UTF-8 (with the UTF-8 flag set) or "
             "contain a newline", "both stories imported (salvaged from the local headers, "
             "which is recorded as corrupt-archive)", {"corrupt-archive": 1}, stories=2,
             build="zip_bad_names"),
        Item("tar_bad_names", "files/tar_bad_names.tar",
             "a tar whose member names hold invalid UTF-8 bytes and a newline",
             "both stories imported under printable locators", stories=2,
             build="tar_bad_names"),
        # --- file names ---------------------------------------------------------------------
        Item("name-invalid-utf8-", "files/name-invalid-utf8-\udcff\udcfe.txt",
             "a story whose file name holds the bytes FF FE (not UTF-8)",
             "imported; its locator is printable (\\xff\\xfe)", stories=1,
             title="Invalid Bytes In The Name", build="story_bad_name"),
        Item("name-with-newline", "files/name-with-newline\nsecond-line.txt",
             "a story whose file name contains a newline", "imported", stories=1,
             title="Newline In The Name", build="story_newline_name"),
        # --- dumps and web archives, each its own location ------------------------------------
        Item("truncated_dump.sql", "alone/truncated_dump.sql",
             "the eFiction test dump cut in the middle of the stories INSERT",
             "the stories before the cut imported; the cut recorded as truncated, and the "
             "chapters whose stories were lost as orphan-chapters",
             {"truncated": 1, "orphan-chapters": 1}, stories=1, at_least=True,
             build="truncated_dump"),
        Item("truncated_dump_gz.sql.gz", "alone/truncated_dump_gz.sql.gz",
             "the eFiction test dump gzipped, the gzip cut inside the stories INSERT",
             "the run completes; the stories before the cut imported; the cut recorded as "
             "truncated, the lost stories' chapters as orphan-chapters",
             {"truncated": 1, "orphan-chapters": 1}, stories=1, at_least=True,
             build="truncated_dump_gz"),
        Item("chapters_10k.sql", "alone/chapters_10k.sql",
             f"an eFiction dump: one story of {s.chapters:,} chapters, one whose chapter HTML "
             "carries <script>, onerror= and javascript:",
             f"two stories, the first with {s.chapters:,} chapters; no script in the text",
             stories=2, title="Ten Thousand Rows", checks=("dump_chapters", "no_script_text"),
             build="dump_chapters"),
        Item("truncated_warc.warc.gz", "alone/truncated_warc.warc.gz",
             "a WARC of 4 story pages (the first with script and onerror) cut inside the third",
             "the two complete pages imported; the damage recorded as corrupt-warc",
             {"corrupt-warc": 1}, stories=2, title="Archived Script Page",
             checks=("no_script_text",), build="truncated_warc"),
    ]


# ---------------------------------------------------------------------------------------------
# Building blocks

_WORDS = ("the", "night", "was", "quiet", "and", "she", "walked", "home", "alone", "under",
          "stars", "that", "never", "seemed", "to", "move", "while", "he", "waited", "by",
          "door", "remembering", "everything", "they", "had", "said", "before", "winter")


def _prose(rng: random.Random, words: int) -> str:
    out = []
    for i in range(words):
        word = rng.choice(_WORDS)
        out.append(word.capitalize() if i % 12 == 0 else word)
        if i % 12 == 11:
            out[-1] += "."
    return " ".join(out) + "."


def _paragraphs(rng: random.Random, count: int, words: int = 60) -> str:
    return "\n\n".join(_prose(rng, words) for _ in range(count))


def _story(title: str, body: str, author: str = "Hostile Author") -> str:
    return f"Title: {title}\nAuthor: {author}\nRating: PG\n\n{body}\n"


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _zeros_deflated(size: int) -> tuple[bytes, int]:
    """Raw deflate data for ``size`` zero bytes and their CRC-32, built in seconds.

    Each MB is compressed once and flushed with Z_FULL_FLUSH, which makes every block
    independent of the ones before it, so the same block repeated is a valid stream.
    """
    chunk = bytes(MB)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(size, MB)
    parts = [block * whole]
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts.append(tail.compress(bytes(rest)) + tail.flush())
    crc = 0
    for _ in range(whole):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(bytes(rest), crc)
    return b"".join(parts), crc


@dataclass
class _RawMember:
    name: bytes
    data: bytes  # as stored (already compressed when method is 8)
    crc: int
    size: int  # declared uncompressed size
    method: int = 8
    flags: int = 0
    mode: int = 0o100644  # unix mode in the external attributes


def _raw_zip(members: list[_RawMember]) -> bytes:
    """A zip written by hand, so names, sizes and modes can be whatever an attacker wants."""
    out = io.BytesIO()
    central = []
    for m in members:
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, m.flags, m.method, 0, 0x21,
                              m.crc, len(m.data), m.size, len(m.name), 0))
        out.write(m.name)
        out.write(m.data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, m.flags,
                                   m.method, 0, 0x21, m.crc, len(m.data), m.size, len(m.name),
                                   0, 0, 0, 0, (m.mode << 16) & 0xFFFFFFFF, offset) + m.name)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                          out.tell() - start, start, 0))
    return out.getvalue()


def _stored(name: str | bytes, data: bytes, **kwargs: int) -> _RawMember:
    raw_name = name.encode("utf-8") if isinstance(name, str) else name
    return _RawMember(raw_name, data, zlib.crc32(data), len(data), method=0, **kwargs)


def _zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Builders: one per item, ``build(path, sizes, rng)``

Builder = Callable[[Path, Sizes, random.Random], None]
BUILDERS: dict[str, Builder] = {}


def builder(func: Builder) -> Builder:
    BUILDERS[func.__name__.removeprefix("build_")] = func
    return func


@builder
def build_png(path: Path, s: Sizes, rng: random.Random) -> None:
    header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06"
    _write(path, header + rng.randbytes(30_000))


@builder
def build_elf(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, b"\x7fELF\x02\x01\x01\x00" + bytes(8) + rng.randbytes(40_000))


@builder
def build_random_bytes(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, rng.randbytes(64 * 1024))


@builder
def build_empty(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, b"")


@builder
def build_blank(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, b" \t\n" * 5000 + b"\r\n\n   ")


@builder
def build_huge_line(path: Path, s: Sizes, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = _prose(rng, 200_000).encode()  # about 1.2 MB, repeated: no newline anywhere
    with path.open("wb") as fh:
        written = 0
        while written < s.huge_line:
            piece = line[: s.huge_line - written]
            fh.write(piece)
            written += len(piece)


@builder
def build_long_line(path: Path, s: Sizes, rng: random.Random) -> None:
    line = _prose(rng, 200_000)
    text = (line + " ") * (s.long_line // (len(line) + 1) + 1)
    _write(path, text[: s.long_line].rstrip())


@builder
def build_million_lines(path: Path, s: Sizes, rng: random.Random) -> None:
    lines = ["Title: A Million Lines", "Author: Hostile Author", ""]
    for i in range(s.lines):
        lines.append("" if i % 20 == 19 else rng.choice(_WORDS))
    lines.append("lastlineword")
    _write(path, "\n".join(lines) + "\n")


@builder
def build_chapters_txt(path: Path, s: Sizes, rng: random.Random) -> None:
    parts = ["Title: Ten Thousand Chapters\nAuthor: Hostile Author\n\n"]
    for n in range(1, s.chapters + 1):
        parts.append(f"Chapter {n}\n\nThe text of chapter {n} is short but it is here.\n\n")
    _write(path, "".join(parts))


@builder
def build_title_1mb(path: Path, s: Sizes, rng: random.Random) -> None:
    title = _prose(rng, s.header // 6)[: s.header].replace(".", "")
    _write(path, f"Title: {title}\nAuthor: Hostile Author\n\n{_paragraphs(rng, 5)}\n")


@builder
def build_summary_1mb(path: Path, s: Sizes, rng: random.Random) -> None:
    summary = _prose(rng, s.header // 6)[: s.header]
    _write(path, f"Title: Summary of a Megabyte\nAuthor: Hostile Author\nSummary: {summary}\n\n"
                 f"{_paragraphs(rng, 5)}\n")


@builder
def build_headers_1mb_html(path: Path, s: Sizes, rng: random.Random) -> None:
    big = _prose(rng, s.header // 6)[: s.header]
    page = (f"<html><head><title>{big}</title></head><body>"
            f"<b>Title:</b> {big}<br><b>Author:</b> Hostile Author<br>"
            f"<b>Summary:</b> {big}<br><hr>"
            + "".join(f"<p>{_prose(rng, 80)}</p>" for _ in range(8)) + "</body></html>")
    _write(path, page)


@builder
def build_invalid_utf8(path: Path, s: Sizes, rng: random.Random) -> None:
    body = _paragraphs(rng, 20).encode()
    broken = bytearray(b"Title: Broken Bytes\nAuthor: Hostile Author\n\nCaf\xc3\xa9 au lait, "
                       b"na\xc3\xafve r\xc3\xa9sum\xc3\xa9.\n\n")
    for i, chunk in enumerate(body.split(b". ")):
        broken += chunk + (b". \xff\x80 " if i % 7 == 3 else b"\xc3 " if i % 11 == 5 else b". ")
    _write(path, bytes(broken))


def _utf16_story(title: str, rng: random.Random) -> str:
    return _story(title, "Caf\u00e9 scene. " + _paragraphs(rng, 10))


@builder
def build_utf16le(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, _utf16_story("Sixteen Little", rng).encode("utf-16-le"))


@builder
def build_utf16be(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, _utf16_story("Sixteen Big", rng).encode("utf-16-be"))


@builder
def build_nul_in_body(path: Path, s: Sizes, rng: random.Random) -> None:
    head = _story("Nul In The Body", _paragraphs(rng, 40)).encode()
    assert len(head) > 9000
    _write(path, head + b"More text\x00with a NUL\x00\x00 inside it.\n\n" + head[-2000:])


@builder
def build_nul_in_head(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, b"Title: Nul\x00In The Head\nAuthor: Hostile Author\n\n"
           + _paragraphs(rng, 5).encode())


@builder
def build_cr_only(path: Path, s: Sizes, rng: random.Random) -> None:
    parts = ["Title: Carriage Returns\rAuthor: Hostile Author\r\r"]
    size = len(parts[0])
    while size < s.cr_only:
        para = _prose(rng, 60)
        # Hard-wrapped at about 70 columns with CR line ends, paragraphs by an empty line.
        lines, line = [], ""
        for word in para.split():
            if len(line) + len(word) > 70:
                lines.append(line)
                line = ""
            line = f"{line} {word}".strip()
        lines.append(line)
        piece = "\r".join(lines) + "\r\r"
        parts.append(piece)
        size += len(piece)
    _write(path, "".join(parts))


@builder
def build_separators(path: Path, s: Sizes, rng: random.Random) -> None:
    rules = ["----------", "**********", "~*~*~*~", "* * *", "==========", "~~~~~~", "-=-=-=-",
             "", "xxx", "oOo"]
    _write(path, "\n".join(rules[i % len(rules)] for i in range(20_000)) + "\n")


_DEEP_TEXT = "The deepest paragraph survives the nesting intact."


@builder
def build_nested_tags(path: Path, s: Sizes, rng: random.Random) -> None:
    n = s.nested_tags
    _write(path, "<html><head><title>Deep</title></head><body>" + "<div>" * n
           + f"<p>{_DEEP_TEXT}</p>" + "</div>" * n + "</body></html>")


# Once sent the htmlstory detector into quadratic backtracking (18 s on this file);
# test_htmlstory_detect_is_linear_on_unclosed_tags guards the fix.
_UNCLOSED = ("<b>", "<i>", "<span>")


@builder
def build_unclosed_tags(path: Path, s: Sizes, rng: random.Random) -> None:
    tags = _UNCLOSED
    _write(path, "<html><head><title>Unclosed</title></head><body>"
           + "".join(tags[i % 3] for i in range(s.nested_tags)) + f"<p>{_DEEP_TEXT}</p>")


_XSS_MARKERS = ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe",
                "alert(", "<object", "<embed", "expression(", "srcdoc")


def _xss_html(title: str, rng: random.Random) -> str:
    return (
        f"<html><head><title>{title}</title><script>alert('head')</script>"
        "<style>body{background:url(javascript:alert('css'))}</style></head>"
        "<body onload=\"alert('body')\">"
        f"<b>Title:</b> {title}<br><b>Author:</b> Hostile Author<br><b>Rating:</b> PG<br><hr>"
        f"<div id=\"story\"><p>{_prose(rng, 80)}</p>"
        "<p>She opened the door.<script>alert('inline')</script> The hall was dark.</p>"
        "<p><img src=\"x\" onerror=\"alert('img')\">A picture that never loaded.</p>"
        "<p><a href=\"javascript:alert('link')\">A link</a> and "
        "<a href=\"JaVaScRiPt&#58;alert('entity')\">another</a> in the prose.</p>"
        "<p onclick=\"alert('p')\" style=\"width:expression(alert('ie'))\">Clicked text.</p>"
        "<iframe src=\"javascript:alert('frame')\" srcdoc=\"<script>alert(1)</script>\">"
        "</iframe><object data=\"x.swf\"></object><embed src=\"x.swf\">"
        f"<p>{_prose(rng, 80)}</p><svg><script>alert('svg')</script></svg>"
        f"<p>{_prose(rng, 80)}</p></div></body></html>"
    )


@builder
def build_xss_page(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, _xss_html("Scripted Page", rng))


@builder
def build_xss_plain(path: Path, s: Sizes, rng: random.Random) -> None:
    body = (_paragraphs(rng, 3) + "\n\nHe typed <script>alert('x')</script> into the box, and "
            "then <img src=x onerror=alert(1)> for good measure.\n\n" + _paragraphs(rng, 3))
    _write(path, _story("Literal Script", body))


@builder
def build_bomb_ratio(path: Path, s: Sizes, rng: random.Random) -> None:
    data, crc = _zeros_deflated(s.ratio_bomb)
    _write(path, _raw_zip([_RawMember(b"zeros.txt", data, crc, s.ratio_bomb)]))


@builder
def build_bomb_nested(path: Path, s: Sizes, rng: random.Random) -> None:
    data, crc = _zeros_deflated(s.nested_bomb)
    inner = _raw_zip([_RawMember(f"zeros{i}.txt".encode(), data, crc, s.nested_bomb)
                      for i in range(s.nested_fan)])
    packed = zlib.compressobj(9, zlib.DEFLATED, -15)
    inner_packed = packed.compress(inner) + packed.flush()
    _write(path, _raw_zip([_RawMember(f"inner{i}.zip".encode(), inner_packed, zlib.crc32(inner),
                                      len(inner)) for i in range(s.nested_fan)]))


@builder
def build_bomb_lying(path: Path, s: Sizes, rng: random.Random) -> None:
    data, crc = _zeros_deflated(s.ratio_bomb)
    _write(path, _raw_zip([_RawMember(b"liar.txt", data, crc, 1_000)]))


@builder
def build_bomb_7z(path: Path, s: Sizes, rng: random.Random) -> None:
    import py7zr

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        zeros = Path(tmp) / "zeros.txt"
        with zeros.open("wb") as fh:
            fh.truncate(s.sevenzip_bomb)  # sparse: costs no disk
        filters = [{"id": py7zr.FILTER_LZMA2, "preset": 1}]
        with py7zr.SevenZipFile(path, "w", filters=filters) as archive:
            archive.write(zeros, "zeros.txt")


@builder
def build_deep_zip(path: Path, s: Sizes, rng: random.Random) -> None:
    story = _story("Three Levels Down", _paragraphs(rng, 3)).encode()
    level3 = _zip([("story.txt", story)])
    level2 = _zip([("level3.zip", level3)])
    _write(path, _zip([("level2.zip", level2)]))


@builder
def build_traversal_zip(path: Path, s: Sizes, rng: random.Random) -> None:
    evil = b"Title: Escaped\nAuthor: Attacker\n\nIf you can read this outside, it escaped.\n"
    good = _story("Safe Inside The Zip", _paragraphs(rng, 3)).encode()
    _write(path, _raw_zip([
        _stored("../escape_zip_up.txt", evil),
        _stored("/tmp/escape_zip_abs.txt", evil),
        _stored("C:\\escape_zip_drive.txt", evil),
        _stored("a/../../escape_zip_climb.txt", evil),
        _stored("link_zip.txt", b"/etc/passwd", mode=stat.S_IFLNK | 0o777),
        _stored("ok/good_zip.txt", good),
    ]))


@builder
def build_traversal_7z(path: Path, s: Sizes, rng: random.Random) -> None:
    import py7zr

    path.parent.mkdir(parents=True, exist_ok=True)
    evil = b"Title: Escaped\nAuthor: Attacker\n\nIf you can read this outside, it escaped.\n"
    good = _story("Safe Inside The 7z", _paragraphs(rng, 3)).encode()
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / "link_7z.txt"
        link.symlink_to("/etc/passwd")
        with py7zr.SevenZipFile(path, "w") as archive:
            archive.write(link, "link_7z.txt")  # symlinks first: py7zr needs it that way
            archive.writestr(good, "ok/good_7z.txt")
            # py7zr refuses such names in writestr; its unchecked twin writes what we ask.
            archive._writestr(evil, "../escape_7z_up.txt")
            archive._writestr(evil, "/tmp/escape_7z_abs.txt")


@builder
def build_truncated_gzip(path: Path, s: Sizes, rng: random.Random) -> None:
    data = gzip.compress(_story("Cut Gzip", _paragraphs(rng, 200)).encode(), mtime=0)
    _write(path, data[: len(data) // 2])


@builder
def build_truncated_targz(path: Path, s: Sizes, rng: random.Random) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for n in range(1, 5):
            # Random words do not compress much, so the cut lands where the sizes say.
            body = " ".join(rng.choice(_WORDS) + str(rng.randrange(10**6)) for _ in range(4000))
            data = _story(f"Tarred Story {n}", body).encode()
            info = tarfile.TarInfo(f"story{n}.txt")
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    raw = out.getvalue()
    packed = gzip.compress(raw, mtime=0)
    # Cut in the middle of the third member, in proportion to its place in the tar.
    third_middle = len(raw) * 5 // 8
    _write(path, packed[: len(packed) * third_middle // len(raw)])


def _tiny_story(n: int) -> bytes:
    return f"Title: Tiny {n}\nAuthor: Tiny Author\n\nTiny story number {n}.\n".encode()


@builder
def build_many_members(path: Path, s: Sizes, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(s.many_members):
            data = _tiny_story(n) if n % MANY_STORY_EVERY == 0 else b"\n"
            zf.writestr(f"tiny/{n:06d}.txt", data)


@builder
def build_too_many_members(path: Path, s: Sizes, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for n in range(s.max_archive_members + 1):
            zf.writestr(f"m/{n:06d}.txt", b"x")


@builder
def build_zip_bad_names(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, _raw_zip([
        _stored(b"utf8-flag-\xff\xfe-member.txt",
                _story("Bad Member Name", _paragraphs(rng, 2)).encode(), flags=0x800),
        _stored(b"newline\nmember.txt", _story("Newline Member", _paragraphs(rng, 2)).encode()),
    ]))


@builder
def build_tar_bad_names(path: Path, s: Sizes, rng: random.Random) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT,
                      encoding="utf-8", errors="surrogateescape") as tar:
        for name, title in (("tar-\udcff\udcfe-member.txt", "Bad Tar Name"),
                            ("tar-newline\nmember.txt", "Newline Tar Member")):
            data = _story(title, _paragraphs(rng, 2)).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    _write(path, out.getvalue())


@builder
def build_story_bad_name(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, _story("Invalid Bytes In The Name", _paragraphs(rng, 3)))


@builder
def build_story_newline_name(path: Path, s: Sizes, rng: random.Random) -> None:
    _write(path, _story("Newline In The Name", _paragraphs(rng, 3)))


def _stories_insert_middle(dump: bytes) -> int:
    """An offset in the middle of the dump's stories INSERT (dumps list tables A-Z, so the
    stories come last and a cut there keeps some of them)."""
    start = dump.index(b"INSERT INTO `fanfiction_stories`")
    end = dump.index(b";\n", start)
    return (start + end) // 2


@builder
def build_truncated_dump(path: Path, s: Sizes, rng: random.Random) -> None:
    data = EFICTION_DUMP.read_bytes()
    _write(path, data[: _stories_insert_middle(data)])


@builder
def build_truncated_dump_gz(path: Path, s: Sizes, rng: random.Random) -> None:
    data = EFICTION_DUMP.read_bytes()
    packed = gzip.compress(data, mtime=0)
    target = _stories_insert_middle(data)
    # The shortest gzip prefix whose decompressed text reaches the target.
    low, high = 0, len(packed)
    while low < high:
        mid = (low + high) // 2
        inflater = zlib.decompressobj(31)
        if len(inflater.decompress(packed[:mid])) >= target:
            high = mid
        else:
            low = mid + 1
    _write(path, packed[:low])


def _sql(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    table = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\x00": "\\0", "\x1a": "\\Z"}
    return "'" + "".join(table.get(c, c) for c in value) + "'"


def _insert(table: str, columns: tuple[str, ...], rows: Iterator[tuple[str | int | None, ...]],
            batch: int = 500) -> Iterator[str]:
    names = ", ".join(f"`{c}`" for c in columns)
    pending: list[str] = []
    for row in rows:
        pending.append("(" + ", ".join(_sql(v) for v in row) + ")")
        if len(pending) == batch:
            yield f"INSERT INTO `{table}` ({names}) VALUES\n" + ",\n".join(pending) + ";\n"
            pending = []
    if pending:
        yield f"INSERT INTO `{table}` ({names}) VALUES\n" + ",\n".join(pending) + ";\n"


_XSS_CHAPTER = (
    "<p>She opened the door.<script>alert('dump')</script> The hall was dark.</p>"
    "<p><img src=x onerror=\"alert('img')\">A picture.</p>"
    "<p><a href=\"javascript:alert('link')\">A link</a> in the prose.</p>"
    "<iframe src=\"javascript:alert(1)\"></iframe><p onclick=\"alert(2)\">The end.</p>"
)


@builder
def build_dump_chapters(path: Path, s: Sizes, rng: random.Random) -> None:
    authors = ("uid", "penname", "realname", "email")
    stories = ("sid", "title", "summary", "catid", "charid", "rid", "date", "updated", "uid",
               "validated", "completed", "wordcount")
    chapters = ("chapid", "title", "inorder", "notes", "storytext", "validated", "sid", "uid")
    parts = ["SET NAMES utf8mb4;\n"]
    parts.append("CREATE TABLE `fanfiction_authors` (`uid` int(11), `penname` varchar(200), "
                 "`realname` varchar(200), `email` varchar(200)) DEFAULT CHARSET=utf8mb4;\n")
    parts.append("CREATE TABLE `fanfiction_stories` (" + ", ".join(f"`{c}` text" for c in stories)
                 + ") DEFAULT CHARSET=utf8mb4;\n")
    parts.append("CREATE TABLE `fanfiction_chapters` (" + ", ".join(f"`{c}` text" for c in chapters)
                 + ") DEFAULT CHARSET=utf8mb4;\n")
    parts += _insert("fanfiction_authors", authors, iter([(1, "Dump Author", "", "d@example.com")]))
    parts += _insert("fanfiction_stories", stories, iter([
        (1, "Ten Thousand Rows", "A story of many chapters.", "0", "0", "0",
         "2006-01-01 00:00:00", "2006-01-02 00:00:00", 1, "1", "1", 0),
        (2, "Scripted Dump Story", "Script in the chapter.", "0", "0", "0",
         "2006-01-01 00:00:00", "2006-01-02 00:00:00", 1, "1", "1", 0),
    ]))
    rows = ((n, f"Chapter {n}", n, "", f"<p>The text of chapter {n}, short but here.</p>", "1",
             1, 1) for n in range(1, s.chapters + 1))
    parts += _insert("fanfiction_chapters", chapters, rows)
    parts += _insert("fanfiction_chapters", chapters, iter([
        (s.chapters + 1, "Only Chapter", 1, "", _XSS_CHAPTER, "1", 2, 1)]))
    _write(path, "".join(parts))


@builder
def build_truncated_warc(path: Path, s: Sizes, rng: random.Random) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    ends = []
    pages = [_xss_html("Archived Script Page", rng)] + [
        f"<html><head><title>Archived {n}</title></head><body><b>Title:</b> Archived {n}<br>"
        f"<b>Author:</b> Hostile Author<br><hr>"
        + "".join(f"<p>{_prose(rng, 80)}</p>" for _ in range(30)) + "</body></html>"
        for n in range(2, 5)
    ]
    for n, page in enumerate(pages, start=1):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                   protocol="HTTP/1.1")
        record = writer.create_warc_record(
            f"http://archive.invalid/story{n}.html", "response",
            payload=io.BytesIO(page.encode()), http_headers=headers,
            warc_headers_dict={"WARC-Date": "2004-05-06T07:08:09Z"})
        writer.write_record(record)
        ends.append(out.tell())
    data = out.getvalue()
    _write(path, data[: (ends[1] + ends[2]) // 2])


# ---------------------------------------------------------------------------------------------


def config_text(s: Sizes) -> str:
    return ("# Limits for the hostile campaign, matched to the corpus sizes.\n"
            "[fanarchive.limits]\n"
            f"max_document_bytes = {s.max_document_bytes}\n"
            f"max_archive_members = {s.max_archive_members}\n"
            "max_archive_bytes = 2_000_000_000\n"
            "max_compression_ratio = 200\n"
            "max_archive_depth = 2\n")


def available(item: Item) -> bool:
    """Items built from a repository fixture are left out when the fixture is missing."""
    return item.build not in ("truncated_dump", "truncated_dump_gz") or EFICTION_DUMP.exists()


def items(sizes: Sizes) -> list[Item]:
    return [item for item in _items(sizes) if available(item)]


def generate(outdir: Path, sizes: Sizes, *, quiet: bool = False) -> list[Item]:
    """Write the corpus for ``sizes`` into ``outdir`` and return its items.

    ``outdir`` must be new, empty, or a corpus written before (it is replaced); any other
    folder is refused rather than emptied.
    """
    if outdir.exists():
        if not (outdir / "manifest.json").exists() and any(outdir.iterdir()):
            raise SystemExit(f"{outdir} is not empty and holds no hostile corpus; not touching it")
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    chosen = items(sizes)
    for item in chosen:
        started = time.monotonic()
        target = outdir / item.path
        BUILDERS[item.build](target, sizes, random.Random(item.key))
        if not quiet:
            size = target.stat().st_size
            print(f"  {item.path!r:58} {size:>13,} bytes  {time.monotonic() - started:5.1f}s",
                  file=sys.stderr)
    (outdir / "hostile.toml").write_text(config_text(sizes), encoding="utf-8")
    manifest = {"mode": sizes.mode, "sizes": asdict(sizes),
                "items": [asdict(item) for item in chosen]}
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return chosen


def load_manifest(outdir: Path) -> tuple[Sizes, list[Item]]:
    data = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    sizes = Sizes(**data["sizes"])
    found = [Item(**{**item, "checks": tuple(item["checks"])}) for item in data["items"]]
    return sizes, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hostile.generate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--full", action="store_true",
                        help="full sizes: 100 MB line, 1 GB bombs, 100,000-member zip")
    args = parser.parse_args(argv)
    sizes = FULL if args.full else REDUCED
    started = time.monotonic()
    print(f"writing the {sizes.mode} hostile corpus to {args.outdir}", file=sys.stderr)
    chosen = generate(args.outdir, sizes)
    print(f"{len(chosen)} items in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
