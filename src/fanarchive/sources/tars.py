"""Tar archives (plain or compressed) and single compressed files (``story.txt.gz``).

Tars are read in stream mode: one pass, one member at a time, never a member index in memory.
A compressed tar cannot say how much one member expands, so the bomb test here is on the whole
stream: bytes seen so far against the size of the compressed file. Past that, reading stops,
because skipping a member in a stream still means decompressing it.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import PurePosixPath
from typing import BinaryIO

from fanarchive.errors import ItemError
from fanarchive.sources import names, sniff
from fanarchive.sources.limits import Limits
from fanarchive.sources.members import (
    CHUNK_BYTES,
    Context,
    Member,
    MemberRefused,
    read_capped,
)

_OPENERS: dict[str, Callable[[BinaryIO], gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile]] = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bzip2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # noqa: SIM115 - callers close it
}
_SUFFIXES = {".gz", ".gzip", ".z", ".bz2", ".xz", ".lzma"}
_READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)
_SPECIAL = {tarfile.FIFOTYPE: "FIFO", tarfile.CHRTYPE: "device", tarfile.BLKTYPE: "device"}


def iter_tar_or_stream(
    stream: BinaryIO, locator: str, ctx: Context
) -> Iterator[Member | ItemError]:
    name = locator.rsplit("!", 1)[-1]
    packed = stream.seek(0, 2)
    stream.seek(0)
    kind = sniff.archive_kind(stream.read(sniff.HEAD_BYTES), name)
    stream.seek(0)
    if kind == "tar":
        yield from _iter_tar(stream, locator, ctx, None)
        return
    if kind not in _OPENERS:
        yield ItemError(locator, "corrupt-archive", "not a tar or compressed file after all")
        return
    try:
        with _OPENERS[kind](stream) as unpacked:  # closing it leaves ``stream`` open
            inner_head = unpacked.read(512)
    except _READ_ERRORS as exc:
        yield ItemError(locator, "corrupt-archive", f"the {kind} file is damaged: {exc}")
        return
    stream.seek(0)
    if inner_head[257:262] == b"ustar":
        yield from _iter_tar(stream, locator, ctx, packed)
        return
    yield Member(
        name=_unpacked_name(name),
        read=partial(_read_stream, stream, kind, packed, ctx.limits),
    )


def _unpacked_name(name: str) -> str:
    path = PurePosixPath(PurePosixPath(name).name)
    return path.stem if path.suffix.lower() in _SUFFIXES else path.name


def _read_stream(stream: BinaryIO, kind: str, packed: int, limits: Limits, limit: int) -> bytes:
    stream.seek(0)
    chunks: list[bytes] = []
    total = 0
    try:
        with _OPENERS[kind](stream) as unpacked:
            while total <= limit:
                chunk = unpacked.read(min(CHUNK_BYTES, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                # Checked while reading: a compressed stream declares no size worth trusting.
                bomb = limits.bomb_reason(total, packed)
                if bomb:
                    raise MemberRefused("decompression-bomb", f"{bomb}; not read")
    except _READ_ERRORS as exc:
        raise MemberRefused("corrupt-archive", f"the {kind} data is damaged: {exc}") from exc
    return b"".join(chunks)


def _iter_tar(
    stream: BinaryIO, locator: str, ctx: Context, packed: int | None
) -> Iterator[Member | ItemError]:
    limits = ctx.limits
    try:
        archive = tarfile.open(fileobj=stream, mode="r|*")  # noqa: SIM115 - closed below
    except _READ_ERRORS as exc:
        yield ItemError(locator, "corrupt-archive", f"cannot read the tar archive: {exc}")
        return
    count = expanded = 0
    with archive:
        while True:
            try:
                info = archive.next()
            except _READ_ERRORS as exc:
                yield ItemError(
                    locator, "corrupt-archive",
                    f"the archive is damaged after {count} members ({exc}); the rest could "
                    "not be read",
                )
                return
            if info is None:
                return
            count += 1
            member_locator = f"{locator}!{names.display_name(info.name)}"
            if count > limits.max_archive_members:
                yield ItemError(
                    member_locator, "too-large", f"the archive has more than "
                    f"max_archive_members ({limits.max_archive_members:,}) members; this one "
                    "and the rest were not read",
                )
                return
            expanded += tarfile.BLOCKSIZE + info.size
            bomb = limits.bomb_reason(expanded, packed) if packed is not None else None
            if bomb or expanded > limits.max_archive_bytes:
                reason = bomb or f"expands past max_archive_bytes ({limits.max_archive_bytes:,})"
                yield ItemError(
                    member_locator, "decompression-bomb",
                    f"the archive {reason}; this member and the rest were not read",
                )
                return
            yield Member(
                name=info.name,
                read=partial(_read_member, archive, info),
                size=info.size,
                is_dir=info.isdir(),
                link=info.issym() or info.islnk(),
                special=_SPECIAL.get(info.type),
            )


def _read_member(archive: tarfile.TarFile, info: tarfile.TarInfo, limit: int) -> bytes:
    try:
        member = archive.extractfile(info)
        if member is None:
            raise MemberRefused("unsafe-path", "not a regular file; skipped")
        return read_capped(member, limit)
    except _READ_ERRORS as exc:
        raise MemberRefused("corrupt-archive", f"damaged member, not read: {exc}") from exc
