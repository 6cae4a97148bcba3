"""Archives: open zip, 7z, tar and compressed files member by member, nested up to a depth.

Each format reader (``zips``, ``sevenzip``, ``tars``) turns its format into
:class:`~fanarchive.sources.members.Member` objects; this module applies the checks and the
shared budget, reads each member with a cap, and hands the bytes on as a Document, a nested
archive, or an ItemError. Nothing is ever extracted to disk under a member's name.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Generator, Iterator
from typing import BinaryIO

from fanarchive.document import Document
from fanarchive.errors import ItemError
from fanarchive.sources import names, sniff
from fanarchive.sources.members import SKIP, Context, Member, MemberRefused, check_member, too_large

Reader = Callable[[BinaryIO, str, Context], Iterator[Member | ItemError]]


def _reader(kind: str) -> Reader:
    # Imported here so a format's dependency (py7zr) is only loaded when such an archive appears.
    if kind == "zip":
        from fanarchive.sources.zips import iter_zip

        return iter_zip
    if kind == "7z":
        from fanarchive.sources.sevenzip import iter_7z

        return iter_7z
    from fanarchive.sources.tars import iter_tar_or_stream

    return iter_tar_or_stream


def open_archive(
    stream: BinaryIO, kind: str, locator: str, ctx: Context, level: int
) -> Iterator[Document | ItemError]:
    """Items of the archive in ``stream``; ``level`` is 1 for an archive on disk."""
    items = _reader(kind)(stream, locator, ctx)
    try:
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except Exception as exc:
                # Archive libraries parse hostile bytes and fail in creative ways (IndexError,
                # struct.error, ...); one broken archive must not end the whole import.
                yield ItemError(locator, "corrupt-archive", f"cannot read the archive: {exc}")
                return
            if isinstance(item, ItemError):
                yield item
                continue
            outcome = _read_member(item, f"{locator}!{names.display_name(item.name)}", ctx)
            if outcome is None:
                continue
            if isinstance(outcome, _Stop):
                yield outcome.error
                return
            if isinstance(outcome, ItemError):
                yield outcome
                continue
            member_locator, data = outcome
            del item, outcome  # only ``data`` keeps the member alive, until emit is done
            yield from emit(data, member_locator, member_locator, ctx, level)
            del data
    finally:
        # Stops a 7z worker thread and releases file handles when the caller stops early.
        if isinstance(items, Generator):
            items.close()


class _Stop:
    """The archive as a whole went over a limit: report it and read no further members."""

    def __init__(self, error: ItemError) -> None:
        self.error = error


def _read_member(
    member: Member, locator: str, ctx: Context
) -> tuple[str, bytes] | ItemError | _Stop | None:
    verdict = check_member(member, locator, ctx.limits)
    if verdict == SKIP:
        return None
    if isinstance(verdict, ItemError):
        return verdict
    limits, budget = ctx.limits, ctx.budget
    if budget.members_left <= 0:
        return _Stop(ItemError(
            locator, "too-large", f"the archive has more than max_archive_members "
            f"({limits.max_archive_members:,}) members; this one and the rest were not read",
        ))
    budget.members_left -= 1
    if member.size is not None and member.size > budget.bytes_left:
        return _Stop(_past_budget(locator, ctx))
    limit = min(limits.max_document_bytes, budget.bytes_left)
    try:
        data = member.read(limit)
    except MemberRefused as exc:
        return ItemError(locator, exc.code, exc.reason)
    except Exception as exc:  # hostile bytes break libraries in odd ways, as above
        return ItemError(locator, "corrupt-archive", f"cannot read this member: {exc}")
    budget.bytes_left -= len(data)
    if len(data) > limit:
        if limit < limits.max_document_bytes:
            return _Stop(_past_budget(locator, ctx))
        return too_large(locator, None, limits)
    if member.size is not None and len(data) > member.size:
        return ItemError(
            locator, "decompression-bomb",
            f"expands past the {member.size:,} bytes its header declares; not used",
        )
    return locator, data


def _past_budget(locator: str, ctx: Context) -> ItemError:
    return ItemError(
        locator, "decompression-bomb", f"the archive expands past max_archive_bytes "
        f"({ctx.limits.max_archive_bytes:,}); this member and the rest were not read",
    )


def emit(
    data: bytes, locator: str, path: str, ctx: Context, level: int
) -> Iterator[Document | ItemError]:
    """``data`` as a Document, the items of the archive it is, or the ItemError refusing it."""
    name = locator.rsplit("!", 1)[-1]
    kind = sniff.archive_kind(data[: sniff.HEAD_BYTES], name)
    if kind is not None:
        if level >= ctx.limits.max_archive_depth:
            yield too_deep(locator, kind, ctx.limits.max_archive_depth)
        else:
            yield from open_archive(io.BytesIO(data), kind, locator, ctx, level + 1)
        return
    problem = sniff.refuse(data, locator, name)
    if problem is not None:
        yield problem
        return
    yield Document(content=data, locator=locator, path=path, media_type=sniff.media_type(name))


def too_deep(locator: str, kind: str, depth: int) -> ItemError:
    return ItemError(
        locator, "too-deep", f"a {kind} archive nested deeper than max_archive_depth ({depth}); "
        "not opened",
    )
