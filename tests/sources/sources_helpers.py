"""Helpers for the source tests: configs with small limits, item collection, and hostile
archives built byte by byte (for what zipfile and py7zr refuse to write).

Imported by name (``from sources_helpers import ...``): pytest puts this folder on sys.path.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError
from fanarchive.sources import iter_location

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"


def make_config(**limits: Any) -> Config:
    return Config(data={"fanarchive": {"limits": limits}})


def collect(location: Path | str, config: Config | None = None) -> list[Document | ItemError]:
    return list(iter_location(str(location), config or make_config()))


def summary(items: list[Document | ItemError]) -> list[tuple[str, str]]:
    """(tail of locator, "doc" or error code) for compact assertions."""
    out = []
    for item in items:
        tail = item.locator.rsplit("/", 1)[-1] if "!" not in item.locator else (
            item.locator.split("!", 1)[1]
        )
        out.append((tail, "doc" if isinstance(item, Document) else item.code))
    return out


def errors(items: list[Document | ItemError], code: str) -> list[ItemError]:
    return [i for i in items if isinstance(i, ItemError) and i.code == code]


def docs(items: list[Document | ItemError]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


STORED, DEFLATE = 0, 8


@dataclass
class RawEntry:
    name: str
    data: bytes  # as stored: already compressed when method is DEFLATE
    crc: int
    size: int  # the uncompressed size written in the headers (free to lie)
    method: int = STORED
    flags: int = 0
    external_attr: int = 0


def stored(name: str, content: bytes, **kw: int) -> RawEntry:
    return RawEntry(name, content, zlib.crc32(content), len(content), **kw)


def deflated(name: str, content: bytes, **kw: int) -> RawEntry:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(content) + packer.flush()
    return RawEntry(name, data, zlib.crc32(content), len(content), method=DEFLATE, **kw)


def zeros_bomb(name: str, mib: int) -> RawEntry:
    """``mib`` MiB of zeros as Deflate, built in milliseconds from one repeated block."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    # A full flush ends the block byte-aligned with a fresh dictionary, so copies concatenate.
    block = packer.compress(bytes(1 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    zero = bytes(1 << 20)
    for _ in range(mib):
        crc = zlib.crc32(zero, crc)
    return RawEntry(name, block * mib + final, crc, mib << 20, method=DEFLATE)


def raw_zip(entries: list[RawEntry]) -> bytes:
    out = bytearray()
    central = bytearray()
    for e in entries:
        offset = len(out)
        name = e.name.encode("utf-8")
        out += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, e.flags, e.method, 0, 0x21, e.crc,
            len(e.data), e.size, len(name), 0,
        ) + name + e.data
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (3 << 8) | 20, 20, e.flags, e.method, 0,
            0x21, e.crc, len(e.data), e.size, len(name), 0, 0, 0, 0, e.external_attr, offset,
        ) + name
    start = len(out)
    out += central
    out += struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), start, 0
    )
    return bytes(out)
