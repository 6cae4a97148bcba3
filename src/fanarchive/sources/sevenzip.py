"""7z archives with py7zr, streamed member by member.

py7zr pushes members into writer objects while it decompresses; fanarchive pulls documents one
at a time. A worker thread runs the extraction and hands each member over when the reader asks
for the next one, so one member is in memory at a time however large the archive. Members that
fail the checks are never targets, so py7zr does not decompress them for us (solid blocks that
contain only refused members are skipped entirely).

Order: the errors for refused members come first, then the members in the order py7zr
decompresses them (empty files first, then block by block).
"""

from __future__ import annotations

import io
import queue
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import py7zr
import py7zr.exceptions
import py7zr.io

from fanarchive.errors import ItemError
from fanarchive.sources import names
from fanarchive.sources.members import Context, Member, check_member

_AES = b"\x06\xf1\x07\x01"
# How often a blocked worker looks up to see whether the reader has gone away.
_POLL_SECONDS = 0.1
_JOIN_SECONDS = 30.0


class _Cancelled(Exception):
    """Raised inside the worker to abandon the extraction when the reader stops early."""


@dataclass
class _Payload:
    name: str
    data: bytes
    size: int


@dataclass
class _Failed:
    error: BaseException


_DONE = object()


class _Handoff:
    """A rendezvous between the worker and the reader, which the reader can abandon.

    The worker starts decompressing a member only after the reader has asked for one, so a
    member is never decompressed while the previous one is still being parsed.
    """

    def __init__(self) -> None:
        self.items: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.wanted = threading.Semaphore(0)
        self.cancelled = threading.Event()

    def wait_until_wanted(self) -> None:
        while not self.wanted.acquire(timeout=_POLL_SECONDS):
            if self.cancelled.is_set():
                raise _Cancelled
        if self.cancelled.is_set():
            raise _Cancelled

    def put(self, item: object) -> None:
        while True:
            if self.cancelled.is_set():
                raise _Cancelled
            try:
                self.items.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def cancel(self) -> None:
        self.cancelled.set()
        self.wanted.release()
        while True:  # unblock a worker waiting to put
            try:
                self.items.get_nowait()
            except queue.Empty:
                return


class _Writer(py7zr.io.Py7zIO):
    """Collects one member, keeping at most ``limit + 1`` bytes and counting the rest."""

    def __init__(self, name: str, handoff: _Handoff, limit: int) -> None:
        self.name = name
        self.handoff = handoff
        self.limit = limit
        self.buffer = io.BytesIO()
        self.written = 0

    def write(self, s: bytes | bytearray) -> int:
        if self.handoff.cancelled.is_set():
            raise _Cancelled
        room = self.limit + 1 - self.written
        if room >= len(s):
            self.buffer.write(s)
        elif room > 0:
            self.buffer.write(s[:room])
        self.written += len(s)
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        # py7zr calls close only for a member it decompressed without error.
        # getvalue() hands over BytesIO's own buffer without a copy.
        data = self.buffer.getvalue()
        self.buffer = io.BytesIO()
        self.handoff.put(_Payload(self.name, data, self.written))


class _Factory(py7zr.io.WriterFactory):
    def __init__(self, root: Path, handoff: _Handoff, limit: int) -> None:
        self.root = root
        self.handoff = handoff
        self.limit = limit

    def create(self, filename: str) -> py7zr.io.Py7zIO:
        # py7zr names the member by where it would have extracted it, inside our private root.
        name = Path(filename).relative_to(self.root).as_posix()
        self.handoff.wait_until_wanted()
        return _Writer(name, self.handoff, self.limit)


def iter_7z(stream: BinaryIO, locator: str, ctx: Context) -> Iterator[Member | ItemError]:
    try:
        # A file object, not a path: py7zr then decompresses solid blocks one after another
        # instead of in parallel threads, which keeps the member order and memory predictable.
        archive = py7zr.SevenZipFile(stream, mode="r")
    except py7zr.exceptions.PasswordRequired:
        yield ItemError(locator, "encrypted", "the 7z archive is password-protected; not read")
        return
    with archive:
        files = list(archive.files)
        limit = ctx.limits.max_archive_members
        if len(files) > limit:
            yield ItemError(
                locator, "too-large", f"the archive lists {len(files):,} members, more than "
                f"max_archive_members ({limit:,}); not opened",
            )
            return
        blocks = _block_sizes(archive)
        targets: list[str] = []
        for entry in files:
            member = _member(entry, blocks)
            verdict = check_member(member, f"{locator}!{names.display_name(entry.filename)}",
                                   ctx.limits)
            if isinstance(verdict, ItemError):
                yield verdict
            elif verdict is None:
                targets.append(entry.filename)
        if targets:
            yield from _extract(archive, targets, locator, ctx)


def _member(entry: Any, blocks: dict[int, tuple[int, int]]) -> Member:
    folder = entry.folder
    packed, expanded = blocks.get(id(folder), (None, None)) if folder is not None else (0, 0)
    return Member(
        name=entry.filename,
        read=lambda limit: b"",  # never called: the payloads arrive from the worker
        size=entry.uncompressed,
        packed=packed,
        expanded=expanded,
        is_dir=entry.is_directory,
        link=entry.is_symlink or entry.is_junction,
        special="socket" if entry.is_socket else None,
        encrypted=folder is not None and any(c.get("method") == _AES for c in folder.coders),
    )


def _block_sizes(archive: py7zr.SevenZipFile) -> dict[int, tuple[int, int]]:
    """Packed and unpacked bytes of each solid block, keyed by ``id(folder)``.

    In a solid block members share one compressed stream, so a bomb can only be measured for
    the block as a whole.
    """
    streams = getattr(archive.header, "main_streams", None)
    if streams is None:
        return {}
    unpacked: Counter[int] = Counter()
    for entry in archive.files:
        if entry.folder is not None:
            unpacked[id(entry.folder)] += entry.uncompressed or 0
    packsizes = list(streams.packinfo.packsizes)
    sizes: dict[int, tuple[int, int]] = {}
    index = 0
    for folder in streams.unpackinfo.folders:
        count = len(folder.packed_indices) or 1
        sizes[id(folder)] = (sum(packsizes[index : index + count]), unpacked[id(folder)])
        index += count
    return sizes


def _extract(
    archive: py7zr.SevenZipFile, targets: list[str], locator: str, ctx: Context
) -> Iterator[Member | ItemError]:
    handoff = _Handoff()
    expected = Counter(targets)
    limit = min(ctx.limits.max_document_bytes, ctx.budget.bytes_left)
    # py7zr wants a folder to resolve names against even when nothing is written to disk; a
    # private empty one guarantees that anything it might write stays there and is removed.
    with tempfile.TemporaryDirectory(prefix="fanarchive-7z-") as root:
        archive.max_extract_size = ctx.budget.bytes_left
        worker = threading.Thread(
            target=_work, args=(archive, targets, Path(root), handoff, limit),
            name="fanarchive-7z", daemon=True,
        )
        worker.start()
        try:
            while True:
                handoff.wanted.release()
                item = _next(handoff, worker)
                if isinstance(item, _Failed):
                    yield from _unread(item.error, expected, locator)
                    break
                if not isinstance(item, _Payload):  # _DONE
                    break
                expected[item.name] -= 1
                member = _arrived(item)
                del item  # let the member go as soon as the reader is done with it
                yield member
                del member
        finally:
            handoff.cancel()
            worker.join(_JOIN_SECONDS)


def _next(handoff: _Handoff, worker: threading.Thread) -> object:
    while True:
        try:
            return handoff.items.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if not worker.is_alive() and handoff.items.empty():
                return _Failed(RuntimeError("the 7z reader stopped unexpectedly"))


def _arrived(payload: _Payload) -> Member:
    def read(limit: int) -> bytes:
        return payload.data[: limit + 1]

    # ``size`` is what py7zr really produced (it stops at the header's size), so the usual
    # checks in archives.py see the truth even when the header lied.
    return Member(name=payload.name, read=read, size=payload.size)


def _work(
    archive: py7zr.SevenZipFile, targets: list[str], root: Path, handoff: _Handoff, limit: int
) -> None:
    try:
        archive.extract(path=root, targets=targets, factory=_Factory(root, handoff, limit))
        handoff.put(_DONE)
    except _Cancelled:
        return
    except BaseException as exc:  # handed to the reader, which reports it
        try:
            handoff.put(_Failed(exc))
        except _Cancelled:
            return


def _unread(error: BaseException, expected: Counter[str], locator: str) -> Iterator[ItemError]:
    if isinstance(error, py7zr.exceptions.DecompressionBombError):
        code, reason = "decompression-bomb", f"the archive expands past max_archive_bytes: {error}"
    elif isinstance(error, py7zr.exceptions.PasswordRequired):
        code, reason = "encrypted", "encrypted (password-protected); not read"
    else:
        code, reason = "corrupt-archive", f"the 7z archive is damaged ({error}); not read"
    for name, missing in expected.items():
        for _ in range(missing):
            yield ItemError(f"{locator}!{names.display_name(name)}", code, reason)
