"""Files and folders on disk.

Folders are walked depth first in sorted order, so two runs over the same folder see the same
items in the same order. Hidden entries (``.git``, ``.DS_Store``) and OS junk (``__MACOSX``)
are skipped; symbolic links are followed only to files inside the folder.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from fanarchive.document import Document
from fanarchive.errors import ItemError
from fanarchive.sources import archives, names, sniff
from fanarchive.sources.limits import Budget, Limits
from fanarchive.sources.members import Context, read_capped, too_large

_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFDIR: "a folder",
}


def walk(root: str) -> Iterator[str | ItemError]:
    """Paths of the files below ``root``, or ItemErrors for entries that cannot be walked."""
    real_root = os.path.realpath(root)
    stack: list[Iterator[os.DirEntry[str]]] = []
    listing = _listing(root)
    if isinstance(listing, ItemError):
        yield listing
        return
    stack.append(iter(listing))
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if names.is_hidden(entry.name):
            continue
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            if os.path.commonpath([real_root, target]) != real_root:
                yield ItemError(
                    entry.path, "unsafe-path",
                    f"a symbolic link to {target}, outside the folder; not followed",
                )
                continue
            if os.path.isdir(target):
                continue  # its real folder is walked anyway; following it could loop
            yield entry.path  # a link to a file inside, or a broken link (reported on read)
            continue
        if entry.is_dir(follow_symlinks=False):
            listing = _listing(entry.path)
            if isinstance(listing, ItemError):
                yield listing
            else:
                stack.append(iter(listing))
            continue
        yield entry.path  # regular files, and FIFOs or sockets, which are reported on read


def _listing(folder: str) -> list[os.DirEntry[str]] | ItemError:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        return ItemError(folder, "unreadable", f"cannot list the folder: {exc.strerror}")


def iter_file(path: str, limits: Limits) -> Iterator[Document | ItemError]:
    """The Document in one file, the items of the archive it is, or an ItemError."""
    opened = open_regular(path)
    if isinstance(opened, ItemError):
        yield opened
        return
    with opened as fh:
        try:
            head = fh.read(sniff.HEAD_BYTES)
        except OSError as exc:
            yield ItemError(path, "unreadable", f"cannot read the file: {exc.strerror}")
            return
        name = os.path.basename(path)
        kind = sniff.archive_kind(head, name)
        if kind is not None:
            if limits.max_archive_depth < 1:
                yield archives.too_deep(path, kind, limits.max_archive_depth)
                return
            fh.seek(0)
            ctx = Context(limits, Budget.for_archive(limits))
            yield from archives.open_archive(fh, kind, path, ctx, level=1)
            return
        size = os.fstat(fh.fileno()).st_size
        if size > limits.max_document_bytes:
            yield too_large(path, size, limits)
            return
        try:
            content = head + read_capped(fh, limits.max_document_bytes - len(head))
        except OSError as exc:
            yield ItemError(path, "unreadable", f"cannot read the file: {exc.strerror}")
            return
    if len(content) > limits.max_document_bytes:  # it grew while we were reading
        yield too_large(path, None, limits)
        return
    problem = sniff.refuse(content, path, name)
    if problem is not None:
        yield problem
        return
    yield Document(content=content, locator=path, path=path, media_type=sniff.media_type(name))


def open_regular(path: str) -> BinaryIO | ItemError:
    """Open ``path`` for reading if it is a regular file, without ever blocking on a FIFO."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        what = "a broken symbolic link" if os.path.islink(path) else "cannot open the file"
        return ItemError(path, "unreadable", f"{what}: {exc.strerror}")
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "a special file")
            os.close(fd)
            return ItemError(path, "unreadable", f"{kind}, not a regular file; not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        return ItemError(path, "unreadable", f"cannot read the file: {exc.strerror}")


def count_files(root: str) -> int:
    """How many entries :func:`walk` yields: cheap, nothing is opened."""
    return sum(1 for _ in walk(root))
