"""Zip archives, read member by member with :mod:`zipfile`; damaged ones are salvaged."""

from __future__ import annotations

import lzma
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from functools import partial
from typing import BinaryIO

from fanarchive.errors import ItemError
from fanarchive.sources.members import Context, Member, MemberRefused, read_capped
from fanarchive.sources.zipsalvage import salvage_zip

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_AES_METHOD = 99
_SPECIAL = {
    stat.S_IFIFO: "FIFO",
    stat.S_IFCHR: "device",
    stat.S_IFBLK: "device",
    stat.S_IFSOCK: "socket",
}
READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError)


def iter_zip(stream: BinaryIO, locator: str, ctx: Context) -> Iterator[Member | ItemError]:
    declared = declared_entries(stream)
    limit = ctx.limits.max_archive_members
    if declared is not None and declared > limit:
        # Checked before zipfile parses the central directory, which it keeps whole in memory.
        yield _too_many(locator, declared, limit)
        return
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (*READ_ERRORS, NotImplementedError):
        stream.seek(0)
        yield from salvage_zip(stream, locator, ctx)
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > limit:
            yield _too_many(locator, len(infos), limit)
            return
        for info in infos:
            mode = info.external_attr >> 16
            yield Member(
                name=info.filename,
                read=partial(_read, archive, info),
                size=info.file_size,
                packed=info.compress_size,
                is_dir=info.is_dir(),
                link=stat.S_ISLNK(mode),
                special=_SPECIAL.get(stat.S_IFMT(mode)),
                encrypted=bool(info.flag_bits & 0x1) or info.compress_type == _AES_METHOD,
            )


def _too_many(locator: str, count: int, limit: int) -> ItemError:
    return ItemError(
        locator, "too-large",
        f"the archive lists {count:,} members, more than max_archive_members ({limit:,}); "
        "not opened",
    )


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with archive.open(info) as member:
            return read_capped(member, limit)
    except NotImplementedError as exc:
        raise MemberRefused(
            "unsupported", f"compressed with a method fanarchive cannot read ({exc}); "
            "re-pack the archive with Deflate",
        ) from exc
    except RuntimeError as exc:  # zipfile's way of saying "password required"
        raise MemberRefused("encrypted", f"encrypted (password-protected): {exc}") from exc
    except READ_ERRORS as exc:
        raise MemberRefused("corrupt-archive", f"damaged member, not read: {exc}") from exc


def declared_entries(stream: BinaryIO) -> int | None:
    """The member count in the end-of-central-directory record (cheap), or None if not found."""
    stream.seek(0, 2)
    size = stream.tell()
    tail_len = min(size, 22 + 0xFFFF)  # the record plus the longest possible comment
    stream.seek(size - tail_len)
    tail = stream.read(tail_len)
    pos = tail.rfind(_EOCD)
    if pos < 0 or pos + 22 > len(tail):
        return None
    (total,) = struct.unpack("<H", tail[pos + 10 : pos + 12])
    if total != 0xFFFF or pos < 20 or tail[pos - 20 : pos - 16] != _ZIP64_LOCATOR:
        return int(total)
    (offset,) = struct.unpack("<Q", tail[pos - 12 : pos - 4])
    stream.seek(offset)
    record = stream.read(40)
    if len(record) < 40 or record[:4] != _ZIP64_EOCD:
        return None
    (total64,) = struct.unpack("<Q", record[32:40])
    return int(total64)
