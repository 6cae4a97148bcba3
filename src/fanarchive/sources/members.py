"""What every archive reader hands to :mod:`fanarchive.sources.archives`: one member at a time.

Readers (zip, 7z, tar, compressed streams) only translate their format into :class:`Member`;
the checks that keep bombs and hostile names out live in one place, :func:`check_member`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fanarchive.errors import ItemError
from fanarchive.sources import names
from fanarchive.sources.limits import Budget, Limits

CHUNK_BYTES = 1 << 20


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class MemberRefused(Exception):
    """Raised by a member's ``read`` when its bytes cannot or must not be read."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Member:
    """One archive entry, read only when :func:`check_member` lets it through.

    ``read(limit)`` returns at most ``limit + 1`` bytes, so the caller can tell "exactly at the
    limit" from "over it", and raises :class:`MemberRefused` for anything else.
    """

    name: str
    read: Callable[[int], bytes]
    size: int | None = None  # declared uncompressed size; headers can lie
    packed: int | None = None  # declared compressed size of ``expanded`` bytes
    expanded: int | None = None  # bytes ``packed`` expands to: the member, or its solid block
    is_dir: bool = False
    link: bool = False  # symbolic or hard link
    special: str | None = None  # "FIFO", "device", ...: entries that are not files
    encrypted: bool = False


@dataclass
class Context:
    limits: Limits
    budget: Budget


SKIP = "skip"


def check_member(member: Member, locator: str, limits: Limits) -> ItemError | str | None:
    """An ItemError for a member that must not be read, :data:`SKIP` for silent skips, or None.

    Pure: it does not touch the budget, so readers can use it to plan (7z picks its targets).
    """
    if member.is_dir or names.is_hidden(member.name):
        return SKIP
    unsafe = names.unsafe_reason(member.name)
    if unsafe:
        return ItemError(locator, "unsafe-path", f"{unsafe}; skipped")
    if member.link:
        return ItemError(locator, "unsafe-path", "a link inside the archive; not followed")
    if member.special:
        return ItemError(locator, "unsafe-path", f"a {member.special} entry, not a file; skipped")
    if member.encrypted:
        return ItemError(locator, "encrypted", "encrypted (password-protected); not read")
    solid = member.expanded is not None and member.expanded != member.size
    expanded = member.expanded if member.expanded is not None else member.size
    bomb = limits.bomb_reason(expanded or 0, member.packed)
    if bomb:
        # Members of a solid block share one compressed stream: the block is what expands.
        where = "the solid block holding this member " if solid else ""
        return ItemError(locator, "decompression-bomb", f"{where}{bomb}")
    if member.size is not None and member.size > limits.max_document_bytes:
        return too_large(locator, member.size, limits)
    return None


def too_large(locator: str, size: int | None, limits: Limits) -> ItemError:
    told = f"{size:,} bytes, more" if size is not None else "more"
    return ItemError(
        locator, "too-large", f"{told} than max_document_bytes "
        f"({limits.max_document_bytes:,} bytes); not read",
    )


def read_capped(stream: Readable, limit: int) -> bytes:
    """Read at most ``limit + 1`` bytes in chunks, so a lying header never costs more memory."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = stream.read(min(CHUNK_BYTES, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)
