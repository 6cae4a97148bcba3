"""Salvage a zip whose central directory is gone: walk the local headers from the front.

A zip cut short by a failed download or a dying disk loses its central directory first (it is at
the end), and :mod:`zipfile` then refuses the whole file, although every member before the cut
is intact. Each member also has a local header in front of its data, so reading them in order
recovers what is there. Only stored and Deflate members are recovered; that covers the zips
fandom archives were distributed in.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from fanarchive.errors import ItemError
from fanarchive.sources import names
from fanarchive.sources.members import CHUNK_BYTES, Context, Member, MemberRefused

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_DESCRIPTOR = b"PK\x07\x08"
_HEADER = struct.Struct("<4sHHHHHIIIHH")
_STORED, _DEFLATE = 0, 8
# Self-extracting zips put a program in front of the first member.
_MAX_PREFIX = 4 << 20


def salvage_zip(stream: BinaryIO, locator: str, ctx: Context) -> Iterator[Member | ItemError]:
    size = stream.seek(0, 2)
    pos = _find(stream, _LOCAL, 0, _MAX_PREFIX)
    if pos is None:
        yield ItemError(locator, "corrupt-archive", "not a readable zip: no member found")
        return
    recovered = 0
    while pos + _HEADER.size <= size:
        stream.seek(pos)
        raw = stream.read(_HEADER.size)
        if raw[:4] == _CENTRAL:
            yield ItemError(
                locator, "corrupt-archive",
                f"the zip's central directory is damaged; all {recovered} members were "
                "recovered from their local headers",
            )
            return
        if raw[:4] != _LOCAL:
            break
        _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _HEADER.unpack(raw)
        encoding = "utf-8" if flags & 0x800 else "cp437"
        name = stream.read(name_len).decode(encoding, "replace")
        extra = stream.read(extra_len)
        if 0xFFFFFFFF in (csize, usize):
            usize, csize = _zip64_sizes(extra, usize, csize)
        start = pos + _HEADER.size + name_len + extra_len
        member_locator = f"{locator}!{names.display_name(name)}"
        if flags & 0x8 and csize == 0:
            # Streamed zips write the sizes after the data; only Deflate marks its own end.
            if method != _DEFLATE:
                yield ItemError(
                    member_locator, "corrupt-archive",
                    "the zip is damaged and this member's length is unknown; not read",
                )
                break
            limit = min(ctx.limits.max_document_bytes, ctx.budget.bytes_left)
            data, used, complete = _inflate(stream, start, None, limit)
            if not complete:
                reason = (
                    f"more than {limit:,} bytes" if len(data) > limit else "damaged Deflate data"
                )
                yield ItemError(
                    member_locator, "corrupt-archive",
                    f"the zip is damaged and this member could not be read to its end "
                    f"({reason}); nothing after it can be found",
                )
                break
            yield Member(name=name, read=_given(data), size=len(data), packed=used,
                         encrypted=bool(flags & 0x1))
            recovered += 1
            pos = _after_descriptor(stream, start + used)
            continue
        if start + csize > size:
            yield ItemError(
                member_locator, "corrupt-archive",
                f"cut short: only {max(size - start, 0):,} of its {csize:,} compressed bytes "
                "are in the file",
            )
            break
        yield Member(
            name=name, read=_reader(stream, start, csize, method, crc), size=usize,
            packed=csize, is_dir=name.endswith("/"), encrypted=bool(flags & 0x1),
        )
        recovered += 1
        pos = _after_descriptor(stream, start + csize) if flags & 0x8 else start + csize
    yield ItemError(
        locator, "corrupt-archive",
        f"the zip is damaged (no central directory): {recovered} members recovered, "
        f"nothing after byte {pos:,} could be read",
    )


def _after_descriptor(stream: BinaryIO, pos: int) -> int:
    # The descriptor (CRC and sizes) follows the data, with or without its own signature.
    stream.seek(pos)
    return pos + (16 if stream.read(4) == _DESCRIPTOR else 12)


def _given(data: bytes) -> Callable[[int], bytes]:
    return lambda limit: data[: limit + 1]


def _reader(
    stream: BinaryIO, start: int, csize: int, method: int, crc: int
) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        if method == _STORED:
            stream.seek(start)
            data = stream.read(min(csize, limit + 1))
        elif method == _DEFLATE:
            data, _, complete = _inflate(stream, start, csize, limit)
            if not complete and len(data) <= limit:
                raise MemberRefused("corrupt-archive", "damaged Deflate data; not read")
        else:
            raise MemberRefused(
                "unsupported", f"compression method {method} in a damaged zip; not recovered"
            )
        if len(data) <= limit and zlib.crc32(data) != crc:
            raise MemberRefused("corrupt-archive", "damaged member (CRC mismatch); not read")
        return data

    return read


def _inflate(
    stream: BinaryIO, start: int, packed: int | None, limit: int
) -> tuple[bytes, int, bool]:
    """Inflate raw Deflate data at ``start``: (up to limit + 1 bytes, bytes consumed, finished)."""
    inflater = zlib.decompressobj(-15)
    stream.seek(start)
    out: list[bytes] = []
    total = consumed = 0
    pending = b""
    while not inflater.eof and total <= limit:
        if not pending:
            want = CHUNK_BYTES if packed is None else min(CHUNK_BYTES, packed - consumed)
            pending = stream.read(want) if want > 0 else b""
            if not pending:
                break
            consumed += len(pending)
        try:
            piece = inflater.decompress(pending, limit + 1 - total)
        except zlib.error:
            return b"".join(out), consumed, False
        pending = inflater.unconsumed_tail
        out.append(piece)
        total += len(piece)
    used = consumed - len(inflater.unused_data) - len(pending)
    return b"".join(out), used, inflater.eof


def _zip64_sizes(extra: bytes, usize: int, csize: int) -> tuple[int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[pos : pos + 4])
        if tag == 0x0001 and length >= 16:
            big_usize, big_csize = struct.unpack("<QQ", extra[pos + 4 : pos + 20])
            return int(big_usize), int(big_csize)
        pos += 4 + length
    return usize, csize


def _find(stream: BinaryIO, needle: bytes, start: int, within: int) -> int | None:
    stream.seek(start)
    data = stream.read(within)
    pos = data.find(needle)
    return None if pos < 0 else start + pos
